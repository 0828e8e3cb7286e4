#!/usr/bin/env bash
# Install Debian's headless Chromium and its WebDriver for the real-browser map test,
# plus a small CJK font (WenQuanYi Micro Hei) so Chinese labels render in screenshots.
#
# Idempotent and quiet: does nothing when chromium, chromedriver and the font exist.
# Needs root (or password-less sudo) and apt (Debian/Ubuntu). Used by tools/test.sh.
# Without them it warns and exits 0 (the browser tests then skip), except with CI=true.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

FONT=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
if have chromium && have chromedriver && [ -f "$FONT" ]; then
    exit 0
fi

if ! have apt-get; then
    echo "install_browser.sh: apt-get not found; install chromium and chromium-driver by hand" >&2
    if [ "${CI:-}" = "true" ]; then exit 1; fi
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if have sudo && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "install_browser.sh: not root: cannot apt-get install chromium chromium-driver fonts-wqy-microhei" >&2
        # In CI the browser test must run; elsewhere it is skipped with this reason.
        if [ "${CI:-}" = "true" ]; then exit 1; fi
        echo "install_browser.sh: the real-browser map tests will be skipped" >&2
        exit 0
    fi
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Refresh the package lists only when the candidate is unknown (fresh containers have none).
if ! apt-cache policy chromium-driver 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    $SUDO apt-get update -qq >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-wqy-microhei >"$log" 2>&1; then
    cat "$log" >&2
    exit 1
fi
have chromium && have chromedriver || { echo "install_browser.sh: chromium still missing after install" >&2; exit 1; }
echo "installed $(chromium --version 2>/dev/null | head -1)"
