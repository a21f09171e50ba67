#!/usr/bin/env python3
# Copyright (c) the Gatehouse authors
"""Helper of bench/webhook-ingest-vs-seed.sh for the Flask seed peer (../shared/peers/flask-seed).

    seed-peer.py createdb NAME     print the peer's SQLAlchemy DATABASE_URL for a fresh database NAME on the server
                                   in $GATEHOUSE_TEST_MARIADB_URL (needs pymysql: run it with the peer's venv)
    seed-peer.py post PORT CONCURRENCY BODIES.json HEADERS.json
                                   POST every webhook once to 127.0.0.1:PORT/webhook/payos, CONCURRENCY at a time,
                                   a new connection each (gunicorn's sync workers close every connection), in a fixed
                                   shuffled order; prints one line "webhooks=… seconds=… rate=… p50_ms=… p99_ms=…
                                   max_ms=… failed=… client_cpu_s=…" (the client's own CPU time) and exits 1 if any answer was not 200
    seed-peer.py settled N         count the peer's payments in status success and bookings confirmed+paid
                                   ($DATABASE_URL); exits 1 unless both are N

Latency is from connect to the end of the answer, as a client reconnecting for every webhook sees it. The client is
plain sockets and threads (stdlib only) so it costs the two shared cores as little as Python allows.
URLs hold passwords: they come from the environment and are never printed except on stdout for the caller.
"""
import json
import os
import random
import socket
import sys
import threading
import time
from urllib.parse import unquote, urlsplit


def die(message):
    print(f"seed-peer: {message}", file=sys.stderr)
    sys.exit(1)


def server_parts(url):
    parts = urlsplit(url)
    if parts.scheme not in ("mysql", "mariadb", "mysql+pymysql") or not parts.hostname:
        die("expected a mysql://user:pass@host:port/ URL")
    return unquote(parts.username or ""), unquote(parts.password or ""), parts.hostname, parts.port or 3306, parts.path.strip("/")


def connect(url):
    import pymysql

    user, password, host, port, database = server_parts(url)
    return pymysql.connect(host=host, port=port, user=user, password=password, database=database or None, connect_timeout=10)


def createdb(name):
    if not name.replace("_", "").isalnum():
        die("database name must be letters, digits and _")
    url = os.environ.get("GATEHOUSE_TEST_MARIADB_URL") or die("GATEHOUSE_TEST_MARIADB_URL is not set")
    connection = connect(url)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    connection.close()
    parts = urlsplit(url)
    print(f"mysql+pymysql://{parts.netloc}/{name}")


def post(port, concurrency, bodies_path, headers_path):
    bodies = json.load(open(bodies_path))
    headers = json.load(open(headers_path))
    if len(bodies) != len(headers):
        die("bodies and headers differ in length")
    requests = []
    for body, header in zip(bodies, headers):
        payload = body.encode()
        lines = [f"POST /webhook/payos HTTP/1.1", f"Host: 127.0.0.1:{port}", "Content-Type: application/json",
                 f"Content-Length: {len(payload)}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in header.items()]
        requests.append(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
    random.Random(12).shuffle(requests)

    lock = threading.Lock()
    next_index = [0]
    latencies = []
    failures = []

    def worker():
        mine = []
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= len(requests):
                break
            started = time.perf_counter()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                    sock.sendall(requests[i])
                    chunks = []
                    while True:
                        chunk = sock.recv(65536)
                        if not chunk:
                            break
                        chunks.append(chunk)
                answer = b"".join(chunks)
                status = answer.split(b" ", 2)[1] if answer.startswith(b"HTTP/") else b"?"
                if status != b"200":
                    failures.append(answer[:300].decode(errors="replace"))
            except OSError as error:
                failures.append(repr(error))
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started, cpu_started = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started

    latencies.sort()

    def percentile(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1e3

    print(f"webhooks={len(latencies)} seconds={elapsed:.2f} rate={len(latencies) / elapsed:.0f} "
          f"p50_ms={percentile(0.50):.2f} p99_ms={percentile(0.99):.2f} max_ms={latencies[-1] * 1e3:.2f} failed={len(failures)} client_cpu_s={cpu:.2f}")
    if failures:
        for failure in failures[:5]:
            print(f"seed-peer: failed: {failure!r}", file=sys.stderr)
        sys.exit(1)


def settled(n):
    url = os.environ.get("DATABASE_URL") or die("DATABASE_URL is not set")
    connection = connect(url)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM payment WHERE status = 'success' AND paid_at IS NOT NULL")
        payments = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM booking WHERE status = 'confirmed' AND payment_status = 'paid'")
        bookings = cursor.fetchone()[0]
    connection.close()
    print(f"payments success {payments}/{n}, bookings confirmed {bookings}/{n}")
    if payments != n or bookings != n:
        sys.exit(1)


if __name__ == "__main__":
    command, arguments = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if command == "createdb" and len(arguments) == 1:
        createdb(arguments[0])
    elif command == "post" and len(arguments) == 4:
        post(int(arguments[0]), int(arguments[1]), arguments[2], arguments[3])
    elif command == "settled" and len(arguments) == 1:
        settled(int(arguments[0]))
    else:
        die("usage: seed-peer.py createdb NAME | post PORT CONCURRENCY BODIES.json HEADERS.json | settled N")
