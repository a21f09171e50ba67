#!/usr/bin/python3
# Copyright (c) the Gatehouse authors
"""Checks the Grafana dashboard against the metrics Gatehouse exports (used by scripts/deploy-check).

  grafana_check.py [DASHBOARD] [--exposition FILE]   check deploy/grafana/gatehouse-dashboard.json (the default)
  grafana_check.py --self-test                       the checker's own tests (no build, no server needed)

Every PromQL query of the dashboard (panel targets and template variables) must name only metrics Gatehouse exports.
The exported names come from the source, not from a scrape: Gatehouse's counters are created when first counted
(no `gatehouse_rate_limit_refusals_total` until a refusal, no `hb_request_errors` until an error), so a fresh
instance's /metrics lacks names a dashboard rightly uses. The names are
  - every Swift string literal in Sources/ that is a whole `gatehouse_…` name (Gatehouse names its metrics so), and
  - Hummingbird's `MetricsMiddleware` instruments (when Gatehouse mounts it), read from the resolved checkout and
    renamed as swift-prometheus does (every character outside [A-Za-z0-9_:] becomes `_`); its Timer is a histogram.
With --exposition (a real scrape), every family in it must be among those names too, so the source reading cannot
silently miss a metric. A problem is printed as `problem: …` and the exit status is 1.
"""

import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DASHBOARD = os.path.join(ROOT, "deploy", "grafana", "gatehouse-dashboard.json")
HUMMINGBIRD_METRICS = ".build/checkouts/hummingbird/Sources/Hummingbird/Middleware/MetricsMiddleware.swift"
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
                   "offset", "inf", "nan", "atan2"}


def prometheus_name(label):
    """The name swift-prometheus gives a swift-metrics label."""
    return re.sub(r"[^A-Za-z0-9_:]", "_", label)


def exported_metrics(root=ROOT):
    """{name: kind} with kind "histogram" (has _bucket/_sum/_count series) or "plain"."""
    names = {}
    mounts_hummingbird_metrics = False
    for folder, _, files in os.walk(os.path.join(root, "Sources")):
        for file in files:
            if not file.endswith(".swift"):
                continue
            text = open(os.path.join(folder, file), encoding="utf-8").read()
            for name in re.findall(r'"(gatehouse_[a-z0-9_]+)"', text):
                names[name] = "plain"
            mounts_hummingbird_metrics |= "MetricsMiddleware()" in text
    if mounts_hummingbird_metrics:
        path = os.path.join(root, HUMMINGBIRD_METRICS)
        if not os.path.exists(path):
            raise SystemExit(f"problem: {HUMMINGBIRD_METRICS} not found (resolve the package first: swift package resolve)")
        text = open(path, encoding="utf-8").read()
        instruments = re.findall(r'\b(Counter|Timer|Meter|Recorder)\(\s*label:\s*"([^"]+)"', text)
        if not instruments:
            raise SystemExit(f"problem: no instruments found in {HUMMINGBIRD_METRICS} (has Hummingbird changed how it names them?)")
        for kind, label in instruments:
            names[prometheus_name(label)] = "histogram" if kind in ("Timer", "Recorder") else "plain"
    return names


