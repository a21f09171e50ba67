#!/usr/bin/env bash
# Copyright (c) the Gatehouse authors
#
# Benchmarks the renter's hot path, GET /payment/refresh-status/{id}, with wrk against a release build, next to a
# bare Hummingbird route that answers the same JSON from memory.
#
#   bench/refresh-status.sh [sqlite|mariadb|both]      (default: both)
#
# For each backend: starts `gatehouse-bench refresh-server` (1,000 pending payments made through the real
# PaymentService and an in-process payOS sandbox; for MariaDB on a throwaway server from
# scripts/mariadb-test-server), waits for READY, warms both servers up, then runs wrk against
#   1. the gateway with the renter token in the query   (?t=…, a renter's first poll)
#   2. the gateway with the token in the payment's cookie (every later poll from the status page)
#   3. the bare route /bare/{id}
# and prints requests/s, p99 and the gateway/bare ratios. The status view's counters (GET /stats on the bare
# server) prove the polls were answered from memory: misses stay at one per payment, hits grow by one per request.
# The table, with the date and machine facts, is appended to bench/results/refresh-status-<date>.txt.
#
# Environment (optional): WRK_THREADS (2), WRK_CONNECTIONS (64), WRK_DURATION (15s), WRK_WARMUP (3s),
# PAYMENTS (1000), READY_TIMEOUT seconds (900: set-up on a busy machine is slow), SKIP_BUILD=1 to reuse the
# release binary.
#
# Everything listens on 127.0.0.1; every server started here is stopped on exit, whatever happens.
set -euo pipefail

readonly THREADS=${WRK_THREADS:-2}
readonly CONNECTIONS=${WRK_CONNECTIONS:-64}
readonly DURATION=${WRK_DURATION:-15s}
readonly WARMUP=${WRK_WARMUP:-3s}
readonly PAYMENTS=${PAYMENTS:-1000}
readonly READY_TIMEOUT=${READY_TIMEOUT:-900}
readonly STOP_TIMEOUT=30

die() { echo "refresh-status: $*" >&2; exit 1; }
note() { echo "refresh-status: $*" >&2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
cd "$ROOT"

case "${1:-both}" in
    sqlite) BACKENDS=(sqlite) ;;
    mariadb) BACKENDS=(mariadb) ;;
    both) BACKENDS=(sqlite mariadb) ;;
    *) die "usage: $0 [sqlite|mariadb|both]" ;;
esac

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gh-refresh.XXXXXX")
readonly WORK
SERVER_PID=""
MARIADB_DIR=""

stop_server() {
    [[ -n "$SERVER_PID" ]] || return 0
    local pid=$SERVER_PID deadline
    SERVER_PID=""
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        deadline=$(( $(date +%s) + STOP_TIMEOUT ))
        while kill -0 "$pid" 2>/dev/null && (( $(date +%s) < deadline )); do sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            note "refresh-server $pid ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL"
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
    stop_server
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

# wrk latency ("850.00us", "1.23ms", "2.00s") in milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n = n * 60000; else if (v ~ /s$/) n = n * 1000
        printf "%.2f", n
    }'
}

# Fields of a saved wrk output: requests/s, p99 (ms), requests, non-2xx, socket errors.
wrk_rps() { awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$1"; }
wrk_p99() { to_ms "$(awk '$1 == "99%" { print $2 }' "$1")"; }
wrk_requests() { awk '/ requests in / { print $1 }' "$1"; }
wrk_non2xx() { awk '/Non-2xx or 3xx responses:/ { print $NF; found = 1 } END { if (!found) print 0 }' "$1"; }
wrk_socket_errors() { awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10; found = 1 } END { if (!found) print 0 }' "$1"; }

# A counter from the bare server's /stats JSON.
counter() { sed -E "s/.*\"$2\":([0-9]+).*/\\1/" <<<"$1"; }

# ---------------------------------------------------------------------------------------------------------------
# Tools and build

if ! command -v wrk >/dev/null 2>&1; then
    note "installing wrk (Debian package)"
    if (( EUID == 0 )); then
        DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null; }
    else
        sudo DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null
    fi
