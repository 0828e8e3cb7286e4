#!/usr/bin/env bash
# Install siting with its test extras and headless Chromium, then run the whole
# test suite: ruff, mypy, pytest (unit and real-data tests, notebooks, browser).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh test
if [ -f tools/install_browser.sh ]; then
  bash tools/install_browser.sh
fi
export MPLBACKEND=Agg
echo "== ruff"
.venv/bin/ruff check siting tests bench tools
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
exec .venv/bin/python -m pytest -n 2 --dist loadfile -q "$@"
