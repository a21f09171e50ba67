#!/usr/bin/python3
# Copyright (c) the Gatehouse authors
"""Checks of deploy/ that need more than shell: used by scripts/deploy-check (Debian's python3 with python3-yaml).

  deploy_check.py dockerfile deploy/Dockerfile          facts of the Dockerfile as shell assignments (and checks)
  deploy_check.py runtime-libraries BINARY PKG...       the binary's libraries (ldd) against the runtime packages
  deploy_check.py compose deploy/compose.yaml           structure of the compose file
  deploy_check.py nginx-site SRC OUT KEY=VALUE...       a copy of the nginx site with test ports and paths
  deploy_check.py rules deploy/prometheus/...yaml       alert rules name the metrics and labels we promise

Every command prints what it checked; a problem is printed as `problem: …` and the exit status is 1.
"""

import json
import re
import shlex
import subprocess
import sys

problems = []


def problem(text):
    problems.append(text)
    print(f"problem: {text}", file=sys.stderr)


def finish():
    sys.exit(1 if problems else 0)


# MARK: Dockerfile

def dockerfile_instructions(path):
    """(marker, keyword, arguments) per instruction; `# deploy-check: NAME` comments mark the next instruction."""
    result, marker, current = [], None, ""
    for raw in open(path, encoding="utf-8"):
        line = raw.rstrip("\n")
        stripped = line.strip()
        if not current:
            if stripped.startswith("#"):
                found = re.match(r"#\s*deploy-check:\s*(\S+)", stripped)
                if found:
                    marker = found.group(1)
                continue
            if not stripped:
                continue
        elif stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        keyword, _, arguments = current.strip().partition(" ")
        result.append((marker, keyword.upper(), arguments.strip()))
        marker, current = None, ""
    return result


def apt_packages(run_arguments):
    """The package names of the `apt-get install` in a RUN instruction."""
    match = re.search(r"apt-get install((?:\s+(?!&&)\S+)+)", run_arguments)
    if not match:
        return []
    return [word for word in match.group(1).split() if not word.startswith("-")]


def command_dockerfile(path):
    instructions = dockerfile_instructions(path)
    stages = [i for i, (_, keyword, _) in enumerate(instructions) if keyword == "FROM"]
    if len(stages) < 2:
        problem("the Dockerfile must be multi-stage (a Swift builder and a slim runtime)")
        finish()
    facts = {}
    arguments = {k: v for _, keyword, a in instructions if keyword == "ARG" and "=" in a for k, v in [a.split("=", 1)]}
    facts["SWIFT_VERSION"] = arguments.get("SWIFT_VERSION", "")
    build_from = instructions[stages[0]][2]
    runtime_from = instructions[stages[-1]][2]
    facts["BUILDER_IMAGE"] = build_from.split()[0].replace("${SWIFT_VERSION}", facts["SWIFT_VERSION"])
    facts["RUNTIME_IMAGE"] = runtime_from.split()[0]
    if not re.fullmatch(r"swift:[0-9.]+-bookworm", facts["BUILDER_IMAGE"]):
        problem(f"the builder must be swift:<version>-bookworm (same Debian as the runtime), got {facts['BUILDER_IMAGE']}")
    if facts["RUNTIME_IMAGE"] != "debian:bookworm-slim":
        problem(f"the runtime stage must be debian:bookworm-slim, got {facts['RUNTIME_IMAGE']}")

    marked = {marker: (keyword, a) for marker, keyword, a in instructions if marker}
    build = marked.get("build-command")
    if not build or build[0] != "RUN" or "swift build" not in build[1]:
        problem("no `# deploy-check: build-command` marker before the RUN swift build instruction")
    else:
        facts["BUILD_COMMAND"] = build[1]
        for flag in ["-c release", "--static-swift-stdlib", "--product gatehouse"]:
            if flag not in build[1]:
                problem(f"the build command lacks {flag}")
    runtime = marked.get("runtime-packages")
    if not runtime or runtime[0] != "RUN":
        problem("no `# deploy-check: runtime-packages` marker before the runtime stage's apt-get install")
    else:
        facts["RUNTIME_PACKAGES"] = " ".join(apt_packages(runtime[1]))
        if "--no-install-recommends" not in runtime[1]:
            problem("the runtime apt-get install must use --no-install-recommends")
    build_stage = instructions[stages[0]:stages[1]]
    build_apt = [a for _, keyword, a in build_stage if keyword == "RUN" and "apt-get install" in a]
    facts["BUILD_PACKAGES"] = " ".join(apt_packages(build_apt[0])) if build_apt else ""

    # The files the build stage copies in (source, destination) — deploy-check loads the package from just these.
    build_copies = []
    for _, keyword, a in build_stage:
        if keyword != "COPY":
            continue
        words = [w for w in a.split() if not w.startswith("--")]
        if any(w.startswith("--from") for w in a.split()):
            continue
        for source in words[:-1]:
            build_copies += [source, words[-1]]
    if "build-context" not in marked:
        problem("no `# deploy-check: build-context` marker before the build stage's source COPY instructions")

    healthcheck_argv = []
    health = marked.get("healthcheck")
    if not health or health[0] != "HEALTHCHECK":
        problem("no `# deploy-check: healthcheck` marker before HEALTHCHECK")
    else:
        command = health[1][health[1].index("CMD") + 3:].strip()
        try:
            argv = json.loads(command)
        except json.JSONDecodeError:
            problem("HEALTHCHECK CMD must be the exec (JSON array) form")
            argv = []
        if "/health" not in " ".join(argv):
            problem("the HEALTHCHECK must ask /health")
        healthcheck_argv = argv

    runtime_stage = instructions[stages[-1]:]
    users = [a for _, keyword, a in runtime_stage if keyword == "USER"]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problem("the runtime stage must end as a non-root USER")
    entrypoints = [a for _, keyword, a in runtime_stage if keyword == "ENTRYPOINT"]
    facts["ENTRYPOINT"] = json.loads(entrypoints[-1])[0] if entrypoints else ""
    copies = " ".join(a for _, keyword, a in build_stage if keyword == "RUN")
    if ".resources" not in copies:
        problem("the build stage must copy the *.resources bundles next to the binary (Bundle.module finds them there)")

    for key, value in facts.items():
        print(f"{key}={shlex.quote(value)}")
    print("HEALTHCHECK_ARGV=(" + " ".join(shlex.quote(word) for word in healthcheck_argv) + ")")
    print("BUILD_COPIES=(" + " ".join(shlex.quote(word) for word in build_copies) + ")")
    finish()