fi
command -v wrk >/dev/null 2>&1 || die "wrk is not installed"
command -v curl >/dev/null 2>&1 || die "curl is not installed"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    note "building gatehouse-bench (release; several minutes on a cold build)"
    swift build -c release --product gatehouse-bench >"$WORK/build.log" 2>&1 || { tail -n 40 "$WORK/build.log" >&2; die "release build failed"; }
fi
BIN="$(swift build -c release --show-bin-path)/gatehouse-bench"
readonly BIN
[[ -x "$BIN" ]] || die "$BIN not found (build with: swift build -c release --product gatehouse-bench)"

# ---------------------------------------------------------------------------------------------------------------
# One backend

ROWS=()
DETAILS=()
FAILED=0

run_wrk() { # output-file port mode duration
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$4" --latency -s "$ROOT/bench/refresh-status.lua" "http://127.0.0.1:$2" \
        -- "$URLS" "$3" >"$1" 2>&1 || { cat "$1" >&2; die "wrk failed ($3)"; }
}

check_wrk() { # output-file label
    local non2xx errors
    non2xx=$(wrk_non2xx "$1")
    errors=$(wrk_socket_errors "$1")
    if (( non2xx > 0 || errors > 0 )); then
        note "$2: $non2xx non-2xx answers and $errors socket errors (see the wrk output below)"
        cat "$1" >&2
        FAILED=1
    fi
}

