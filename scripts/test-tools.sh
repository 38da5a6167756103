#!/usr/bin/env bash
# Install the system tools the test suite uses when they are missing:
# systemd-analyze (to verify the unit file). PostgreSQL is handled by test-postgres.sh.
set -euo pipefail

if command -v systemd-analyze >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "test-tools: systemd-analyze is missing; install Debian's 'systemd' package" >&2
    exit 2
fi
echo "test-tools: installing systemd (for systemd-analyze)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends systemd >/dev/null