# MARK: Runtime libraries

# Packages in the runtime list that provide no library to the binary, and why they are there anyway.
DATA_PACKAGES = {
    "ca-certificates": "the CA bundle libcurl (SMTP over TLS) and AsyncHTTPClient (payOS) verify servers with",
    "tzdata": "the time zone database Foundation reads",
}


def run(arguments):
    return subprocess.run(arguments, capture_output=True, text=True, check=False)


def owning_package(library_path):
    """The Debian package that installed a library, trying the /usr-merged spellings of its path."""
    candidates = [library_path]
    resolved = run(["realpath", library_path]).stdout.strip()
    for path in [library_path, resolved]:
        if path.startswith("/usr/"):
            candidates.append(path[len("/usr"):])
        else:
            candidates.append("/usr" + path)
        candidates.append(path)
    for path in dict.fromkeys(candidates):
        answer = run(["dpkg", "-S", path])
        if answer.returncode == 0:
            return answer.stdout.split(":")[0].strip()
    return None


def dependency_closure(packages):
    """The packages and everything they depend on (Depends and Pre-Depends, recursively)."""
    answer = run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
                  "--no-breaks", "--no-replaces", "--no-enhances", *packages])
    closure = set(packages)
    for line in answer.stdout.splitlines():
        if line and not line.startswith(" "):
            closure.add(line.strip().split(":")[0])
        else:
            match = re.match(r"\s+\|?(?:Pre)?Depends:\s+<?([^\s>:]+)", line)
            if match:
                closure.add(match.group(1))
    return closure


def command_runtime_libraries(binary, packages):
    ldd = run(["ldd", binary])
    if ldd.returncode != 0:
        problem(f"ldd {binary} failed: {ldd.stderr.strip()}")
        finish()
    libraries = {}
    for line in ldd.stdout.splitlines():
        line = line.strip()
        if "not found" in line:
            problem(f"unresolved library: {line}")
            continue
        match = re.match(r"(\S+) => (\S+)", line) or re.match(r"(/\S+) \(", line)
        if match:
            name = match.group(1)
            path = match.group(2) if match.re.groups == 2 else match.group(1)
            libraries[name] = path
    # debian:bookworm-slim is debootstrap's minbase: the Priority: required packages plus apt.
    base = dependency_closure(["apt"])
    allowed = dependency_closure(packages) | base
    direct = {}
    print(f"{'library':34} {'package':22} reason")
    for name, path in sorted(libraries.items()):
        package = owning_package(path)
        if package is None:
            problem(f"{name} ({path}) belongs to no Debian package")
            continue
        if package in packages:
            reason = "listed"
            direct.setdefault(package, []).append(name)
        elif package in allowed - base:
            reason = "dependency of a listed package"
        elif package in base:
            reason = "in debian:bookworm-slim"
        else:
            priority = run(["dpkg-query", "-W", "-f=${Priority}", package]).stdout.strip()
            if priority == "required":
                reason = "Priority: required (in every Debian image)"
            else:
                problem(f"{name} comes from {package}, which the runtime stage does not install")
                continue
        print(f"{name:34} {package:22} {reason}")
    for package in packages:
        if package in direct:
            continue
        if package in DATA_PACKAGES:
            print(f"{package}: no library; {DATA_PACKAGES[package]}")
        else:
            problem(f"{package} is installed by the runtime stage but the binary loads nothing from it")
    finish()


