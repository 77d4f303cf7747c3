"""GitHub Actions integration: step outputs, the job summary, log groups and error annotations.

Each function does nothing outside GitHub Actions (when its environment variable is unset).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

from ecsdelivery.errors import MissingRequirementError


def in_actions(environ: Mapping[str, str]) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


@contextmanager
def group(title: str, environ: Mapping[str, str], out: TextIO | None = None) -> Iterator[None]:
    """Fold the lines printed inside into one collapsible log group."""
    out = out or sys.stdout
    if not in_actions(environ):
        yield
        return
    print(f"::group::{title}", file=out, flush=True)
    try:
        yield
    finally:
        print("::endgroup::", file=out, flush=True)


def error_annotation(message: str, environ: Mapping[str, str], out: TextIO | None = None) -> None:
    """An `::error::` line (the first line of `message`) that GitHub shows on the run's page."""
    if in_actions(environ) and message.strip():
        first = message.strip().splitlines()[0].replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        print(f"::error title=ecsdelivery::{first}", file=out or sys.stdout, flush=True)


def _append(environ: Mapping[str, str], variable: str, text: str) -> None:
    """Append `text` to the file `$variable` names; nothing when it is unset. A file that cannot be written is
    `MissingRequirementError` (exit 4): the steps after this one would miss what it should have said."""
    path = environ.get(variable)
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as err:
        raise MissingRequirementError(f"cannot write ${variable} ({path}): {err.strerror or err}") from None


def check_writable(environ: Mapping[str, str]) -> None:
    """Refuse (exit 4) before anything runs when `$GITHUB_OUTPUT` or `$GITHUB_STEP_SUMMARY` cannot be appended
    to: finding out after the deploy would leave the job's later steps without the outputs. Appends nothing."""
    for variable in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        _append(environ, variable, "")


def write_outputs(environ: Mapping[str, str], values: Mapping[str, str | None]) -> None:
    """Append `name=value` lines to `$GITHUB_OUTPUT` (values are single-line)."""
    lines = [f"{name}={(value or '').replace(chr(10), ' ')}\n" for name, value in values.items()]
    _append(environ, "GITHUB_OUTPUT", "".join(lines))


def append_summary(environ: Mapping[str, str], markdown: str) -> None:
    """Append markdown to `$GITHUB_STEP_SUMMARY`."""
    _append(environ, "GITHUB_STEP_SUMMARY", markdown.rstrip() + "\n\n")
