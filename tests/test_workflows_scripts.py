"""The small scripts the workflows run: the preview comment body and the stack URL."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / ".github" / "scripts"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"workflow_{name}", SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


preview_comment = _load("preview_comment")


@pytest.mark.parametrize(
    ("outputs", "url"),
    [
        ({"url": "https://pr-42.dev.example.com"}, "https://pr-42.dev.example.com"),
        ({"outputs": {"url": "https://a"}}, "https://a"),
        ({"url": {"value": "https://b", "secret": False}}, "https://b"),
        ({"serviceName": "x"}, ""),
        ([], ""),
    ],
)
def test_preview_url(outputs: object, url: str) -> None:
    assert preview_comment.preview_url(outputs) == url


def test_comment_body_and_truncation() -> None:
    body = preview_comment.comment_body("## Diff\n+ 3 to create\n", "https://u", "repo@sha256:abc")
    assert "- URL: https://u" in body and "`repo@sha256:abc`" in body and "+ 3 to create" in body
    long = preview_comment.comment_body("x" * 100_000, "", "img")
    assert len(long) < 65_536 and "truncated" in long and "_not exported_" in long


def test_script_writes_step_outputs(tmp_path: Path) -> None:
    diff, outputs, out = tmp_path / "diff.md", tmp_path / "outputs.json", tmp_path / "out"
    diff.write_text("EOF\nchanges\n")  # a body line that looks like a heredoc end must not end the value
    outputs.write_text(json.dumps({"url": "https://pr-7.example.com"}))
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / "preview_comment.py"), str(diff), str(outputs), "img@sha256:1"],
        env={"GITHUB_OUTPUT": str(out)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert text.startswith("url=https://pr-7.example.com\nbody<<EOF_")
    delimiter = text.splitlines()[1].removeprefix("body<<")
    body = text.split(f"body<<{delimiter}\n", 1)[1].split(f"{delimiter}\n", 1)[0]
    assert "EOF\nchanges" in body


def test_stack_url_reads_stdin() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / "stack_url.py")],
        input=json.dumps({"url": "https://dev.example.com"}),
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "https://dev.example.com\n")
