#!/usr/bin/env bash
# Copyright (c) the Gatehouse authors
#
# Webhook ingest, Gatehouse against the seed's Flask service (the peer in ../shared/peers/flask-seed), measured in
# the same run on the same MariaDB server: first deliveries of N paid payments' webhooks, 16 connections.
#
#   bench/webhook-ingest-vs-seed.sh
#
# 1. starts one throwaway MariaDB server (scripts/mariadb-test-server) for both;
# 2. the peer: a Python venv (reused when present; PyPI the first time) with flask, flask-sqlalchemy, gunicorn,
#    pymysql and cryptography; its own database on that server; `app.py seed N` (N pending payments); its signed
#    webhooks from `make_webhooks.py N json`; `gunicorn -w 4` on a free loopback port, waited for (bounded);
# 3. posts every webhook once, CONCURRENCY at a time, a new connection each (gunicorn's sync workers close every
#    connection) with bench/seed-peer.py, and checks that every payment is success and every booking confirmed;
# 4. Gatehouse: `gatehouse-bench webhook-ingest --backend mariadb --payments N --concurrency CONCURRENCY` (release
#    build) on the same server — verify, inbox, confirm with payOS (in-process sandbox), settle; it waits for
#    settlement itself and checks that every payment ends success exactly once with its e-mails and notifications;
# 5. prints both figures and the ratio Gatehouse/peer (the goal of issue 12 is ≥ 5×), and appends them with the
#    date, commit, core count and load average to bench/results/webhook-ingest-vs-seed-<date>.txt.
# With PASSES > 1 it repeats 2–4 (peer re-seeded, Gatehouse on a new scratch database; even passes measure Gatehouse
# first) and prints a line per pass, with issue 12's other goals (≥ 2,500/s, p99 ≤ 20 ms, duplicates ≥ 5,000/s).
#
# With SUITE=1 (what bench/webhook-ingest-suite.sh sets) it then runs, on the same server, `webhook-ingest --owners 1
# --payments MANY_OWNERS` and `webhook-ingest --owners MANY_OWNERS --payments MANY_OWNERS` (10,000 owners with one payment
# each; its first-delivery rate against one owner's with as many webhooks, goal within 20 %, and the key cache hit ratio) and `forged-flood --seconds FLOOD_SECONDS` (owner B's create
# p99 with / without the flood, goal ≤ 1.5×; audit rows per forged webhook, goal 0), and prints a summary of all four.
#
# Environment (optional): PAYMENTS (2000), CONCURRENCY (16), PEER_WORKERS (4), PASSES (1),
# SUITE (0), MANY_OWNERS (10000), FLOOD_SECONDS (10), FLOOD_ADDRESSES (1), FLOOD_RATE (0 = unlimited),
# PEER_DIR (../shared/peers/flask-seed beside the repository), PEER_VENV (.venv-flask-seed in the repository,
# gitignored), CONFIRM (1; 0 passes --no-confirm to Gatehouse, which the peer never does), READY_TIMEOUT seconds for the
# peer to answer (60), RUN_TIMEOUT seconds for each measured step (1800: set-up on a busy machine is slow),
# SKIP_BUILD=1 to reuse the release binary, BIN to name it, CLIENT (in-process; wrk posts Gatehouse's webhooks with
# wrk in its own process, bench/webhook-post.lua: see webhook-ingest --client).
#
# Everything listens on 127.0.0.1; every server started here is stopped on exit, whatever happens.
set -euo pipefail

readonly PAYMENTS=${PAYMENTS:-2000}
readonly CONCURRENCY=${CONCURRENCY:-16}
readonly PEER_WORKERS=${PEER_WORKERS:-4}
readonly PASSES=${PASSES:-1}
readonly CONFIRM=${CONFIRM:-1}
readonly READY_TIMEOUT=${READY_TIMEOUT:-60}
readonly RUN_TIMEOUT=${RUN_TIMEOUT:-1800}
readonly SUITE=${SUITE:-0}
readonly MANY_OWNERS=${MANY_OWNERS:-10000}
readonly FLOOD_SECONDS=${FLOOD_SECONDS:-10}
readonly FLOOD_ADDRESSES=${FLOOD_ADDRESSES:-1}
readonly FLOOD_RATE=${FLOOD_RATE:-0}
readonly CLIENT=${CLIENT:-in-process}
readonly STOP_TIMEOUT=30
readonly GOAL=5

