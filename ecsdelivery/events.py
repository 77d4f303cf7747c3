"""The GitHub Actions event a run belongs to: which pull request a preview is for.

Standard library only: the offline commands (`synth`, `check`, `cost`) and the driver both read it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path


def pr_from_event(environ: Mapping[str, str]) -> int | None:
    """The pull request number of the GitHub Actions event (`pull_request.number`, else `number`), if any."""
    path = environ.get("GITHUB_EVENT_PATH")
    if not path:
        return None
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    pull_request = payload.get("pull_request")
    candidates = [pull_request.get("number") if isinstance(pull_request, dict) else None, payload.get("number")]
    for number in candidates:
        if isinstance(number, int) and not isinstance(number, bool) and number > 0:
            return number
    return None


__all__ = ["pr_from_event"]
