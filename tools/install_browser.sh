#!/usr/bin/env bash
# Install Debian's headless Chromium and its WebDriver for the real-browser map test.
#
# Idempotent and quiet: does nothing when /usr/bin/chromium and /usr/bin/chromedriver
# already exist. Needs root (or sudo) and Debian/Ubuntu apt. Used by tools/test.sh.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

if have chromium && have chromedriver; then
    exit 0
fi

if ! have apt-get; then
    echo "install_browser.sh: apt-get not found; install chromium and chromium-driver by hand" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if have sudo; then
        SUDO="sudo"
    else
        echo "install_browser.sh: run as root (or install sudo) to apt-get install chromium chromium-driver" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Refresh the package lists only when the candidate is unknown (fresh containers have none).
if ! apt-cache policy chromium-driver 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    $SUDO apt-get update -qq >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >"$log" 2>&1; then
    cat "$log" >&2
    exit 1
fi
have chromium && have chromedriver || { echo "install_browser.sh: chromium still missing after install" >&2; exit 1; }
echo "installed $(chromium --version 2>/dev/null | head -1)"
