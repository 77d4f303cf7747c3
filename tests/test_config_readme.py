"""The README's stack file reference names every key the models accept."""

from __future__ import annotations

import typing
from pathlib import Path

from pydantic import BaseModel

from ecsdelivery.config.loader import _unwrap
from ecsdelivery.config.models import CreatePlatform, ExistingPlatform, StackConfig, StackPlatform

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _keys(model: type[BaseModel], prefix: str) -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        if name in ("pr", "stack_file"):
            continue
        path = f"{prefix}{name}"
        keys.append(path)
        for candidate in _unwrap(field.annotation):
            origin = typing.get_origin(candidate)
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                keys += _keys(candidate, f"{path}.")
            elif origin in (list, dict):
                inner = _unwrap(typing.get_args(candidate)[-1])[0]
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    keys += _keys(inner, f"{path}[]." if origin is list else f"{path}.<name>.")
    return keys


def test_readme_documents_every_key() -> None:
    keys = [k for k in _keys(StackConfig, "") if not k.startswith("platform.")]
    for platform in (CreatePlatform, StackPlatform, ExistingPlatform):
        keys += [f"platform.{name}" for name in platform.model_fields]
    missing = [key for key in keys if f"| `{key}`" not in README]
    assert not missing, f"README's stack file table lacks: {missing}"