def promql_metric_names(expr):
    """The metric names a PromQL expression (with Grafana variables) reads."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)       # string literals
    text = re.sub(r"\$\{[^}]*\}|\$[A-Za-z_]\w*", "", text)                   # Grafana variables
    text = re.sub(r"\{[^}]*\}", " ", text)                                     # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)                                    # ranges and subqueries
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)  # label lists
    names = []
    for match in re.finditer(r"(?<![\w.])([A-Za-z_:][\w:]*)(\s*\()?", text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in PROMQL_KEYWORDS:
            continue
        names.append(name)
    return names


def known(name, exported):
    if name in exported:
        return True
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and exported.get(name[: -len(suffix)]) == "histogram":
            return True
    return False


def dashboard_queries(dashboard):
    """(where, PromQL) for every panel target (rows' nested panels too) and every query template variable."""
    queries = []

    def panels(items):
        for panel in items:
            for target in panel.get("targets", []):
                if target.get("expr"):
                    queries.append((f"panel {panel.get('title')!r} target {target.get('refId')}", target["expr"]))
            panels(panel.get("panels", []))

    panels(dashboard.get("panels", []))
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") != "query":
            continue
        query = variable.get("query")
        query = query.get("query") if isinstance(query, dict) else query
        label_values = re.fullmatch(r"\s*label_values\((.*),\s*\w+\s*\)\s*", query or "")
        queries.append((f"variable {variable.get('name')!r}", label_values.group(1) if label_values else query or ""))
    return queries


def check(dashboard, exported):
    """The problems of a loaded dashboard, as texts (empty when it is fine)."""
    problems = []
    if not isinstance(dashboard.get("schemaVersion"), int):
        problems.append("the dashboard has no schemaVersion")
    ids = [panel.get("id") for panel in dashboard.get("panels", [])]
    if len(ids) != len(set(ids)):
        problems.append("panel ids are not unique")
    queries = dashboard_queries(dashboard)
    if not queries:
        problems.append("the dashboard has no Prometheus query")
    for where, expr in queries:
        names = promql_metric_names(expr)
        if not names:
            problems.append(f"{where}: no metric name in `{expr}`")
        for name in names:
            if not known(name, exported):
                problems.append(f"{where}: `{name}` is not a metric Gatehouse exports (in `{expr}`)")
    for panel in dashboard.get("panels", []):
        source = panel.get("datasource") or {}
        if panel.get("type") != "row" and source.get("uid") != "${DS_PROMETHEUS}":
            problems.append(f"panel {panel.get('title')!r}: datasource is not ${{DS_PROMETHEUS}}")
    return problems


def exposition_families(text):
    families = set()
    for line in text.splitlines():
        match = re.match(r"# TYPE (\S+) ", line) or re.match(r"([A-Za-z_:][\w:]*)[{ ]", line)
        if match:
            families.add(match.group(1))
    return families


def main(arguments):
    if arguments == ["--self-test"]:
        return self_test()
    path, exposition = DASHBOARD, None
    while arguments:
        argument = arguments.pop(0)
        if argument == "--exposition":
            exposition = arguments.pop(0)
        else:
            path = argument
    exported = exported_metrics()
    problems = check(json.load(open(path, encoding="utf-8")), exported)
    if exposition:
        for family in sorted(exposition_families(open(exposition, encoding="utf-8").read())):
            if not known(family, exported):
                problems.append(f"/metrics exports `{family}`, which the source reading did not find (fix exported_metrics)")
    for text in problems:
        print(f"problem: {text}", file=sys.stderr)
    if problems:
        return 1
    queries = dashboard_queries(json.load(open(path, encoding="utf-8")))
    used = sorted({name for _, expr in queries for name in promql_metric_names(expr)})
    print(f"{os.path.relpath(path, ROOT)}: {len(queries)} queries over {len(used)} of the {len(exported)} exported metrics")
    return 0


def self_test():
    exported = {"gatehouse_payments": "plain", "hb_requests": "plain", "http_server_request_duration": "histogram"}
    cases = {
        'max by (status) (gatehouse_payments{job="$job", status=~"success|failed"})': ["gatehouse_payments"],
        "histogram_quantile(0.99, sum by (le, http_route) (rate(http_server_request_duration_bucket{job=\"$job\"}[$__rate_interval])))":
            ["http_server_request_duration_bucket"],
        "delta(max(gatehouse_payments{status=\"success\"})[1h:1m]) / delta(max(sum by (instance) (gatehouse_payments))[1h:1m])":
            ["gatehouse_payments", "gatehouse_payments"],
        "sum(rate(hb_requests[5m])) or vector(0)": ["hb_requests"],
        "max(gatehouse_payments offset 1h) > bool 0": ["gatehouse_payments"],
    }
    failures = []
    for expr, expected in cases.items():
        if promql_metric_names(expr) != expected:
            failures.append(f"names of `{expr}`: {promql_metric_names(expr)}, expected {expected}")

    def dashboard(expr, variable="label_values(gatehouse_payments, job)"):
        return {"schemaVersion": 39, "templating": {"list": [{"type": "query", "name": "job", "query": {"query": variable}}]},
                "panels": [{"id": 1, "type": "timeseries", "title": "t", "datasource": {"uid": "${DS_PROMETHEUS}"},
                            "targets": [{"refId": "A", "expr": expr}]}]}

    if check(dashboard("sum(rate(hb_requests[5m]))"), exported):
        failures.append(f"a good dashboard was refused: {check(dashboard('sum(rate(hb_requests[5m]))'), exported)}")
    for bogus, name in [("sum(rate(gatehouse_bogus_total[5m]))", "gatehouse_bogus_total"),
                        ("rate(hb_requests_bucket[5m])", "hb_requests_bucket"),  # a counter has no buckets
                        ("max(gatehouse_payment{status=\"success\"})", "gatehouse_payment")]:
        refused = check(dashboard(bogus), exported)
        if not any(f"`{name}` is not a metric Gatehouse exports" in text for text in refused):
            failures.append(f"a dashboard reading {name} was not refused: {refused}")
    if not any("gatehouse_nothing" in text for text in check(dashboard("hb_requests", "label_values(gatehouse_nothing, job)"), exported)):
        failures.append("a template variable over an unknown metric was not refused")
    # The real sources give the names the dashboard relies on.
    real = exported_metrics() if os.path.exists(os.path.join(ROOT, HUMMINGBIRD_METRICS)) else None
    if real is not None:
        for name in ["gatehouse_payments", "gatehouse_rate_limit_refusals_total", "hb_requests", "http_server_request_duration"]:
            if name not in real:
                failures.append(f"the source reading did not find {name}")
    for text in failures:
        print(f"problem: self-test: {text}", file=sys.stderr)
    if not failures:
        print(f"grafana_check self-test: {len(cases)} expressions parsed, bogus metrics refused"
              + ("" if real is not None else " (source reading skipped: no resolved Hummingbird checkout)"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