# MARK: Compose

SECRET_NAMES = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|MASTER_KEYS$|DATABASE_URL$|SMTP_URL$")


def command_compose(path):
    import yaml

    document = yaml.safe_load(open(path, encoding="utf-8"))
    services = document.get("services", {})
    for required in ["mariadb", "migrate", "gatehouse-1", "gatehouse-2", "nginx"]:
        if required not in services:
            problem(f"service {required} is missing")
    declared_secrets = document.get("secrets", {})
    declared_volumes = document.get("volumes", {})
    declared_networks = document.get("networks", {})
    for name, secret in declared_secrets.items():
        if "file" not in secret:
            problem(f"secret {name} must come from a file")
    for name, service in services.items():
        image = service.get("image", "")
        if not image or image.endswith(":latest") or ":" not in image:
            problem(f"{name}: image {image!r} must carry a tag")
        environment = service.get("environment", {})
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment)
        for key, value in environment.items():
            if SECRET_NAMES.search(key) and not key.endswith("_FILE"):
                problem(f"{name}: {key} is a secret given inline; use {key}_FILE and a secret")
            if key.endswith("_FILE") and str(value).startswith("/run/secrets/"):
                secret = str(value)[len("/run/secrets/"):]
                if secret not in (service.get("secrets") or []):
                    problem(f"{name}: {key} names secret {secret}, which the service does not mount")
                if secret not in declared_secrets:
                    problem(f"{name}: secret {secret} is not declared")
        for secret in service.get("secrets") or []:
            if secret not in declared_secrets:
                problem(f"{name}: secret {secret} is not declared")
        for volume in service.get("volumes") or []:
            source = str(volume).split(":")[0]
            if not source.startswith((".", "/")) and source not in declared_volumes:
                problem(f"{name}: volume {source} is not declared")
        for network in service.get("networks") or []:
            if network not in declared_networks:
                problem(f"{name}: network {network} is not declared")
        for dependency, condition in (service.get("depends_on") or {}).items():
            if dependency not in services:
                problem(f"{name}: depends on unknown service {dependency}")
    if services.get("mariadb", {}).get("healthcheck", {}).get("test") is None:
        problem("mariadb needs a healthcheck")
    if not any(str(v).startswith("mariadb-data:") for v in services.get("mariadb", {}).get("volumes", [])):
        problem("mariadb must keep its data in a named volume")
    migrate = services.get("migrate", {})
    if migrate.get("command") != ["migrate"]:
        problem("the migrate service must run `gatehouse migrate`")
    if migrate.get("depends_on", {}).get("mariadb", {}).get("condition") != "service_healthy":
        problem("migrate must wait for a healthy mariadb")
    for instance in ["gatehouse-1", "gatehouse-2"]:
        service = services.get(instance, {})
        if service.get("depends_on", {}).get("migrate", {}).get("condition") != "service_completed_successfully":
            problem(f"{instance} must start only after migrate completed successfully")
        if service.get("command") != ["serve"]:
            problem(f"{instance} must run `gatehouse serve`")
        environment = service.get("environment", {})
        for key in ["GATEHOUSE_DATABASE_URL_FILE", "GATEHOUSE_MASTER_KEY_FILE", "GATEHOUSE_PUBLIC_URL"]:
            if key not in environment:
                problem(f"{instance}: {key} is not set")
        if service.get("ulimits", {}).get("core") != 0:
            problem(f"{instance}: core dumps must be off (ulimits core: 0)")
        if not service.get("read_only"):
            problem(f"{instance}: the root file system should be read-only")
    nginx = services.get("nginx", {})
    mounts = " ".join(nginx.get("volumes", []))
    for needed in ["./nginx/gatehouse.conf:", "./nginx/gatehouse-instances.compose.conf:/etc/nginx/gatehouse-instances.conf",
                   "./nginx/gatehouse-internal.conf:/etc/nginx/gatehouse-internal.conf",
                   "/etc/letsencrypt", "/var/www/certbot"]:
        if needed not in mounts:
            problem(f"nginx must mount {needed}")
    for instance in ["gatehouse-1", "gatehouse-2"]:
        if nginx.get("depends_on", {}).get(instance, {}).get("condition") != "service_healthy":
            problem(f"nginx must wait for a healthy {instance} (it resolves the instance names at start)")
    print(f"compose: {len(services)} services, {len(declared_secrets)} secrets, {len(declared_volumes)} volumes checked")
    finish()


