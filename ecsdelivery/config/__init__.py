"""Stack files -> validated `StackConfig`: imports, deep merge, `${VAR}` interpolation, clear errors.

from ecsdelivery.config import load_stack
config = load_stack("dev")                  # stacks/dev.yaml (+ its imports)
config = load_stack("preview", pr=42)       # the pr-42 stack
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecsdelivery.config.fargate import FARGATE_SIZES, LOG_RETENTION_DAYS, check_size
    from ecsdelivery.config.loader import interpolate, list_environments, load_stack
    from ecsdelivery.config.models import (
        AutoscalingConfig,
        CapacityConfig,
        ContainerConfig,
        ContainerHealthCheck,
        CreatePlatform,
        DeploymentConfig,
        EcrConfig,
        EcrLifecycle,
        ExistingPlatform,
        GithubConfig,
        PlatformConfig,
        PreviewSettings,
        PromotionConfig,
        RoutingConfig,
        SecretRef,
        ServiceConfig,
        StackConfig,
        StackPlatform,
        StateConfig,
        TargetHealthCheck,
    )

# Imported on first use (PEP 562): the pure submodules (`priorities`, `fargate`) must not load pydantic.
_MODULES = {
    "FARGATE_SIZES": "fargate",
    "LOG_RETENTION_DAYS": "fargate",
    "check_size": "fargate",
    "interpolate": "loader",
    "list_environments": "loader",
    "load_stack": "loader",
}

__all__ = [
    "FARGATE_SIZES",
    "LOG_RETENTION_DAYS",
    "AutoscalingConfig",
    "CapacityConfig",
    "ContainerConfig",
    "ContainerHealthCheck",
    "CreatePlatform",
    "DeploymentConfig",
    "EcrConfig",
    "EcrLifecycle",
    "ExistingPlatform",
    "GithubConfig",
    "PlatformConfig",
    "PreviewSettings",
    "PromotionConfig",
    "RoutingConfig",
    "SecretRef",
    "ServiceConfig",
    "StackConfig",
    "StackPlatform",
    "StateConfig",
    "TargetHealthCheck",
    "check_size",
    "interpolate",
    "list_environments",
    "load_stack",
    "stack_schema",
]


def __getattr__(name: str) -> Any:
    if name not in __all__ or name == "stack_schema":
        raise AttributeError(f"module 'ecsdelivery.config' has no attribute {name!r}")
    module = importlib.import_module(f"ecsdelivery.config.{_MODULES.get(name, 'models')}")
    value = getattr(module, name)
    globals()[name] = value
    return value


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
    from ecsdelivery.config.models import StackConfig

    schema = StackConfig.model_json_schema()
    _optional_keys(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ecsdelivery stack file"
    schema["properties"]["import"] = {
        "description": "Files (relative to this one) merged underneath this file's content, in order.",
        "type": "array",
        "items": {"type": "string"},
    }
    return schema
