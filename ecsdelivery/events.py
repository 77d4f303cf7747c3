"""The GitHub Actions event a run belongs to: which pull request a preview is for.

Standard library only (and the error classes): the offline commands (`synth`, `check`, `cost`) and the driver
both read it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from ecsdelivery.errors import UsageError


def pr_from_event(environ: Mapping[str, str]) -> int | None:
    """The pull request number of the GitHub Actions event (`pull_request.number`, else `number`), if any.

    A payload that cannot be read as JSON, or whose `pull_request.number` and `number` name different pull
    requests, is a `UsageError` (exit 2): guessing would deploy or destroy the wrong preview.
    """
    path = environ.get("GITHUB_EVENT_PATH")
    if not path:
        return None
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as err:
        reason = getattr(err, "strerror", None) or ("nested too deeply" if isinstance(err, RecursionError) else err)
        raise UsageError(
            f"GITHUB_EVENT_PATH {path} is not a readable JSON event payload ({reason}); pass --pr N"
        ) from None
    if not isinstance(payload, dict):
        return None
    pull_request = payload.get("pull_request")
    candidates = [pull_request.get("number") if isinstance(pull_request, dict) else None, payload.get("number")]
    numbers = {n for n in candidates if isinstance(n, int) and not isinstance(n, bool) and n > 0}
    if len(numbers) > 1:
        raise UsageError(
            f"the event payload names two pull requests (pull_request.number {candidates[0]}, number "
            f"{candidates[1]}); pass --pr N"
        )
    return numbers.pop() if numbers else None


__all__ = ["pr_from_event"]
