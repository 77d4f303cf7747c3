"""Helpers for the config tests: a throw-away stacks directory with a valid catalog to import."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

BASE = """\
namespace: acme
app: web
region: us-east-1
accounts: ["222222222222"]
ecr:
  name: acme/web
platform:
  mode: create
services:
  web:
    containers:
      - name: web
        port: 8080
    routing: {}
"""


def write_stacks(root: Path, files: dict[str, str]) -> Path:
    """Write `stacks/catalog/base.yaml` (a valid stack) plus `files` (path -> YAML) under `root`."""
    stacks = root / "stacks"
    (stacks / "catalog").mkdir(parents=True, exist_ok=True)
    (stacks / "catalog" / "base.yaml").write_text(BASE)
    for name, text in files.items():
        path = stacks / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return stacks


def validate_error(stacks: Path, env: str) -> str:
    """`python -m ecsdelivery validate ENV` over `stacks`: it must exit 2 with exactly one error line (returned)
    and no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "ecsdelivery", "validate", env, "--stacks-dir", str(stacks)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ecsdelivery: error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def assert_refused(stacks: Path, env: str, expected: str) -> None:
    """Loading ENV from `stacks` fails with a problem containing `expected`, and `validate` says it on its one
    error line (exit 2)."""
    from ecsdelivery.config import load_stack
    from ecsdelivery.errors import ConfigError

    try:
        load_stack(env, stacks_dir=str(stacks))
    except ConfigError as err:
        assert any(expected in line for line in err.problems), err.problems
    else:
        raise AssertionError(f"{env} loaded, but {expected!r} was expected")
    assert expected in validate_error(stacks, env)
