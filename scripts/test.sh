#!/usr/bin/env bash
# Install everything the tests need, then lint and run the whole test suite.
# This is the README's test command; .ci/run calls exactly this. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}

# Debian's chromium for the real-browser tests (Playwright cannot download its own browser here)
# and Debian's nginx for the proxy tests (tests/test_proxy.py runs it in the foreground, as the
# test's own process: no system service is used).
MISSING=()
[[ -x /usr/bin/chromium ]] || MISSING+=(chromium)
[[ -x /usr/sbin/nginx ]] || MISSING+=(nginx)
# Debian's redis-server for the class store's tests (tests/test_classroom.py starts its own)
[[ -x /usr/bin/redis-server ]] || MISSING+=(redis-server)
# a Chinese font, so the real-browser screenshots of the Chinese pages show characters, not boxes
[[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]] || MISSING+=(fonts-wqy-microhei)
if ((${#MISSING[@]})); then
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${MISSING[@]}" >/dev/null
fi

[[ -x .venv/bin/python ]] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements-dev.txt
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest "$@"
