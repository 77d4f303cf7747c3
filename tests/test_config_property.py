"""Property: whatever a stack file says, loading gives a StackConfig or a ConfigError, never another exception.

A StackConfig that loads is whole: validating its own dump again gives the same config (nothing the loader
decided is lost or contradicts a rule). A ConfigError names the file, the line and the key of every problem.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecsdelivery.config import StackConfig, load_stack
from ecsdelivery.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
CATALOG = yaml.safe_load((ROOT / "stacks" / "catalog" / "defaults.yaml").read_text())
VALID: dict[str, Any] = {
    **CATALOG,
    "accounts": ["222222222222"],
    "platform": {"mode": "create", "nat": "none", "vpc_endpoints": "provided", "availability_zones": 2},
    "preview": {"host_template": "pr-{pr}.preview.example.com", "ttl_hours": 72},
}
VALID["services"]["web"].update(
    {
        "cpu": 512,
        "memory": 1024,
        "autoscaling": {"enabled": True, "min": 1, "max": 3, "cpu_target": 50},
        "capacity": {"on_demand_weight": 1, "spot_weight": 1},
    }
)
VALID["services"]["web"]["containers"][0].update(
    {"secrets": {"DB": {"ssm": "/web/db"}}, "health_check": {"command": ["CMD", "true"]}}
)

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    paths = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            paths += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            paths += _paths(value, (*prefix, index))
    return paths


ALL_PATHS = _paths(VALID)[1:]

scalars = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(allow_nan=False) | st.text(max_size=20)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


@st.composite
def deep(draw: st.DrawFn) -> Any:
    value: Any = draw(scalars)
    for _ in range(draw(st.integers(1, 120))):
        value = [value] if draw(st.booleans()) else {"k": value}
    return value


mutations = st.tuples(
    st.sampled_from(["drop", "replace", "add", "deep"]),
    st.sampled_from(ALL_PATHS),
    values,
    deep(),
    st.text(min_size=1, max_size=10),
)


def _mutate(data: dict, kind: str, path: tuple, value: Any, nested: Any, key: str) -> dict:
    data = copy.deepcopy(data)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if kind == "drop":
        del parent[last]
    elif kind == "replace":
        parent[last] = value
    elif kind == "deep":
        parent[last] = nested
    elif isinstance(parent[last], dict):
        parent[last][key] = value
    else:
        parent[last] = {key: value}
    return data


def _load(stacks: Path, env: str, text: str) -> StackConfig | None:
    (stacks / f"{env}.yaml").write_text(text)
    try:
        return load_stack(env, stacks_dir=stacks, pr=5 if env == "preview" else None)
    except ConfigError as err:
        assert err.problems, "a ConfigError carries at least one problem"
        for problem in err.problems:
            assert problem.startswith(str(stacks)) or problem.startswith("stacks"), problem
            assert "\n" not in problem
        return None


def _check_loaded(result: StackConfig | None) -> None:
    """A loaded config survives validating its own dump unchanged."""
    if result is not None:
        assert StackConfig.model_validate(result.model_dump()) == result


def test_the_unmutated_document_is_valid(tmp_path: Path) -> None:
    result = _load(tmp_path, "dev", yaml.safe_dump(VALID))
    assert isinstance(result, StackConfig)
    _check_loaded(result)


@pytest.mark.parametrize("key", ["namespace", "app", "region", "accounts", "ecr"])
def test_dropping_a_required_key_is_one_problem_naming_it(tmp_path: Path, key: str) -> None:
    data = copy.deepcopy(VALID)
    del data[key]
    (tmp_path / "dev.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as caught:
        load_stack("dev", stacks_dir=tmp_path)
    assert any(f": {key}:" in problem for problem in caught.value.problems), caught.value.problems


@SETTINGS
@given(mutation=mutations)
def test_structural_mutations(tmp_path: Path, mutation: tuple) -> None:
    data = _mutate(VALID, *mutation)
    _check_loaded(_load(tmp_path, "dev", yaml.safe_dump(data)))


@SETTINGS
@given(position=st.integers(0, 10_000), junk=st.text(max_size=8), env=st.sampled_from(["dev", "preview"]))
def test_text_mutations(tmp_path: Path, position: int, junk: str, env: str) -> None:
    data = copy.deepcopy(VALID)
    if env == "preview":
        data["environment"] = "preview"
        data["platform"] = {"mode": "stack", "stack": "dev"}
    text = yaml.safe_dump(data)
    at = position % (len(text) + 1)
    _check_loaded(_load(tmp_path, env, text[:at] + junk + text[at:]))


@pytest.mark.parametrize("depth", [50, 400, 5000])
def test_very_deep_nesting(tmp_path: Path, depth: int) -> None:
    text = "namespace: " + "[" * depth + "]" * depth + "\n"
    assert _load(tmp_path, "dev", text) is None
