"""The JSON Schema file is current, every field is documented, Fargate sizes and host names are right."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from ecsdelivery.config import FARGATE_SIZES, StackConfig, check_size, stack_schema
from ecsdelivery.config import models as config_models
from ecsdelivery.config.models import is_host_name

ROOT = Path(__file__).resolve().parent.parent


def test_schema_file_is_up_to_date() -> None:
    on_disk = json.loads((ROOT / "schema" / "stack.schema.json").read_text())
    assert on_disk == stack_schema(), "regenerate: python -m ecsdelivery schema > schema/stack.schema.json"


def test_schema_forbids_unknown_keys_and_knows_import() -> None:
    schema = stack_schema()
    assert schema["additionalProperties"] is False
    assert "import" in schema["properties"]
    assert "pr" not in schema["properties"]
    assert "required" not in schema


@pytest.mark.parametrize("path", sorted((ROOT / "stacks").rglob("*.yaml")), ids=lambda p: p.name)
def test_stack_files_point_editors_at_the_schema(path: Path) -> None:
    depth = len(path.relative_to(ROOT / "stacks").parts) - 1
    expected = f"# yaml-language-server: $schema={'../' * (depth + 1)}schema/stack.schema.json"
    assert path.read_text().splitlines()[0] == expected


def _models() -> list[type[BaseModel]]:
    return [
        value
        for value in vars(config_models).values()
        if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == config_models.__name__
    ]


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_every_field_is_documented_with_its_default(model: type[BaseModel]) -> None:
    assert model.model_config.get("extra") == "forbid"
    for name, field in model.model_fields.items():
        assert field.description, f"{model.__name__}.{name} has no description"
        if not field.is_required() and name not in ("pr", "stack_file"):
            nested = isinstance(field.default_factory, type)
            assert nested or "Default" in field.description, f"{model.__name__}.{name}: say its default"


FARGATE = [
    (256, 512, True),
    (256, 2048, True),
    (256, 3072, False),
    (512, 4096, True),
    (1024, 8192, True),
    (2048, 16384, True),
    (4096, 30720, True),
    (4096, 31744, False),
    (8192, 16384, True),
    (8192, 20480, True),
    (8192, 18432, False),
    (16384, 32768, True),
    (16384, 122880, True),
    (16384, 36864, False),
    (300, 512, False),
    (32768, 65536, False),
]


@pytest.mark.parametrize(("cpu", "memory", "valid"), FARGATE)
def test_fargate_sizes(cpu: int, memory: int, valid: bool) -> None:
    assert (check_size(cpu, memory) is None) is valid


def test_fargate_table_shape() -> None:
    assert list(FARGATE_SIZES) == [256, 512, 1024, 2048, 4096, 8192, 16384]
    assert len(FARGATE_SIZES[16384]) == 12


@pytest.mark.parametrize(
    ("host", "valid"),
    [
        ("example.com", True),
        ("pr-42.preview.example.com", True),
        ("*.example.com", True),
        ("localhost", True),
        ("Example.com", False),
        ("-a.example.com", False),
        ("a-.example.com", False),
        ("a..b", False),
        ("a_b.example.com", False),
        ("a" * 64 + ".com", False),
        (".".join(["a" * 60] * 5), False),
        ("", False),
        ("exa mple.com", False),
    ],
)
def test_host_names(host: str, valid: bool) -> None:
    assert is_host_name(host) is valid


def test_stack_config_is_exported() -> None:
    import ecsdelivery

    assert ecsdelivery.StackConfig is StackConfig
