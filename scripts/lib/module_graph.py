#!/usr/bin/env python3
"""Checks that Package.swift is true to the code: every module imports exactly the target dependencies it declares
(no undeclared import, no unused dependency), and no module imports one on its own floor or above.

The floors are the graph comment at the top of Package.swift; this script reads them from there, so the comment and
the check cannot drift apart. Usage: scripts/lib/module_graph.py [package dir]   (exit 1 and a list of problems)."""
import json, os, re, subprocess, sys

root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))
manifest = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=root, check=True, capture_output=True, text=True).stdout)

# Floors from the graph comment: `//   5. Tenancy, Notifications      what they own`.
floors = {}
header = open(os.path.join(root, "Package.swift")).read().split("let package")[0]
for number, names in re.findall(r"^//\s+(\d+)\.\s+([A-Za-z]+(?:,\s*[A-Za-z]+)*)", header, re.M):
    for name in re.split(r",\s*", names):
        floors[name] = int(number)

problems = []
for target in manifest["targets"]:
    if target["type"] == "system":
        continue
    name = target["name"]
    path = target.get("path") or os.path.join("Tests" if target["type"] == "test" else "Sources", name)
    declared = set()
    for dep in target["dependencies"]:
        if "byName" in dep:
            declared.add(dep["byName"][0])
        elif "product" in dep:
            declared.add(dep["product"][0])
        elif "target" in dep:
            declared.add(dep["target"][0])
    imported = set()
    for directory, _, files in os.walk(os.path.join(root, path)):
        for file in files:
            if file.endswith(".swift"):
                source = open(os.path.join(directory, file)).read()
                imported |= set(re.findall(r"^(?:@testable |@_exported |public |package |internal )*import (?:struct |enum |class |func )?(\w+)", source, re.M))
    system = {"Foundation", "FoundationEssentials", "Dispatch", "Glibc", "Darwin", "Synchronization", "Testing", "XCTest", "_Concurrency", "Observation", "Musl"}
    # Products whose module name differs from the product, or that bring several modules.
    aliases = {"Prometheus": {"Prometheus"}, "Metrics": {"Metrics", "CoreMetrics"}}
    provided = set()
    for dep in declared:
        provided |= aliases.get(dep, {dep})
    for module in sorted(imported - system - provided):
        problems.append(f"{name}: imports {module} but does not declare it")
    for dep in sorted(declared):
        if not (aliases.get(dep, {dep}) & imported) and not dep.startswith("C") and dep not in {"StorageTestSupport"}:
            problems.append(f"{name}: declares {dep} but never imports it")
    if target["type"] == "regular" and name in floors and floors[name]:
        for module in sorted(imported & set(floors)):
            if module != name and floors.get(module) and floors[module] >= floors[name]:
                problems.append(f"{name} (floor {floors[name]}): imports {module} (floor {floors[module]})")

for problem in problems:
    print(problem)
print(f"module graph: {len(problems)} problem(s)" if problems else "module graph: every module imports exactly what Package.swift declares, floors respected")
sys.exit(1 if problems else 0)
