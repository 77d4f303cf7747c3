"""The layers of the package point one way: every `ecsdelivery` import (at module level or inside a function)
goes to a layer this table allows, and the pure layers import no third-party package."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ecsdelivery"

#: Standard library only: the policy pack, `--help` and the reports import these without pulumi or pydantic.
PURE = (
    "errors.py",
    "facts.py",
    "naming.py",
    "settings.py",
    "events.py",
    "resources.py",
    "replace_only.py",
    "reports/cost.py",
    "reports/rollout.py",
    "guardrails/rules.py",
    "config/priorities.py",
)
#: layer -> the layers it may import (besides itself). A layer is the first part below `ecsdelivery`.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "facts": set(),
    "settings": set(),
    "events": {"errors"},
    "naming": {"facts"},
    "resources": {"facts"},
    "replace_only": set(),
    "images": {"errors", "facts"},
    "reports": {"resources", "facts", "naming"},
    "guardrails": {"resources", "facts", "naming"},
    "iam": {"errors", "facts", "naming", "resources"},
    "config": {"errors", "facts", "naming", "settings"},
    "components": {"facts", "naming", "settings", "replace_only"},
    "stack": {"config", "errors", "facts", "images", "naming", "settings"},
    "program": {"components", "config", "errors", "facts", "naming", "settings", "stack"},
    "synth": {"errors", "facts", "naming", "program", "replace_only", "stack", "settings", "config"},
}
#: Only the command line's own layers may import the command handlers and the driver sits under them.
TOP = {"cli", "commands", "driver", "bootstrap", "__main__", "ecsdelivery"}
THIRD_PARTY = ("pulumi", "pulumi_aws", "pulumi_awsx", "boto3", "botocore", "pydantic", "yaml", "moto")


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "ecsdelivery"


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        found.append((".".join(parts[:-1] if parts[-1] == "__init__" else parts), path))
    return found


def test_every_layer_is_in_the_table() -> None:
    layers = {_layer(module) for module, _ in _modules()}
    assert layers - set(ALLOWED) - TOP == set()
    assert len(layers) >= 15  # the walk saw the package


@pytest.mark.parametrize(("module", "path"), _modules(), ids=[m for m, _ in _modules()])
def test_imports_follow_the_layers(module: str, path: Path) -> None:
    layer = _layer(module)
    for imported in _imports(path):
        if imported == "programs" or imported.startswith("programs."):
            pytest.fail(f"{module} imports the top-level package {imported!r}")
        if not imported.startswith("ecsdelivery."):
            continue
        target = _layer(imported)
        if layer in TOP or target == layer:
            continue
        assert target not in TOP, f"{module} imports {imported}: only the command line may use {target}"
        assert target in ALLOWED[layer], f"{module} ({layer}) imports {imported} ({target}): not below it"


@pytest.mark.parametrize("name", PURE)
def test_pure_modules_import_no_third_party_package(name: str) -> None:
    for imported in _imports(PACKAGE / name):
        top = imported.split(".")[0]
        assert top not in THIRD_PARTY, f"{name} imports {imported}"
        assert top in {"ecsdelivery", "__future__"} or top in sys.stdlib_module_names, f"{name} imports {imported}"


def test_the_table_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from ecsdelivery.config import load_stack\n")
    assert "ecsdelivery.config" in set(_imports(bad))
    assert "config" not in ALLOWED["components"]
