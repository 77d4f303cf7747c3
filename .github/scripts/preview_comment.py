"""Build the preview PR comment from `diff --markdown` and `outputs --json`; write step outputs `url` and `body`.

Usage (in a workflow step): python .github/scripts/preview_comment.py DIFF_MD OUTPUTS_JSON IMAGE
Standard library only, so it runs before or without installing anything.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path

#: GitHub rejects comments over 65536 characters; leave room for the header.
MAX_DIFF = 60000


def preview_url(outputs: object) -> str:
    """The `url` output, whether `outputs --json` prints the outputs flat or under an `outputs` key."""
    if not isinstance(outputs, dict):
        return ""
    value = outputs.get("url")
    if value is None and isinstance(outputs.get("outputs"), dict):
        value = outputs["outputs"].get("url")
    if isinstance(value, dict):  # {"value": ..., "secret": false} as the Automation API returns it
        value = value.get("value")
    return str(value or "")


def comment_body(diff: str, url: str, image: str) -> str:
    """Markdown for the PR comment: URL, image, then the diff summary (truncated to fit a comment)."""
    if len(diff) > MAX_DIFF:
        diff = diff[:MAX_DIFF] + "\n\n_(diff truncated; the full diff is in the workflow log)_\n"
    lines = [
        "### Preview environment",
        "",
        f"- URL: {url or '_not exported_'}",
        f"- Image: `{image}`",
        "",
        diff.strip() or "_no changes_",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    diff_path, outputs_path, image = argv
    diff = Path(diff_path).read_text(encoding="utf-8") if Path(diff_path).exists() else ""
    try:
        outputs = json.loads(Path(outputs_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        outputs = {}
    url = preview_url(outputs)
    body = comment_body(diff, url, image)
    delimiter = f"EOF_{secrets.token_hex(16)}"  # a random delimiter: the body cannot end the value early
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
        out.write(f"url={url}\n")
        out.write(f"body<<{delimiter}\n{body}{delimiter}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
