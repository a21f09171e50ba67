#!/usr/bin/env python3
"""scripts/api-contract's helpers (standard library only; run with any python3).

  api_contract.py channels FILE                 two sandbox channels (payOS accounts) with random keys, as JSON
  api_contract.py mariadb-url URL DB            URL with DB as its database
  api_contract.py mariadb-sql URL SQL           runs SQL on the server of URL with the mariadb client (password via MYSQL_PWD)
  api_contract.py provision BASE CHANNELS OUT   onboards owners A and B through the API (PUT /api/owner/payos-credentials,
                                                proven with the sandbox), gives each a booking and a payment, and writes
                                                what the run and its cross-owner check need to OUT
Owner keys come from the environment: GH_OWNER_A_KEY, GH_OWNER_B_KEY."""
import json, os, secrets, subprocess, sys, urllib.error, urllib.parse, urllib.request


def channels(path):
    made = [{"clientId": f"contract-{name}-{secrets.token_hex(4)}", "apiKey": secrets.token_hex(16), "checksumKey": secrets.token_hex(32),
             "accountName": f"CONTRACT OWNER {name.upper()}"} for name in ("a", "b")]
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        json.dump(made, f)


def mariadb_url(url, database):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, ""))


def mariadb_sql(url, sql):
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    command = ["mariadb", "--no-defaults", "-u", urllib.parse.unquote(parts.username or ""), "-e", sql]
    if "socket" in query:
        command += ["--socket", query["socket"][0]]
    else:
        command += ["-h", parts.hostname or "127.0.0.1", "-P", str(parts.port or 3306), "--protocol=tcp"]
    env = dict(os.environ, MYSQL_PWD=urllib.parse.unquote(parts.password or ""))
    subprocess.run(command, env=env, check=True)


def call(base, method, path, key, body=None):
    request = urllib.request.Request(base + path, method=method, headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                                     data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def provision(base, channels_path, out):
    channel = dict(zip("ab", json.load(open(channels_path))))
    fixtures = {}
    for name in "ab":
        key = os.environ[f"GH_OWNER_{name.upper()}_KEY"]
        c = channel[name]
        status, body = call(base, "PUT", "/api/owner/payos-credentials", key,
                            {"client_id": c["clientId"], "api_key": c["apiKey"], "checksum_key": c["checksumKey"]})
        if status != 200:
            sys.exit(f"api_contract: onboarding owner {name} failed: {status} {body}")
        marker = f"contract-{name}-{secrets.token_hex(6)}"
        status, booking = call(base, "POST", "/api/bookings", key, {
            "room_title": f"Room {marker}", "start_time": "2030-01-15T07:00:00Z", "end_time": "2030-01-15T10:00:00Z", "amount": 250000,
            "renter_name": "Nguyen Van An", "renter_email": f"{marker}@example.vn", "renter_phone": "0912345678"})
        if status != 201:
            sys.exit(f"api_contract: booking for owner {name} failed: {status} {booking}")
        status, payment = call(base, "POST", "/payment/process_payment", key, {"booking_id": booking["id"]})
        if status != 201:
            sys.exit(f"api_contract: payment for owner {name} failed: {status} {payment}")
        token = urllib.parse.parse_qs(urllib.parse.urlsplit(payment["redirect_url"]).query)["t"][0]
        fixtures[name] = {"marker": marker, "booking_id": booking["id"], "payment_id": payment["payment_id"],
                          "order_code": payment["order_code"], "renter_token": token, "client_id": c["clientId"],
                          "account_name": c["accountName"]}
    with open(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        json.dump(fixtures, f)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "channels":
        channels(*args)
    elif command == "mariadb-url":
        print(mariadb_url(*args))
    elif command == "mariadb-sql":
        mariadb_sql(*args)
    elif command == "provision":
        provision(*args)
    else:
        sys.exit(__doc__)
