#!/usr/bin/env bash
# Install siting into .venv and run the demo on the bundled Monaco data.
# Extra arguments go to `siting demo` (e.g. --offline, --json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
exec .venv/bin/siting demo "$@"
