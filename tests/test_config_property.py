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
from config_helpers import write_stacks
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


# --- values reach AWS exactly as written ---------------------------------------------------------------------------

# Unquoted scalars of the kinds YAML 1.1 reinterprets: octal, sexagesimal, floats, hex, underscores, words, dates.
PLAIN_TEXT = st.from_regex(r"[-+.]?[0-9A-Za-z][0-9A-Za-z:._+-]{0,11}", fullmatch=True) | st.sampled_from(
    ["012345", "12:30:00", "1.10", "0x1F", "on", "no", "Yes", "OFF", "2024-01-01", "1_000", ".inf", "0b101", "-0"]
)


def _is_plain_scalar(text: str) -> bool:
    """YAML reads `text` after `KEY: ` as one plain scalar with exactly this text (and not null)."""
    try:
        node = yaml.compose(f"k: {text}\n", Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return False
    value = node.value[0][1] if isinstance(node, yaml.MappingNode) and node.value else None
    return (
        isinstance(value, yaml.ScalarNode)
        and value.style is None
        and value.value == text
        and value.tag != "tag:yaml.org,2002:null"
    )


VALUE_STACK = """\
import: [catalog/base.yaml]
services:
  web:
    desired_count: {count}
    containers:
      - name: web
        port: 8080
        environment:
          VALUE: {text}
    routing: {{}}
"""


def _value_as_loaded(stacks: Path, text: str, count: str = "1") -> tuple[str | None, int | None]:
    """(the environment value, the desired count) AWS would get, or (None, None) when the file is refused."""
    (stacks / "dev.yaml").write_text(VALUE_STACK.format(text=text, count=count))
    try:
        web = load_stack("dev", stacks_dir=stacks).services["web"]
    except ConfigError as err:
        assert all("\n" not in p for p in err.problems)
        return None, None
    return web.containers[0].environment["VALUE"], web.desired_count


@pytest.fixture
def value_stacks(tmp_path: Path) -> Path:
    return write_stacks(tmp_path, {})


@SETTINGS
@given(text=PLAIN_TEXT.filter(_is_plain_scalar))
def test_unquoted_text_values_reach_aws_exactly_as_written(value_stacks: Path, text: str) -> None:
    value, _count = _value_as_loaded(value_stacks, text)
    assert value is None or value == text


@SETTINGS
@given(text=PLAIN_TEXT.filter(_is_plain_scalar))
def test_a_number_key_takes_only_what_its_text_says_in_decimal(value_stacks: Path, text: str) -> None:
    _value, count = _value_as_loaded(value_stacks, "x", count=text)
    if count is not None:  # accepted: the text is the decimal number it reads as
        assert text.lstrip("+-").isdigit() and int(text, 10) == count


def test_the_value_properties_can_fail(value_stacks: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the as-written step, the properties above find counterexamples."""
    from hypothesis import find

    from ecsdelivery.config import loader

    monkeypatch.setattr(loader, "values_as_written", lambda document: [])
    quick = settings(max_examples=300, database=None, deadline=None)
    changed = find(
        PLAIN_TEXT.filter(_is_plain_scalar),
        lambda text: _value_as_loaded(value_stacks, text)[0] not in (None, text),
        settings=quick,
    )
    assert _value_as_loaded(value_stacks, changed)[0] != changed
    misread = find(
        PLAIN_TEXT.filter(_is_plain_scalar),
        lambda text: (
            (count := _value_as_loaded(value_stacks, "x", count=text)[1]) is not None
            and not (text.lstrip("+-").isdigit() and int(text, 10) == count)
        ),
        settings=quick,
    )
    assert misread


# --- no two services share an AWS name -----------------------------------------------------------------------------

SERVICE_NAMES = st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,7}", fullmatch=True), min_size=2, max_size=3, unique=True)
NAMED_BY = ("name", "family", "bucket")  # the inputs that carry a physical AWS name


def _shared_aws_names(root: Path, names: list[str]) -> list[tuple[str, str]] | None:
    """(type, name) pairs two resources of the synthesised stack share; None when the stack file is refused."""
    from collections import Counter

    from ecsdelivery.synth import synthesize

    services = "".join(f"  {name}: {{containers: [{{name: c}}]}}\n" for name in names)
    write_stacks(root, {"dev.yaml": "import: [catalog/base.yaml]\nservices:\n" + services})
    try:
        result = synthesize("dev", stacks_dir=str(root / "stacks"))
    except ConfigError:
        return None
    seen = Counter(
        (resource["type"], resource["inputs"][key])
        for resource in result.resources
        for key in NAMED_BY
        if isinstance(resource["inputs"].get(key), str)
    )
    return [pair for pair, count in seen.items() if count > 1]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=SERVICE_NAMES)
def test_no_two_services_share_an_aws_name(tmp_path: Path, names: list[str]) -> None:
    shared = _shared_aws_names(tmp_path, names)
    assert not shared, shared


def test_the_aws_name_property_can_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Were two service names to map to one AWS name (here: digits dropped), the property above would say so."""
    import re

    from ecsdelivery import naming
    from ecsdelivery.config.models import StackConfig

    monkeypatch.setattr(naming, "_normalise", lambda part: re.sub(r"[^a-z-]+", "", part.lower()).strip("-"))
    monkeypatch.setattr(StackConfig, "_check_names", lambda self: [])
    assert _shared_aws_names(tmp_path, ["a1", "a2"])


# --- imports never leave the stacks directory ------------------------------------------------------------------------

IMPORT_PIECES = st.sampled_from(["..", ".", "catalog", "base.yaml", "outside.yaml", "link.yaml", "linkdir", "~"])


@st.composite
def import_paths(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 9)) == 0:
        return "ABSOLUTE"  # replaced by the outside file's absolute path
    return "/".join(draw(st.lists(IMPORT_PIECES, min_size=1, max_size=4)))


def _import_world(root: Path) -> Path:
    """stacks/ with a valid catalog, a symlink to a file outside, a symlink to the directory above; outside.yaml
    next to stacks/ holding a value that must never be read."""
    stacks = write_stacks(root, {})
    (root / "outside.yaml").write_text("app: leaked\n")
    if not (stacks / "catalog" / "link.yaml").is_symlink():
        (stacks / "catalog" / "link.yaml").symlink_to(root / "outside.yaml")
        (stacks / "linkdir").symlink_to(root, target_is_directory=True)
    return stacks


def _files_read(stacks: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files loading `import: [catalog/base.yaml, name]` reads (plus `/leaked` when the outside file's value
    shows in the result or an error line)."""
    read: list[Path] = []
    original = Path.read_text

    def recording(self: Path, *args: Any, **kwargs: Any) -> str:
        read.append(self.resolve())
        return original(self, *args, **kwargs)

    if name == "ABSOLUTE":
        name = str(stacks.parent / "outside.yaml")
    (stacks / "dev.yaml").write_text(f"import: [catalog/base.yaml, {name!r}]\n")
    with monkeypatch.context() as patch:
        patch.setattr(Path, "read_text", recording)
        try:
            leaked = load_stack("dev", stacks_dir=stacks).app == "leaked"
        except ConfigError as err:
            leaked = any("leaked" in p for p in err.problems)
    return [*read, *([Path("/leaked")] if leaked else [])]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=import_paths())
def test_imports_never_leave_the_stacks_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    stacks = _import_world(tmp_path)
    root = stacks.resolve()
    outside = [path for path in _files_read(stacks, name, monkeypatch) if not path.is_relative_to(root)]
    assert not outside, (name, outside)


def test_the_import_property_can_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With imports resolved but not confined (as before), the property above finds a way out."""
    from hypothesis import find

    from ecsdelivery.config import loader

    def unconfined(root: Path, importer: Path, name: str) -> tuple[Path | None, str]:
        target = (importer.parent / name).resolve()
        return (target, "") if target.is_file() else (None, "not found")

    monkeypatch.setattr(loader, "_import_target", unconfined)
    stacks = _import_world(tmp_path)
    root = stacks.resolve()
    escape = find(
        import_paths(),
        lambda name: any(not p.is_relative_to(root) for p in _files_read(stacks, name, monkeypatch)),
        settings=settings(max_examples=300, database=None, deadline=None),
    )
    assert escape