die() { echo "webhook-ingest-vs-seed: $*" >&2; exit 1; }
note() { echo "webhook-ingest-vs-seed: $*" >&2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
cd "$ROOT"

[[ "$PAYMENTS" =~ ^[0-9]+$ ]] && (( PAYMENTS >= 1 )) || die "PAYMENTS must be a positive number"
[[ "$CONCURRENCY" =~ ^[0-9]+$ ]] && (( CONCURRENCY >= 1 )) || die "CONCURRENCY must be a positive number"
[[ "$PASSES" =~ ^[0-9]+$ ]] && (( PASSES >= 1 )) || die "PASSES must be a positive number"
[[ "$MANY_OWNERS" =~ ^[0-9]+$ ]] && (( MANY_OWNERS >= 1 )) || die "MANY_OWNERS must be a positive number"
[[ "$FLOOD_SECONDS" =~ ^[0-9]+$ ]] && (( FLOOD_SECONDS >= 1 )) || die "FLOOD_SECONDS must be a positive number"
[[ "$CLIENT" == in-process || "$CLIENT" == wrk ]] || die "CLIENT must be in-process or wrk"

PEER_DIR=$(cd "${PEER_DIR:-$ROOT/../shared/peers/flask-seed}" 2>/dev/null && pwd) || die "peer not found (set PEER_DIR)"
readonly PEER_DIR
[[ -f "$PEER_DIR/app.py" && -f "$PEER_DIR/make_webhooks.py" ]] || die "$PEER_DIR has no app.py and make_webhooks.py"
readonly PEER_VENV=${PEER_VENV:-$ROOT/.venv-flask-seed}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gh-ingest-vs-seed.XXXXXX")
readonly WORK
PEER_PID=""
MARIADB_DIR=""

stop_peer() {
    [[ -n "$PEER_PID" ]] || return 0
    local pid=$PEER_PID deadline
    PEER_PID=""
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true # gunicorn's arbiter stops its workers on SIGTERM
        deadline=$(( $(date +%s) + STOP_TIMEOUT ))
        while kill -0 "$pid" 2>/dev/null && (( $(date +%s) < deadline )); do sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            note "gunicorn $pid ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL to it and its workers"
            pkill -KILL -P "$pid" 2>/dev/null || true
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || true
}

stop_mariadb() {
    [[ -n "$MARIADB_DIR" ]] || return 0
    "$ROOT/scripts/mariadb-test-server" stop "$MARIADB_DIR" >/dev/null 2>&1 || note "could not stop MariaDB in $MARIADB_DIR"
    MARIADB_DIR=""
}

cleanup() {
    stop_peer
    stop_mariadb
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# True when something listens on 127.0.0.1:$1.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
    local port attempt
    for attempt in $(seq 1 50); do
        port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
        if ! port_in_use "$port" && [[ "$port" != "${1:-}" ]]; then echo "$port"; return 0; fi
    done
    die "no free loopback port found"
}

# A key=value field of seed-peer.py's result line.
field() { sed -E "s/.*(^| )$2=([^ ]+).*/\\2/" <<<"$1"; }

# ---------------------------------------------------------------------------------------------------------------
# Tools, the peer's venv and the build

command -v curl >/dev/null 2>&1 || die "curl is not installed"
command -v timeout >/dev/null 2>&1 || die "timeout (coreutils) is not installed"

PY="$PEER_VENV/bin/python"
peer_packages_ok() { "$PY" -c 'import flask, flask_sqlalchemy, gunicorn, pymysql, cryptography' 2>/dev/null; }
if [[ ! -x "$PY" ]]; then
    # Debian's interpreter first (stable path, has ensurepip), then whatever python3 is on PATH.
    for candidate in /usr/bin/python3 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -m venv "$PEER_VENV" >&2; then break; fi
        rm -rf "$PEER_VENV"
    done
    [[ -x "$PY" ]] || die "could not create a virtual environment in $PEER_VENV (need python3 with venv)"
    note "created $PEER_VENV"
fi
if ! peer_packages_ok; then
    note "installing the peer's packages into $PEER_VENV (PyPI)"
    timeout 600 "$PY" -m pip install --quiet --disable-pip-version-check flask flask-sqlalchemy gunicorn pymysql cryptography >&2 \
        || die "pip install failed"
    peer_packages_ok || die "the peer's packages are still not importable from $PY"
fi

if [[ -z "${BIN:-}" ]]; then
    if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
        note "building gatehouse-bench (release; several minutes on a cold build)"
        swift build -c release --product gatehouse-bench >"$WORK/build.log" 2>&1 || { tail -n 40 "$WORK/build.log" >&2; die "release build failed"; }
    fi
    BIN="$(swift build -c release --show-bin-path)/gatehouse-bench"
fi
readonly BIN
[[ -x "$BIN" ]] || die "$BIN not found (build with: swift build -c release --product gatehouse-bench)"

# ---------------------------------------------------------------------------------------------------------------
# One MariaDB server for both

MARIADB_DIR="$WORK/mdb"
line=$("$ROOT/scripts/mariadb-test-server" start "$MARIADB_DIR") || die "could not start MariaDB"
# The URL holds a password: it reaches the programs through their environment, never a command line.
export GATEHOUSE_TEST_MARIADB_URL="${line#GATEHOUSE_TEST_MARIADB_URL=}"
unset line
note "MariaDB $(sed -E 's|.*@([^/]*)/.*|\1|' <<<"$GATEHOUSE_TEST_MARIADB_URL") (throwaway, in $MARIADB_DIR)"

# Signed PAID webhooks for the peer's order codes 1000001…1000000+N (the same every pass).
(cd "$WORK" && "$PY" "$PEER_DIR/make_webhooks.py" "$PAYMENTS" json "$WORK/bodies.json" "$WORK/headers.json") \
    || die "make_webhooks.py failed"

# ---------------------------------------------------------------------------------------------------------------
# The peer: seed, serve, post every webhook once, check

bench_peer() { # pass
    local pass=$1 port deadline db_url result
    db_url=$(timeout 60 "$PY" "$ROOT/bench/seed-peer.py" createdb "seedpeer_$pass") || die "could not create the peer's database"
    export DATABASE_URL=$db_url PYTHONDONTWRITEBYTECODE=1

    note "peer (pass $pass): seeding $PAYMENTS pending payments"
    (cd "$PEER_DIR" && timeout "$RUN_TIMEOUT" "$PY" app.py seed "$PAYMENTS") >"$WORK/peer-seed.log" 2>&1 \
        || { tail -n 20 "$WORK/peer-seed.log" >&2; die "app.py seed failed"; }

    port=$(pick_port)
    "$PEER_VENV/bin/gunicorn" --chdir "$PEER_DIR" -w "$PEER_WORKERS" -b "127.0.0.1:$port" --log-level warning app:app \
        >"$WORK/peer-$pass.out" 2>"$WORK/peer-$pass.err" &
    PEER_PID=$!
    deadline=$(( $(date +%s) + READY_TIMEOUT ))
    # A pending payment's status: the app answers and reaches its database.
    until curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/payment/refresh-status/1" 2>/dev/null; do
        if ! kill -0 "$PEER_PID" 2>/dev/null; then tail -n 30 "$WORK/peer-$pass.err" >&2; die "gunicorn exited before answering"; fi
        (( $(date +%s) < deadline )) || { tail -n 30 "$WORK/peer-$pass.err" >&2; die "the peer did not answer within ${READY_TIMEOUT}s"; }
        sleep 0.2
    done

    PEER_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
    note "peer (pass $pass): gunicorn -w $PEER_WORKERS on :$port; posting $PAYMENTS webhooks, $CONCURRENCY at a time (load $PEER_LOAD)"
    result=$(timeout "$RUN_TIMEOUT" "$PY" "$ROOT/bench/seed-peer.py" post "$port" "$CONCURRENCY" "$WORK/bodies.json" "$WORK/headers.json") \
        || { echo "$result" >&2; tail -n 20 "$WORK/peer-$pass.err" >&2; die "peer webhooks failed"; }
    PEER_RESULT=$result
    PEER_SETTLED=$(timeout 60 "$PY" "$ROOT/bench/seed-peer.py" settled "$PAYMENTS") \
        || { echo "$PEER_SETTLED" >&2; die "the peer did not settle every payment"; }
    stop_peer
    unset DATABASE_URL
}

# ---------------------------------------------------------------------------------------------------------------
# Gatehouse on the same server

bench_gatehouse() { # pass
    local pass=$1 flags=(--client "$CLIENT")
    (( CONFIRM )) || flags+=(--no-confirm)
    GATEHOUSE_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
    note "gatehouse (pass $pass): webhook-ingest --backend mariadb --payments $PAYMENTS --concurrency $CONCURRENCY${flags[*]:+ ${flags[*]}} (load $GATEHOUSE_LOAD; set-up takes a while)"
    timeout --kill-after=30 "$RUN_TIMEOUT" "$BIN" webhook-ingest --backend mariadb --payments "$PAYMENTS" \
        --concurrency "$CONCURRENCY" --port "$(pick_port)" "${flags[@]}" >"$WORK/gatehouse-$pass.out" 2>"$WORK/gatehouse-$pass.err" \
        || { cat "$WORK/gatehouse-$pass.out" >&2; tail -n 30 "$WORK/gatehouse-$pass.err" >&2; die "gatehouse-bench webhook-ingest failed"; }
    GATEHOUSE_OUT=$(cat "$WORK/gatehouse-$pass.out")
    grep -q "every payment success: $PAYMENTS/$PAYMENTS" <<<"$GATEHOUSE_OUT" || { echo "$GATEHOUSE_OUT" >&2; die "Gatehouse did not settle every payment"; }
}

# "first deliveries: 2000 in 6.37 s = 314 webhooks/s  p50 48.10 ms  p99 69.20 ms  max 80.00 ms" → "314 48.10 69.20 80.00 6.37"
gatehouse_first() {
    sed -nE 's/.*first deliveries: [0-9]+ in ([0-9.]+) s = ([0-9]+) webhooks\/s +p50 ([0-9.]+) ms +p99 ([0-9.]+) ms +max ([0-9.]+) ms.*/\2 \3 \4 \5 \1/p' <<<"$1"
}
gatehouse_duplicates() {
    sed -nE 's/.*duplicates: +[0-9]+ in ([0-9.]+) s = ([0-9]+) webhooks\/s +p50 ([0-9.]+) ms +p99 ([0-9.]+) ms.*/\2 \3 \4/p' <<<"$1"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
ROWS=()
DETAILS=()
for pass in $(seq 1 "$PASSES"); do
    # Alternate who goes first, so neither always meets the colder server (or the other's leftovers).
    if (( pass % 2 )); then bench_peer "$pass"; bench_gatehouse "$pass"; else bench_gatehouse "$pass"; bench_peer "$pass"; fi
    read -r g_rate g_p50 g_p99 g_max g_secs <<<"$(gatehouse_first "$GATEHOUSE_OUT")"
    [[ -n "${g_rate:-}" ]] || { echo "$GATEHOUSE_OUT" >&2; die "could not read Gatehouse's figures"; }
    read -r d_rate d_p50 d_p99 <<<"$(gatehouse_duplicates "$GATEHOUSE_OUT")"
    p_rate=$(field "$PEER_RESULT" rate); p_p50=$(field "$PEER_RESULT" p50_ms); p_p99=$(field "$PEER_RESULT" p99_ms)
    ROWS+=("$(awk -v pass="$pass" -v gr="$g_rate" -v g5="$g_p50" -v g9="$g_p99" -v pr="$p_rate" -v p5="$p_p50" -v p9="$p_p99" \
        -v pl="$PEER_LOAD" -v gl="$GATEHOUSE_LOAD" -v goal="$GOAL" \
        'BEGIN { r = gr / pr; printf "%4d %12d %9.2f %9.2f %12d %9.2f %9.2f %8.2fx  %-8s   %s | %s", pass, gr, g5, g9, pr, p5, p9, r, (r >= goal ? "met" : "not met"), pl, gl }')")
    DETAILS+=("pass $pass peer: $PEER_RESULT; $PEER_SETTLED")
    DETAILS+=("pass $pass gatehouse: first $PAYMENTS in $g_secs s, max $g_max ms; duplicates ${d_rate:-?} webhooks/s, p50 ${d_p50:-?} ms, p99 ${d_p99:-?} ms; every payment success")
    DETAILS+=("pass $pass issue 12 goals: $(awk -v gr="$g_rate" -v g9="$g_p99" -v pr="$p_rate" -v goal="$GOAL" -v dr="${d_rate:-0}" \
        'function yn(ok) { return ok ? "met" : "not met" }
         BEGIN { printf ">= 2,500 webhooks/s %s (%d); p99 <= 20 ms %s (%.2f ms); >= %dx the peer %s (%.2fx); duplicates >= 5,000/s %s (%d)",
                 yn(gr >= 2500), gr, yn(g9 <= 20), g9, goal, yn(gr / pr >= goal), gr / pr, yn(dr >= 5000), dr }')")
done

# ---------------------------------------------------------------------------------------------------------------
# The suite: many owners, forged flood (same server)

# "ack-to-settled: p50 12 ms  p99 40 ms  max …" → "12 40"
gatehouse_settle() { sed -nE 's/.*ack-to-settled: p50 (-?[0-9]+) ms +p99 (-?[0-9]+) ms.*/\1 \2/p' <<<"$1"; }
# "key cache hit ratio: first deliveries + settlement 0.5000 (…" → "0.5000"
gatehouse_cache() { sed -nE 's/.*key cache hit ratio: first deliveries \+ settlement ([0-9.]+).*/\1/p' <<<"$1"; }

SUMMARY=()
if (( SUITE )); then
    read -r one_rate one_p50 one_p99 _ _ <<<"$(gatehouse_first "$GATEHOUSE_OUT")"
    read -r one_s50 one_s99 <<<"$(gatehouse_settle "$GATEHOUSE_OUT")"
    one_cache=$(gatehouse_cache "$GATEHOUSE_OUT")

    # The same number of webhooks from one owner: what the many-owner figure is compared with. A burst's length changes
    # the rate (the settlement workers leave young work to one of them only for GATEHOUSE_WEBHOOK_BURST_HOLDBACK_MS), so
    # the PAYMENTS-webhook run above is not the like-for-like figure.
    SAME_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
    note "gatehouse: webhook-ingest --owners 1 --payments $MANY_OWNERS (load $SAME_LOAD)"
    timeout --kill-after=30 "$RUN_TIMEOUT" "$BIN" webhook-ingest --backend mariadb --payments "$MANY_OWNERS" --owners 1 \
        --concurrency "$CONCURRENCY" --client "$CLIENT" --port "$(pick_port)" >"$WORK/same.out" 2>"$WORK/same.err" \
        || { cat "$WORK/same.out" >&2; tail -n 30 "$WORK/same.err" >&2; die "webhook-ingest --owners 1 --payments $MANY_OWNERS failed"; }
    SAME_OUT=$(cat "$WORK/same.out")
    read -r same_rate _ _ _ _ <<<"$(gatehouse_first "$SAME_OUT")"

    MANY_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
    note "gatehouse: webhook-ingest --owners $MANY_OWNERS --payments $MANY_OWNERS (load $MANY_LOAD; onboarding $MANY_OWNERS owners takes a while)"
    timeout --kill-after=30 "$RUN_TIMEOUT" "$BIN" webhook-ingest --backend mariadb --payments "$MANY_OWNERS" --owners "$MANY_OWNERS" \
        --concurrency "$CONCURRENCY" --client "$CLIENT" --port "$(pick_port)" >"$WORK/many.out" 2>"$WORK/many.err" \
        || { cat "$WORK/many.out" >&2; tail -n 30 "$WORK/many.err" >&2; die "webhook-ingest --owners $MANY_OWNERS failed"; }
    MANY_OUT=$(cat "$WORK/many.out")
    read -r many_rate many_p50 many_p99 _ _ <<<"$(gatehouse_first "$MANY_OUT")"
    read -r many_s50 many_s99 <<<"$(gatehouse_settle "$MANY_OUT")"
    many_cache=$(gatehouse_cache "$MANY_OUT")
    read -r many_d _ _ <<<"$(gatehouse_duplicates "$MANY_OUT")"

    FLOOD_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
    note "gatehouse: forged-flood --seconds $FLOOD_SECONDS --flood-addresses $FLOOD_ADDRESSES --flood-rate $FLOOD_RATE (load $FLOOD_LOAD)"
    timeout --kill-after=30 "$RUN_TIMEOUT" "$BIN" forged-flood --backend mariadb --seconds "$FLOOD_SECONDS" --port "$(pick_port)" \
        --flood-addresses "$FLOOD_ADDRESSES" --flood-rate "$FLOOD_RATE" \
        >"$WORK/flood.out" 2>"$WORK/flood.err" \
        || { cat "$WORK/flood.out" >&2; tail -n 30 "$WORK/flood.err" >&2; die "forged-flood failed"; }
    FLOOD_OUT=$(cat "$WORK/flood.out")
    flood_ratio=$(sed -nE 's/.*B p99 with\/without: ([0-9.]+)x.*/\1/p' <<<"$FLOOD_OUT")
    flood_rate=$(sed -nE 's/.*forged webhooks: [0-9]+ in [0-9.]+ s = ([0-9]+) requests\/s.*/\1/p' <<<"$FLOOD_OUT")
    flood_audit=$(sed -nE 's/.* = ([0-9.]+) per forged webhook.*/\1/p' <<<"$FLOOD_OUT")

    SUMMARY+=("suite summary (MariaDB, $CONCURRENCY connections; last pass for the peer and the one-owner run)")
    SUMMARY+=("$(awk -v gr="$one_rate" -v pr="$p_rate" -v g9="$one_p99" -v s5="$one_s50" -v s9="$one_s99" -v c="$one_cache" -v n="$PAYMENTS" \
        'BEGIN { printf "  1 owner, %d payments:     %6d webhooks/s acknowledged (p99 %.2f ms) = %.2fx the peer (%d/s; goal >= 5x); ack-to-settled p50 %s ms p99 %s ms; key cache %s", n, gr, g9, gr / pr, pr, s5, s9, c }')")
    SUMMARY+=("$(awk -v mr="$many_rate" -v gr="$same_rate" -v m9="$many_p99" -v s5="$many_s50" -v s9="$many_s99" -v c="$many_cache" -v n="$MANY_OWNERS" -v d="$many_d" \
        'BEGIN { r = mr / gr; printf "  %d owners, 1 payment each: %6d webhooks/s acknowledged (p99 %.2f ms) = %.2fx one owner with as many payments (%d/s; goal >= 0.80: %s); ack-to-settled p50 %s ms p99 %s ms; key cache hit ratio %s; duplicates %d/s", n, mr, m9, r, gr, (r >= 0.8 ? "met" : "not met"), s5, s9, c, d }')")
    SUMMARY+=("$(awk -v r="$flood_ratio" -v f="$flood_rate" -v a="$flood_audit" \
        'BEGIN { printf "  forged flood:              owner B create p99 with/without %.2fx (goal <= 1.5x: %s); %d forged webhooks/s; %s audit rows per forged webhook (goal 0: %s)", r, (r <= 1.5 ? "met" : "not met"), f, a, (a + 0 == 0 ? "met" : "not met") }')")
    DETAILS+=("" "webhook-ingest --owners 1 --payments $MANY_OWNERS (load before $SAME_LOAD):" "$SAME_OUT")
    DETAILS+=("" "webhook-ingest --owners $MANY_OWNERS (load before $MANY_LOAD):" "$MANY_OUT" "" "forged-flood (load before $FLOOD_LOAD):" "$FLOOD_OUT")
    DETAILS+=("" "webhook-ingest, 1 owner (last pass):" "$GATEHOUSE_OUT")
fi

# ---------------------------------------------------------------------------------------------------------------
# Report

HEADER=$(printf "%4s %12s %9s %9s %12s %9s %9s %9s  %-8s   %s" pass "gatehouse/s" "g p50ms" "g p99ms" "peer/s" "p p50ms" "p p99ms" "ratio" "goal ${GOAL}x" "load before peer | before gatehouse")
REPORT=$(
    echo "webhook-ingest vs the Flask seed peer, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
    echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), load average at start $LOAD_BEFORE (shared with other work)"
    echo "one throwaway MariaDB server ($("$(command -v mariadbd || echo /usr/sbin/mariadbd)" --version 2>/dev/null | awk '{print $3}' || echo '?')) for both; first deliveries of $PAYMENTS paid payments' webhooks, $CONCURRENCY connections"
    echo "gatehouse: gatehouse-bench webhook-ingest --backend mariadb (release, confirm with payOS: $( (( CONFIRM )) && echo yes || echo no)), client $CLIENT, keep-alive"
    echo "peer: $PEER_DIR, gunicorn -w $PEER_WORKERS (sync), each webhook once on a new connection (bench/seed-peer.py)"
    echo "ratio = Gatehouse webhooks/s / peer webhooks/s (issue 12 asks for >= ${GOAL}x)"
    echo
    echo "$HEADER"
    printf '%s\n' "${ROWS[@]}"
    echo
    printf '%s\n' "${DETAILS[@]}"
    if (( ${#SUMMARY[@]} )); then echo; printf '%s\n' "${SUMMARY[@]}"; fi
)
echo
echo "$REPORT"
mkdir -p "$ROOT/bench/results"
RESULTS="$ROOT/bench/results/webhook-ingest-$( (( SUITE )) && echo suite || echo vs-seed)-$(date +%F).txt"
{ echo "$REPORT"; echo; echo "----"; } >>"$RESULTS"
note "appended to ${RESULTS#"$ROOT/"}"