bench_backend() {
    local backend=$1 port bare_port line env_url=() deadline
    port=$(pick_port)
    bare_port=$(pick_port "$port")
    URLS="$WORK/urls-$backend.txt"

    if [[ "$backend" == mariadb ]]; then
        MARIADB_DIR="$WORK/mdb"
        line=$("$ROOT/scripts/mariadb-test-server" start "$MARIADB_DIR") || die "could not start MariaDB"
        # The URL holds a password: it goes to the server through its environment, never the command line.
        env_url=("GATEHOUSE_TEST_MARIADB_URL=${line#GATEHOUSE_TEST_MARIADB_URL=}")
    fi

    note "$backend: creating $PAYMENTS pending payments and starting the servers (gateway :$port, bare :$bare_port)"
    env "${env_url[@]}" TMPDIR="$WORK" "$BIN" refresh-server --backend "$backend" --port "$port" --bare-port "$bare_port" \
        --payments "$PAYMENTS" --urls-file "$URLS" >"$WORK/server-$backend.out" 2>"$WORK/server-$backend.err" &
    SERVER_PID=$!

    deadline=$(( $(date +%s) + READY_TIMEOUT ))
    until grep -qx READY "$WORK/server-$backend.out" 2>/dev/null; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            tail -n 30 "$WORK/server-$backend.err" >&2
            die "$backend: refresh-server exited before READY"
        fi
        (( $(date +%s) < deadline )) || { tail -n 30 "$WORK/server-$backend.err" >&2; die "$backend: not READY within ${READY_TIMEOUT}s"; }
        sleep 0.5
    done
    grep -h "created .* pending payments" "$WORK/server-$backend.err" >&2 || true
    grep -h "refresh-status body" "$WORK/server-$backend.out" >&2 || true

    note "$backend: warming up ($WARMUP each)"
    run_wrk "$WORK/warm-gw-$backend.txt" "$port" gateway "$WARMUP"
    run_wrk "$WORK/warm-bare-$backend.txt" "$bare_port" bare "$WARMUP"

    local load stats0 stats1 stats2 stats3
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    stats0=$(curl -fsS "http://127.0.0.1:$bare_port/stats")
    note "$backend: wrk -t$THREADS -c$CONNECTIONS -d$DURATION gateway (token in query), load average $load"
    run_wrk "$WORK/gw-$backend.txt" "$port" gateway "$DURATION"
    stats1=$(curl -fsS "http://127.0.0.1:$bare_port/stats")
    note "$backend: gateway (token in cookie)"
    run_wrk "$WORK/cookie-$backend.txt" "$port" cookie "$DURATION"
    stats2=$(curl -fsS "http://127.0.0.1:$bare_port/stats")
    note "$backend: bare route"
    run_wrk "$WORK/bare-$backend.txt" "$bare_port" bare "$DURATION"
    stats3=$(curl -fsS "http://127.0.0.1:$bare_port/stats")

    check_wrk "$WORK/gw-$backend.txt" "$backend gateway"
    check_wrk "$WORK/cookie-$backend.txt" "$backend gateway (cookie)"
    check_wrk "$WORK/bare-$backend.txt" "$backend bare"

    local gw_rps gw_p99 ck_rps ck_p99 bare_rps bare_p99
    gw_rps=$(wrk_rps "$WORK/gw-$backend.txt"); gw_p99=$(wrk_p99 "$WORK/gw-$backend.txt")
    ck_rps=$(wrk_rps "$WORK/cookie-$backend.txt"); ck_p99=$(wrk_p99 "$WORK/cookie-$backend.txt")
    bare_rps=$(wrk_rps "$WORK/bare-$backend.txt"); bare_p99=$(wrk_p99 "$WORK/bare-$backend.txt")
    ROWS+=("$(awk -v b="$backend" -v l="$load" -v g="$gw_rps" -v gp="$gw_p99" -v c="$ck_rps" -v cp="$ck_p99" -v r="$bare_rps" -v rp="$bare_p99" \
        'BEGIN { printf "%-8s %11d %9.2f %11d %9.2f %11d %9.2f %9.2f %9.2f   %s", b, g, gp, c, cp, r, rp, g / r, gp / rp, l }')")

    DETAILS+=("$backend: status view before the gateway run $stats0; after it $stats1; after the cookie run $stats2; after the bare run $stats3")
    DETAILS+=("$backend: gateway run: wrk counted $(wrk_requests "$WORK/gw-$backend.txt") requests, view hits +$(( $(counter "$stats1" hits) - $(counter "$stats0" hits) )), misses +$(( $(counter "$stats1" misses) - $(counter "$stats0" misses) )); cookie run: wrk $(wrk_requests "$WORK/cookie-$backend.txt"), hits +$(( $(counter "$stats2" hits) - $(counter "$stats1" hits) )), misses +$(( $(counter "$stats2" misses) - $(counter "$stats1" misses) )); bare run: hits +$(( $(counter "$stats3" hits) - $(counter "$stats2" hits) ))")
    for f in gw cookie bare; do
        DETAILS+=("$backend $f: $(awk '/Latency  / { printf "latency avg %s stdev %s max %s; ", $2, $3, $4 } / requests in / { printf "%s", $0 }' "$WORK/$f-$backend.txt")")
    done

    stop_server
    DETAILS+=("$backend: on shutdown: $(grep -h '^status-view' "$WORK/server-$backend.out" || echo 'no counters printed')")
    if [[ "$backend" == mariadb ]]; then stop_mariadb; fi
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for backend in "${BACKENDS[@]}"; do
    bench_backend "$backend"
done

# ---------------------------------------------------------------------------------------------------------------
# Report

HEADER=$(printf "%-8s %11s %9s %11s %9s %11s %9s %9s %9s   %s" backend "gw req/s" "gw p99ms" "ck req/s" "ck p99ms" "bare req/s" "bare p99" "rps g/b" "p99 g/b" "load before the run")
REPORT=$(
    echo "refresh-status benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), load average at start $LOAD_BEFORE (shared with other work)"
    echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency (after a $WARMUP warm-up), $PAYMENTS pending payments, release build"
    echo "gw = /payment/refresh-status/{id}?t=token, ck = same with the token in its cookie, bare = Hummingbird /bare/{id} from memory"
    echo
    echo "$HEADER"
    printf '%s\n' "${ROWS[@]}"
    echo
    printf '%s\n' "${DETAILS[@]}"
)
echo
echo "$REPORT"
mkdir -p "$ROOT/bench/results"
RESULTS="$ROOT/bench/results/refresh-status-$(date +%F).txt"
{ echo "$REPORT"; echo; echo "----"; } >>"$RESULTS"
note "appended to ${RESULTS#"$ROOT/"}"
if (( FAILED )); then die "some requests failed (see above)"; fi
