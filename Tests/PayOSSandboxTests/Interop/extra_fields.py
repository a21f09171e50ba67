#!/usr/bin/env python3
# Copyright (c) the Gatehouse authors
"""Interop variant with extra fields: the official payOS Python SDK signs payloads that carry fields payOS does not
document today exactly as the sandbox and Gatehouse do (every key of `data`, sorted).

Usage: extra_fields.py PAYLOADS.json   where the file is {"checksumKey": "...", "payloads": [{"name", "body"}]} and
each body is a webhook or an answer envelope as the sandbox sent it, extra fields switched on.

For each payload the SDK's own signer (`client.crypto.create_signature_from_object`, what `verifyPaymentWebhookData`
and the answer check use) must reproduce the body's `signature`. payos 1.1.0 then refuses the extra keys in its
pydantic models (`extra="forbid"`): that is reported as INFO, not checked, since it is the SDK's limitation, not the
protocol's. Prints one line per check and a summary line; exits 1 if any check failed.
"""

import json
import sys
import warnings

import payos
from payos import PayOS


def main():
    warnings.simplefilter("ignore")
    spec = json.load(open(sys.argv[1], encoding="utf-8"))
    key = spec["checksumKey"]
    client = PayOS(client_id="interop-extra", api_key="interop-extra", checksum_key=key)
    failed = 0
    for payload in spec["payloads"]:
        body = json.loads(payload["body"])
        expected = client.crypto.create_signature_from_object(body["data"], key)
        ok = expected == body.get("signature")
        failed += 0 if ok else 1
        print(f"{'PASS' if ok else 'FAIL'} {payload['name']}: SDK signature over all keys of data")
        if payload["name"].startswith("webhook"):
            try:
                client.webhooks.verify(body)
                print(f"INFO {payload['name']}: webhooks.verify accepted the extra keys")
            except Exception as error:  # payos 1.1.0: "Webhook schema validation failed"
                print(f"INFO {payload['name']}: webhooks.verify refused the extra keys ({str(error).splitlines()[0]})")
    total = len(spec["payloads"])
    summary = f"{total - failed}/{total} checks passed" + ("" if failed == 0 else f", {failed} FAILED")
    print(f"payos-interop-extra: {summary} with payos {payos.__version__}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
