#!/usr/bin/env python3
# Copyright (c) the Gatehouse authors
"""Interop proof: the official payOS Python SDK (PyPI `payos` 1.x) against a running Gatehouse payOS sandbox.

Usage: interop.py --base-url http://127.0.0.1:PORT

Adds a fresh channel through the sandbox control API, then drives every payment-link call through the SDK and
checks the answers, webhook signatures (verified with `client.webhooks.verify`) and error mapping. Prints one line
per check and a summary line; exits 1 if any check failed, 2 if the run could not start.
"""

import argparse
import json
import re
import secrets
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import payos
from payos import (
    APIError,
    InternalServerError,
    InvalidSignatureError,
    PayOS,
    TooManyRequestsError,
    UnauthorizedError,
    WebhookError,
)
from payos.types import CreatePaymentLinkRequest, ItemData


class Failure(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failure(message)


class WebhookListener:
    """A loopback HTTP server that verifies every POST with the SDK and records the outcome."""

    def __init__(self, client):
        self.client = client
        self.received = []  # (path, raw bytes, verified WebhookData or None, error text or None)
        self.condition = threading.Condition()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if self.path.startswith("/missing"):
                    self.send_response(404)
                    self.end_headers()
                    return
                verified, error = None, None
                try:
                    verified = listener.client.webhooks.verify(body)
                except Exception as exc:  # noqa: BLE001 - the check reports it
                    error = f"{type(exc).__name__}: {exc}"
                with listener.condition:
                    listener.received.append((self.path, body, verified, error))
                    listener.condition.notify_all()
                payload = json.dumps({"success": error is None}).encode()
                self.send_response(200 if error is None else 400)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, predicate, timeout=10.0):
        deadline = time.monotonic() + timeout
        with self.condition:
            while True:
                for entry in self.received:
                    if predicate(entry):
                        return entry
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.condition.wait(remaining)

    def close(self):
        self.server.shutdown()


