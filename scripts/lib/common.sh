# Shared by the project's scripts: Debian packages, the Swift toolchain on PATH, logging.
# shellcheck shell=bash

# Debian packages Gatehouse builds, tests and runs with.
GATEHOUSE_BUILD_PACKAGES=(pkg-config libsodium-dev libmariadb-dev libsqlite3-dev libqrencode-dev libcurl4-openssl-dev)
GATEHOUSE_TEST_PACKAGES=(mariadb-server mariadb-client python3-venv python3-aiosmtpd chromium zbar-tools librsvg2-bin qrencode fonts-dejavu-core)

gh_log() { printf '[gatehouse] %s\n' "$*" >&2; }

# Installs whichever of the given Debian packages are missing (apt-get update only when needed).
gh_ensure_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        gh_log "missing Debian packages: ${missing[*]} (run as root, or install them: apt-get install ${missing[*]})"
        return 1
    fi
    gh_log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Puts the Swift toolchain on PATH when it is installed at /opt/swift but not on PATH.
gh_ensure_swift() {
    if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
        export PATH="$PATH:/opt/swift/usr/bin"
    fi
    command -v swift >/dev/null 2>&1 || { gh_log "the Swift toolchain (6.1 or newer) is not installed"; return 1; }
}
