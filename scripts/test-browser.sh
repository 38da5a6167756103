#!/usr/bin/env bash
# Install the browser the web page tests drive when it is missing: Debian's `chromium`
# and `chromium-driver` (/usr/bin/chromium, /usr/bin/chromedriver), run headless.
# Fails when they are missing and cannot be installed: the browser tests never skip.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "test-browser: chromium or chromedriver is missing; install Debian's" \
        "'chromium' and 'chromium-driver' packages" >&2
    exit 2
fi
echo "test-browser: installing chromium and chromium-driver (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || { echo "test-browser: apt-get update failed" >&2; exit 2; }
apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null \
    || { echo "test-browser: apt-get install chromium chromium-driver failed" >&2; exit 2; }