def control(base_url, method, path, body=None, client_id=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base_url + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if client_id:
        request.add_header("x-client-id", client_id)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    args = parser.parse_args()
    base_url = args.base_url.rstrip("/")

    client_id = "interop-" + secrets.token_hex(6)
    api_key = secrets.token_hex(16)
    checksum_key = secrets.token_hex(32)
    status, answer = control(base_url, "POST", "/sandbox/channels", {
        "clientId": client_id, "apiKey": api_key, "checksumKey": checksum_key,
        "accountName": "CONG TY INTEROP",
    })
    if status != 201:
        print(f"payos-interop: cannot add a channel ({status} {answer})", file=sys.stderr)
        return 2

    client = PayOS(client_id=client_id, api_key=api_key, checksum_key=checksum_key, base_url=base_url,
                   timeout=15, max_retries=0)
    listener = WebhookListener(client)
    order_base = int(time.time() * 1000) % 10_000_000_000 * 100
    state = {}
    results = []

    def check(name, function):
        try:
            detail = function()
            results.append((name, True))
            print(f"PASS {name}" + (f" -> {detail}" if detail else ""))
        except Exception as exc:  # noqa: BLE001 - every failure is reported, then the run continues
            results.append((name, False))
            reason = str(exc) if isinstance(exc, Failure) else f"{type(exc).__name__}: {exc}"
            print(f"FAIL {name}: {reason}")
            if not isinstance(exc, Failure):
                traceback.print_exc(limit=3)

    def new_request(offset, amount=5000, description="Thanh toan don", **extra):
        return CreatePaymentLinkRequest(
            order_code=order_base + offset, amount=amount, description=description,
            cancel_url="https://shop.example.vn/cancel?from=interop", return_url="https://shop.example.vn/return",
            **extra,
        )

    # -- confirm-webhook ---------------------------------------------------------------------------------------
    def confirm_ok():
        response = client.webhooks.confirm(listener.url + "/payos/webhook")
        expect(response.webhook_url == listener.url + "/payos/webhook", f"webhookUrl echoed: {response.webhook_url}")
        expect(response.account_name == "CONG TY INTEROP", f"accountName {response.account_name}")
        expect(response.account_number.startswith("VQRQ"), f"accountNumber {response.account_number}")
        expect(response.short_name and response.name, "bank name and short name present")
        probe = listener.wait_for(lambda e: e[2] is not None and e[2].reference == "TF230204212323")
        expect(probe is not None, "the probe webhook reached the listener and verified")
        data = probe[2]
        expect(data.order_code == 123 and data.amount == 3000 and data.description == "VQRIO123"
               and data.account_number == "12345678" and data.currency == "VND", f"probe is the docs sample: {data}")
        return f"{response.short_name}, probe verified"

    def confirm_fails():
        try:
            client.webhooks.confirm(listener.url + "/missing")
        except WebhookError as error:
            cause = error.__cause__
            expect(isinstance(cause, APIError), f"cause is APIError, got {type(cause).__name__}")
            expect(cause.status_code == 400 and cause.error_code == "20" and cause.error_desc == "Webhook url invalid",
                   f"status/code/desc {cause.status_code} {cause.error_code} {cause.error_desc}")
            data = json.loads(cause.response.text)["data"]
            expect(data == "Request failed with status code 404", f"probe error text {data!r}")
            return data
        raise Failure("confirm-webhook to a 404 URL did not raise")

    # -- create / get --------------------------------------------------------------------------------------------
    def create_full():
        request = new_request(
            1, amount=5000, description="Thanh toan don 1",
            items=[ItemData(name="Phong 101", quantity=1, price=5000)],
            buyer_name="Nguyen Van A", buyer_email="a@example.vn", buyer_phone="0912345678",
            expired_at=int(time.time()) + 3600,
        )
        link = client.payment_requests.create(request)
        expect(link.status == "PENDING", f"status {link.status}")
        expect(re.fullmatch(r"[0-9a-f]{32}", link.payment_link_id), f"paymentLinkId {link.payment_link_id}")
        expect(link.checkout_url == f"{base_url}/web/{link.payment_link_id}", f"checkoutUrl {link.checkout_url}")
        expect(link.qr_code.startswith("000201010212") and "54045000" in link.qr_code and "5802VN" in link.qr_code,
               f"qrCode {link.qr_code}")
        expect(link.bin == "970422" and link.currency == "VND" and link.amount == 5000, "bin/currency/amount")
        state["link1"] = link
        return link.payment_link_id

    def create_vietnamese():
        link = client.payment_requests.create(new_request(2, amount=2000, description="Thanh toán đơn hàng"))
        expect(link.description == "Thanh toán đơn hàng", f"description echoed {link.description!r}")
        expect("Thanh toan don hang" in link.qr_code, "transfer content folded to ASCII in the QR")
        state["link2"] = link
        return "signature over non-ASCII text verified by the SDK"

    def get_by_order_code():
        info = client.payment_requests.get(order_base + 1)
        expect(info.id == state["link1"].payment_link_id and info.status == "PENDING", f"{info.id} {info.status}")
        expect(info.amount_paid == 0 and info.amount_remaining == 5000 and info.transactions == [], "amounts")
        expect(info.created_at.endswith("+07:00"), f"createdAt {info.created_at}")
        return info.created_at

    def get_by_payment_link_id():
        info = client.payment_requests.get(state["link1"].payment_link_id)
        expect(info.order_code == order_base + 1, f"orderCode {info.order_code}")
        return None

    def duplicate_order_code():
        try:
            client.payment_requests.create(new_request(1))
        except APIError as error:
            expect(error.error_code == "231" and error.status_code == 200, f"code {error.error_code} {error.status_code}")
            return error.error_desc
        raise Failure("duplicate orderCode accepted")

    def description_too_long():
        try:
            client.payment_requests.create(new_request(3, description="x" * 26))
        except APIError as error:
            expect(error.error_code == "20" and error.error_desc == "description: Mô tả tối đa 25 kí tự",
                   f"{error.error_code} {error.error_desc}")
            return error.error_desc
        raise Failure("26-character description accepted")

    def unknown_link():
        try:
            client.payment_requests.get(order_base + 99)
        except APIError as error:
            expect(error.error_code == "101", f"code {error.error_code}")
            return error.error_desc
        raise Failure("unknown order code found")

    def bad_credentials():
        intruder = PayOS(client_id=client_id, api_key="wrong-key", checksum_key=checksum_key, base_url=base_url,
                         max_retries=0)
        try:
            intruder.payment_requests.get(order_base + 1)
        except UnauthorizedError as error:
            expect(error.status_code == 401, f"status {error.status_code}")
            return "UnauthorizedError 401"
        raise Failure("wrong API key accepted")

    # -- cancel / invoices ---------------------------------------------------------------------------------------
    def cancel_with_reason():
        client.payment_requests.create(new_request(4))
        info = client.payment_requests.cancel(order_base + 4, "Khach huy")
        expect(info.status == "CANCELLED" and info.cancellation_reason == "Khach huy", f"{info.status} {info.cancellation_reason}")
        expect(info.canceled_at and info.canceled_at.endswith("+07:00"), f"canceledAt {info.canceled_at}")
        return info.canceled_at

    def cancel_without_reason():
        info = client.payment_requests.cancel(state["link2"].payment_link_id)
        expect(info.status == "CANCELLED" and info.cancellation_reason is None, f"{info.status} {info.cancellation_reason}")
        return None

    def invoices():
        answer = client.payment_requests.invoices.get(order_base + 1)
        expect(answer.invoices == [], f"invoices {answer.invoices}")
        return None

    # -- paying and webhooks -------------------------------------------------------------------------------------
    def pay_in_full():
        status, answer = control(base_url, "POST", f"/sandbox/payment-requests/{order_base + 1}/pay", client_id=client_id)
        expect(status == 200, f"control pay {status} {answer}")
        reference = answer["transaction"]["reference"]
        entry = listener.wait_for(lambda e: e[2] is not None and e[2].reference == reference)
        expect(entry is not None, f"payment webhook {reference} verified by webhooks.verify")
        data = entry[2]
        expect(data.order_code == order_base + 1 and data.amount == 5000 and data.code == "00", f"webhook data {data}")
        expect(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", data.transaction_date_time), data.transaction_date_time)
        info = client.payment_requests.get(order_base + 1)
        expect(info.status == "PAID" and len(info.transactions) == 1, f"{info.status} {len(info.transactions)}")
        expect(info.transactions[0].reference == reference and info.amount_remaining == 0, "transaction matches webhook")
        return f"{reference} PAID"

    def pay_in_parts():
        client.payment_requests.create(new_request(5, amount=10000))
        status, first = control(base_url, "POST", f"/sandbox/payment-requests/{order_base + 5}/pay", {"amount": 4000},
                                client_id=client_id)
        expect(status == 200 and first["status"] == "UNDERPAID", f"first part {status} {first}")
        info = client.payment_requests.get(order_base + 5)
        expect(info.status == "UNDERPAID" and info.amount_paid == 4000 and info.amount_remaining == 6000, f"{info}")
        status, second = control(base_url, "POST", f"/sandbox/payment-requests/{order_base + 5}/pay", client_id=client_id)
        expect(status == 200 and second["status"] == "PAID", f"second part {status} {second}")
        for answer in (first, second):
            reference = answer["transaction"]["reference"]
            expect(listener.wait_for(lambda e: e[2] is not None and e[2].reference == reference) is not None,
                   f"webhook {reference} verified")
        info = client.payment_requests.get(order_base + 5)
        expect(info.status == "PAID" and len(info.transactions) == 2, f"{info.status} {len(info.transactions)}")
        return "UNDERPAID then PAID, 2 webhooks verified"

    def pay_cancelled_refused():
        status, answer = control(base_url, "POST", f"/sandbox/payment-requests/{order_base + 4}/pay", client_id=client_id)
        expect(status == 409 and answer["error"]["code"] == "payment_link_not_payable", f"{status} {answer}")
        return None

    def every_webhook_verified():
        with listener.condition:
            failures = [e for e in listener.received if e[3] is not None]
            count = len(listener.received)
        expect(not failures, f"webhooks rejected by the SDK: {[f[3] for f in failures]}")
        return f"{count} webhooks, all verified"

    # -- fault injection -----------------------------------------------------------------------------------------
    def injected_faults():
        status, _ = control(base_url, "PUT", f"/sandbox/channels/{client_id}/faults", {"rateLimitRate": 1, "retryAfterSeconds": 0})
        expect(status == 200, f"set faults {status}")
        try:
            client.payment_requests.get(order_base + 1)
            raise Failure("rate limit not injected")
        except TooManyRequestsError as error:
            expect(error.status_code == 429, f"status {error.status_code}")
        control(base_url, "PUT", f"/sandbox/channels/{client_id}/faults", {"errorRate": 1})
        try:
            client.payment_requests.get(order_base + 1)
            raise Failure("server error not injected")
        except InternalServerError as error:
            expect(error.status_code == 500, f"status {error.status_code}")
        control(base_url, "PUT", f"/sandbox/channels/{client_id}/faults", {"invalidSignatureRate": 1})
        try:
            client.payment_requests.get(order_base + 1)
            raise Failure("corrupted signature accepted")
        except InvalidSignatureError as error:
            expect("verification failed" in str(error), f"message {error}")
        status, cleared = control(base_url, "PUT", f"/sandbox/channels/{client_id}/faults", {})
        expect(status == 200 and cleared["errorRate"] == 0, f"cleared {cleared}")
        expect(client.payment_requests.get(order_base + 1).status == "PAID", "normal service after clearing")
        return "TooManyRequestsError, InternalServerError, InvalidSignatureError, then normal"

    checks = [
        ("confirm-webhook to a listener", confirm_ok),
        ("confirm-webhook to a 404 URL", confirm_fails),
        ("create (items, buyer, expiredAt)", create_full),
        ("create with Vietnamese description", create_vietnamese),
        ("get by orderCode", get_by_order_code),
        ("get by paymentLinkId", get_by_payment_link_id),
        ("duplicate orderCode -> 231", duplicate_order_code),
        ("26-character description -> 20", description_too_long),
        ("unknown orderCode -> 101", unknown_link),
        ("bad credentials -> 401", bad_credentials),
        ("cancel with reason", cancel_with_reason),
        ("cancel without reason", cancel_without_reason),
        ("invoices", invoices),
        ("pay in full via control API", pay_in_full),
        ("pay in two parts", pay_in_parts),
        ("paying a cancelled link is refused", pay_cancelled_refused),
        ("every webhook verified by the SDK", every_webhook_verified),
        ("fault injection seen by the SDK", injected_faults),
    ]
    for name, function in checks:
        check(name, function)
    listener.close()

    failed = [name for name, ok in results if not ok]
    print(f"payos-interop: {len(results) - len(failed)}/{len(results)} checks passed with payos {payos.__version__} "
          f"against {base_url}" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
