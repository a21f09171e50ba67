#!/usr/bin/env python3
"""Runs the test suite under a time limit and, if it is exceeded, says what was still running before stopping it.

    test_watchdog.py --limit SECONDS --events PATH -- swift test --skip-build --event-stream-output-path PATH ...

A test that never returns would otherwise hold CI until its job limit and print nothing useful (the console output of
the tests still running is buffered). Past the limit this prints the tests that started and did not end (from Swift
Testing's event stream, written line by line), every thread's stack of the test process (gdb), then stops the whole
process group and exits 124. Otherwise it exits with the command's status.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time


def log(message):
    print(f"[gatehouse] test watchdog: {message}", file=sys.stderr, flush=True)


def unfinished_tests(events_path):
    """(test id, seconds running) of every test and test case that started and did not end."""
    open_since = {}
    try:
        with open(events_path, encoding="utf-8", errors="replace") as events:
            for line in events:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # a line cut short by the stop
                payload = record.get("payload") or {}
                kind = payload.get("kind")
                test_id = payload.get("testID")
                if not test_id or kind not in ("testStarted", "testEnded", "testCaseStarted", "testCaseEnded"):
                    continue
                key = (test_id, "case" if kind.startswith("testCase") else "test")
                since = (payload.get("instant") or {}).get("since1970")
                if kind.endswith("Started"):
                    open_since.setdefault(key, []).append(since)
                elif open_since.get(key):
                    open_since[key].pop(0)
    except FileNotFoundError:
        return []
    now = time.time()
    running = []
    for (test_id, level), starts in open_since.items():
        for since in starts:
            running.append((test_id, level, now - since if since else None))
    return sorted(running, key=lambda item: -(item[2] or 0))


def descendants(pid):
    """Every process under `pid` (from /proc), deepest last."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def command_line(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=float, required=True, help="seconds the command may run")
    parser.add_argument("--events", required=True, help="Swift Testing event stream the command writes")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command

    process = subprocess.Popen(command, start_new_session=True)
    try:
        return process.wait(timeout=args.limit)
    except subprocess.TimeoutExpired:
        pass
    except KeyboardInterrupt:
        for pid in descendants(process.pid) + [process.pid]:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        raise

    log(f"the test suite is still running after {args.limit:.0f} s; stopping it")
    running = unfinished_tests(args.events)
    if running:
        log("tests that started and did not end (longest first):")
        for test_id, level, seconds in running:
            age = f"{seconds:.0f} s" if seconds is not None else "?"
            print(f"    {level:4} {age:>7}  {test_id}", file=sys.stderr)
    else:
        log(f"no unfinished test in {args.events}")
    gdb = shutil.which("gdb")
    for pid in descendants(process.pid):
        if gdb and ("xctest" in command_line(pid) or "PackageTests" in command_line(pid)):
            log(f"threads of {command_line(pid)[:120]} (pid {pid}):")
            sys.stderr.flush()
            subprocess.run([gdb, "-p", str(pid), "-batch", "-nx", "-ex", "thread apply all bt 25"],
                           stdout=sys.stderr, stderr=subprocess.DEVNULL, timeout=120, check=False)
    # `swift test` starts the test process in a process group of its own: stop every descendant by pid, then the group.
    for pid in descendants(process.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return 124


if __name__ == "__main__":
    sys.exit(main())