# MARK: nginx

def command_nginx_site(source, output, settings):
    """Writes a copy of the site with the given test values; each one must match exactly as often as expected, so
    the checks follow the file instead of silently testing something else. `loopback=1` also drops the IPv6
    listeners and binds the ports to 127.0.0.1. `realip=ADDRESS` (test only) makes nginx take the client address
    from X-Forwarded-For on requests from ADDRESS, so the check can ask nginx's own allow/deny about any address
    (172.17.0.1, a Docker bridge gateway) from loopback."""
    values = dict(item.split("=", 1) for item in settings)
    text = open(source, encoding="utf-8").read()
    substitutions = {
        # key: (pattern, replacement, expected count)
        "loopback": [
            (r"^\s*listen \[::\]:\d+.*\n", "", 3),
            (r"listen 80;", "listen 127.0.0.1:{http_port};", 1),
            (r"listen 443 ssl default_server;", "listen 127.0.0.1:{https_port} ssl default_server;", 1),
            (r"listen 443 ssl http2;", "listen 127.0.0.1:{https_port} ssl http2;", 1),
        ],
        "certificate": [(r"/etc/letsencrypt/live/pay\.example\.vn/fullchain\.pem", "{certificate}", 1)],
        "key": [(r"/etc/letsencrypt/live/pay\.example\.vn/privkey\.pem", "{key}", 1)],
        "instances": [(r"include /etc/nginx/gatehouse-instances\.conf;", "include {instances};", 1)],
        "internal": [(r"include /etc/nginx/gatehouse-internal\.conf;", "include {internal};", 2)],
        "realip": [(r"^([ \t]*)server_tokens off;\n",
                    "\\1server_tokens off;\n\\1set_real_ip_from {realip};\n\\1real_ip_header X-Forwarded-For;\n", 1)],
        "webroot": [(r"root /var/www/certbot;", "root {webroot};", 1)],
        "logs": [(r"/var/log/nginx/", "{logs}/", 2)],
    }
    for key, rules in substitutions.items():
        if key not in values:
            continue
        for pattern, replacement, expected in rules:
            text, count = re.subn(pattern, replacement.format(**values), text, flags=re.MULTILINE)
            if count != expected:
                problem(f"nginx site: expected {expected} match(es) of {pattern!r}, found {count}: "
                        "update scripts/lib/deploy_check.py together with the site")
    open(output, "w", encoding="utf-8").write(text)
    finish()


# MARK: Prometheus rules

def command_rules(path, expected_alerts):
    import yaml

    document = yaml.safe_load(open(path, encoding="utf-8"))
    alerts = {}
    for group in document.get("groups", []):
        for rule in group.get("rules", []):
            if "alert" in rule:
                alerts[rule["alert"]] = rule
                for field in ["summary", "description"]:
                    if field not in rule.get("annotations", {}):
                        problem(f"alert {rule['alert']} has no {field} annotation")
                if rule.get("labels", {}).get("severity") not in ("page", "ticket"):
                    problem(f"alert {rule['alert']} needs severity page or ticket")
    for name in expected_alerts:
        if name not in alerts:
            problem(f"alert {name} is missing")
    print(f"rules: {len(alerts)} alerts: {', '.join(sorted(alerts))}")
    finish()


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    command, arguments = sys.argv[1], sys.argv[2:]
    if command == "dockerfile":
        command_dockerfile(arguments[0])
    elif command == "runtime-libraries":
        command_runtime_libraries(arguments[0], arguments[1:])
    elif command == "compose":
        command_compose(arguments[0])
    elif command == "nginx-site":
        command_nginx_site(arguments[0], arguments[1], arguments[2:])
    elif command == "rules":
        command_rules(arguments[0], arguments[1:])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
