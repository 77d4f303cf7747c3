"""Print the `url` output from `python -m ecsdelivery outputs ENV --json` read on stdin (empty when absent)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from preview_comment import preview_url  # a sibling script, not a package

if __name__ == "__main__":
    try:
        print(preview_url(json.load(sys.stdin)))
    except ValueError:
        print("")
