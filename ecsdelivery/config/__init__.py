"""Stack files -> validated `StackConfig`: imports, deep merge, `${VAR}` interpolation, clear errors.

from ecsdelivery.config import load_stack
config = load_stack("dev")                  # stacks/dev.yaml (+ its imports)
config = load_stack("preview", pr=42)       # the pr-42 stack
"""

from __future__ import annotations

from ecsdelivery.config import models
from ecsdelivery.config.loader import interpolate, list_environments, load_stack
from ecsdelivery.config.models import *  # noqa: F403  (exactly `models.__all__`)
from ecsdelivery.facts import FARGATE_SIZES, LOG_RETENTION_DAYS, check_size

__all__ = [
    *models.__all__,
    "FARGATE_SIZES",
    "LOG_RETENTION_DAYS",
    "check_size",
    "interpolate",
    "list_environments",
    "load_stack",
    "stack_schema",
]


def _optional_keys(node: object) -> None:
    # A stack file may get any key from its imports, so the editor schema requires none (but `mode`);
    # `python -m ecsdelivery validate` checks the merged result.
    if isinstance(node, dict):
        if "required" in node:
            kept = [key for key in node["required"] if key == "mode"]
            if kept:
                node["required"] = kept
            else:
                del node["required"]
        for value in node.values():
            _optional_keys(value)
    elif isinstance(node, list):
        for value in node:
            _optional_keys(value)


def stack_schema() -> dict:
    """The JSON Schema of a stack file (what `python -m ecsdelivery schema` prints).

    No key is required (a file may get it from its imports) except a platform's `mode`.
    """
    schema = models.StackConfig.model_json_schema()
    _optional_keys(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ecsdelivery stack file"
    schema["properties"]["import"] = {
        "description": "Files (relative to this one) merged underneath this file's content, in order.",
        "type": "array",
        "items": {"type": "string"},
    }
    return schema
