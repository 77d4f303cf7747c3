#!/usr/bin/env bash
# Install ecsdelivery into .venv and deploy the dev stack to a local AWS emulator.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[local]"
.venv/bin/python -m ecsdelivery validate
exec .venv/bin/python -m ecsdelivery up dev --local "$@"
