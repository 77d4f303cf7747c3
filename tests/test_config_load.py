"""Loading the shipped stack files, merge order, interpolation and usage errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from config_helpers import write_stacks

from ecsdelivery.config import StackConfig, interpolate, list_environments, load_stack
from ecsdelivery.config.loader import load_document
from ecsdelivery.config.models import CreatePlatform, StackPlatform
from ecsdelivery.config.priorities import preview_priority
from ecsdelivery.errors import ConfigError, UsageError

ROOT = Path(__file__).resolve().parent.parent
STACKS = ROOT / "stacks"


# --- the shipped stacks ----------------------------------------------------------------------------------------


def test_list_environments_lists_top_level_files_only() -> None:
    assert list_environments(STACKS) == ["dev", "preview", "prod", "shared", "staging"]


@pytest.mark.parametrize("env", ["shared", "dev", "staging", "prod"])
def test_shipped_stacks_load(env: str) -> None:
    config = load_stack(env, stacks_dir=STACKS)
    assert isinstance(config, StackConfig)
    assert config.environment == env
    assert config.stack_name == env
    assert config.pr is None
    assert config.label.id == f"acme-{env}-web"


def test_shared_creates_the_repository_and_nothing_else() -> None:
    config = load_stack("shared", stacks_dir=STACKS)
    assert config.ecr.create is True
    assert config.services == {}
    assert config.platform is None
    for env in ("dev", "staging", "prod"):
        other = load_stack(env, stacks_dir=STACKS)
        assert other.ecr.create is False
        assert other.repository_url == config.repository_url


def test_rollout_targets_hold() -> None:
    """DESIGN.md: interval x healthy threshold + deregistration delay <= 15 s (dev, previews), <= 60 s (prod)."""
    assert load_stack("dev", stacks_dir=STACKS).services["web"].deployment.worst_case_switch_seconds <= 15
    preview = load_stack("preview", stacks_dir=STACKS, pr=3)
    assert preview.services["web"].deployment.worst_case_switch_seconds <= 15
    prod = load_stack("prod", stacks_dir=STACKS)
    deployment = prod.services["web"].deployment
    assert deployment.worst_case_switch_seconds <= 60
    assert deployment.circuit_breaker and deployment.rollback


def test_prod_is_protected_and_highly_available() -> None:
    prod = load_stack("prod", stacks_dir=STACKS)
    assert prod.protected is True
    assert isinstance(prod.platform, CreatePlatform)
    assert prod.platform.availability_zones == 3
    assert prod.platform.nat == "per_az"
    assert prod.platform.load_balancer_deletion_protection is True
    web = prod.services["web"]
    assert web.desired_count >= 2 and web.autoscaling.enabled
    assert web.capacity.spot_weight == 0
    assert load_stack("dev", stacks_dir=STACKS).protected is False


def test_preview_applies_preview_settings() -> None:
    config = load_stack("preview", stacks_dir=STACKS, pr=42)
    assert config.stack_name == "pr-42"
    assert config.environment == "preview"
    assert config.is_preview
    assert config.label.id == "acme-preview-web-pr-42"
    assert config.label.tags["PullRequest"] == "42"
    assert isinstance(config.platform, StackPlatform) and config.platform.stack == "dev"
    web = config.services["web"]
    assert (web.cpu, web.memory, web.desired_count) == (256, 512, 1)
    assert web.capacity.spot_only
    assert web.log_retention_days == 3
    assert web.routing is not None
    assert web.routing.host == "pr-42.preview.example.com"
    assert web.routing.priority == 10000 + 42 * 4 == preview_priority(42)


def test_preview_stack_name_form_is_accepted() -> None:
    assert load_stack("pr-7", stacks_dir=STACKS).pr == 7


@pytest.mark.parametrize(
    ("env", "pr", "fragment"),
    [
        ("preview", None, "needs a pull request number"),
        ("dev", 4, "preview environment only"),
        ("preview", 0, "start at 1"),
        ("pr-3", 4, "disagree"),
        ("nope", None, "unknown environment 'nope'; known in"),
    ],
)
def test_usage_errors(env: str, pr: int | None, fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment):
        load_stack(env, stacks_dir=STACKS, pr=pr)


def test_unknown_environment_lists_the_known_ones() -> None:
    with pytest.raises(UsageError) as info:
        load_stack("qa", stacks_dir=STACKS)
    assert "dev, preview, prod, shared, staging" in str(info.value)


def test_service_labels() -> None:
    config = load_stack("preview", stacks_dir=STACKS, pr=42)
    assert config.service_label("web").id == "acme-preview-web-pr-42"
    assert config.service_label("worker").id == "acme-preview-web-worker-pr-42"


# --- merge order -----------------------------------------------------------------------------------------------

MERGE_CASES = [
    # (files, expected subset of the merged data)
    pytest.param(
        {"a.yaml": "x: {p: 1, q: 2}\n", "env.yaml": "import: [a.yaml]\nx: {q: 3, r: 4}\n"},
        {"x": {"p": 1, "q": 3, "r": 4}},
        id="maps-merge-key-by-key",
    ),
    pytest.param(
        {"a.yaml": "x: [1, 2, 3]\n", "env.yaml": "import: [a.yaml]\nx: [9]\n"},
        {"x": [9]},
        id="lists-replace",
    ),
    pytest.param(
        {"a.yaml": "x: 1\ny: a\n", "b.yaml": "x: 2\n", "env.yaml": "import: [a.yaml, b.yaml]\n"},
        {"x": 2, "y": "a"},
        id="later-import-wins",
    ),
    pytest.param(
        {"a.yaml": "x: 1\n", "b.yaml": "x: 2\n", "env.yaml": "import: [a.yaml, b.yaml]\nx: 3\n"},
        {"x": 3},
        id="own-content-wins",
    ),
    pytest.param(
        {
            "d.yaml": "order: [d]\nd: 1\n",
            "b.yaml": "import: [d.yaml]\norder: [b]\nb: 1\n",
            "c.yaml": "order: [c]\nc: 1\n",
            "env.yaml": "import: [b.yaml, c.yaml]\n",
        },
        {"order": ["c"], "b": 1, "c": 1, "d": 1},
        id="nested-imports-depth-first",
    ),
    pytest.param(
        {"a.yaml": "s: {web: {x: 1}}\n", "env.yaml": "import: [a.yaml]\ns: {}\n"},
        {"s": {}},
        id="empty-map-clears",
    ),
    pytest.param(
        {
            "a.yaml": "p: {mode: create, nat: single}\n",
            "env.yaml": "import: [a.yaml]\np: {mode: stack, stack: dev}\n",
        },
        {"p": {"mode": "stack", "stack": "dev"}},
        id="changed-mode-replaces-map",
    ),
    pytest.param(
        {"a.yaml": "p: {mode: create, nat: single}\n", "env.yaml": "import: [a.yaml]\np: {mode: create, nat: none}\n"},
        {"p": {"mode": "create", "nat": "none"}},
        id="same-mode-merges",
    ),
    pytest.param(
        {"a.yaml": "x: {p: 1}\n", "env.yaml": "import: [a.yaml]\nx: null\n"},
        {"x": None},
        id="null-replaces",
    ),
    pytest.param(
        {"sub/a.yaml": "import: [b.yaml]\nx: 1\n", "sub/b.yaml": "y: 2\n", "env.yaml": "import: [sub/a.yaml]\n"},
        {"x": 1, "y": 2},
        id="imports-relative-to-importing-file",
    ),
    pytest.param(
        {"a.yaml": "x: 1\n", "env.yaml": "import: a.yaml\n"},
        {"x": 1},
        id="single-import-string",
    ),
]


@pytest.mark.parametrize(("files", "expected"), MERGE_CASES)
def test_merge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], expected: dict) -> None:
    monkeypatch.chdir(tmp_path)
    stacks = write_stacks(tmp_path, files)
    data = load_document("env", stacks_dir=stacks).data
    assert "import" not in data
    assert {key: data[key] for key in expected} == expected


def test_merge_locations_follow_the_file_that_set_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    stacks = write_stacks(tmp_path, {"a.yaml": "x:\n  p: 1\n  q: 2\n", "env.yaml": "import: [a.yaml]\nx:\n  q: 3\n"})
    locations = load_document("env", stacks_dir=stacks).locations
    assert str(locations[("x", "p")]) == "stacks/a.yaml:2"
    assert str(locations[("x", "q")]) == "stacks/env.yaml:3"


# --- interpolation ---------------------------------------------------------------------------------------------

INTERPOLATION = [
    ("${X}", {"X": "1"}, "1", None),
    ("a-${X}-b-${Y}", {"X": "1", "Y": "2"}, "a-1-b-2", None),
    ("${X:-fallback}", {}, "fallback", None),
    ("${X:-fallback}", {"X": ""}, "fallback", None),
    ("${X:-fallback}", {"X": "set"}, "set", None),
    ("${X:-}", {}, "", None),
    ("${X}", {"X": ""}, "", None),
    ("$${X}", {}, "${X}", None),
    ("$$${X}", {"X": "v"}, "$${X}", None),
    ("$X and $5", {}, "$X and $5", None),
    ("${X}", {}, None, "variable X is not set and has no default"),
    ("${1X}", {}, None, "is not a variable reference"),
    ("${X", {"X": "1"}, None, "unterminated"),
]


@pytest.mark.parametrize(("text", "variables", "expected", "problem"), INTERPOLATION)
def test_interpolate(text: str, variables: dict[str, str], expected: str | None, problem: str | None) -> None:
    value, problems = interpolate(text, variables)
    if problem is None:
        assert problems == []
        assert value == expected
    else:
        assert len(problems) == 1 and problem in problems[0]


def test_variables_override_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("APP_TAG", "from-env")
    monkeypatch.setenv("COUNT", "3")
    stacks = write_stacks(
        tmp_path,
        {
            "env.yaml": """\
            import: [catalog/base.yaml]
            tags: {Tag: "${APP_TAG}", Other: "${UNSET_FOR_TEST:-dflt}"}
            services:
              web:
                desired_count: ${COUNT}
                containers:
                  - name: web
                    port: 8080
                    image: "${IMAGE}"
            """
        },
    )
    monkeypatch.delenv("UNSET_FOR_TEST", raising=False)
    config = load_stack(
        "env", stacks_dir=stacks, variables={"APP_TAG": "from-vars", "IMAGE": "repo@sha256:" + "a" * 64}
    )
    assert config.tags == {"Tag": "from-vars", "Other": "dflt"}
    assert config.services["web"].desired_count == 3
    assert config.services["web"].containers[0].image == "repo@sha256:" + "a" * 64


def test_preview_sets_pr_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    stacks = write_stacks(
        tmp_path,
        {
            "preview.yaml": """\
            import: [catalog/base.yaml]
            platform: {mode: stack, stack: dev}
            tags: {Preview: "pr-${PR}"}
            """
        },
    )
    assert load_stack("preview", stacks_dir=stacks, pr=9).tags["Preview"] == "pr-9"


def test_preview_priorities_are_distinct_per_service_and_pr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    stacks = write_stacks(
        tmp_path,
        {
            "preview.yaml": """\
            import: [catalog/base.yaml]
            platform: {mode: stack, stack: dev}
            preview: {host_template: "{service}-pr-{pr}.preview.example.com"}
            services:
              api:
                containers: [{name: api, port: 9000}]
                routing: {path_patterns: ["/api/*"]}
              worker:
                containers: [{name: worker}]
            """
        },
    )
    seen: dict[int, tuple[int, str]] = {}
    for pr in (1, 2, 5, 999, 1000, 1005, 9999):
        config = load_stack("preview", stacks_dir=stacks, pr=pr)
        assert config.services["api"].routing is not None
        assert config.services["api"].routing.host == f"api-pr-{pr}.preview.example.com"
        assert config.services["worker"].routing is None
        for name in ("web", "api"):
            routing = config.services[name].routing
            assert routing is not None and routing.priority is not None
            assert 1 <= routing.priority <= 50000
            assert routing.priority not in seen, (pr, name, seen.get(routing.priority))
            seen[routing.priority] = (pr, name)
    # Nothing wraps: 42 and 1042 (equal modulo 1000) get different priorities, both the components' scheme.
    for pr in (42, 1042):
        config = load_stack("preview", stacks_dir=stacks, pr=pr)
        assert [config.services[n].routing.priority for n in ("web", "api")] == [  # type: ignore[union-attr]
            preview_priority(pr, 0),
            preview_priority(pr, 1),
        ]


def test_preview_priority_knobs_feed_the_scheme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    stacks = write_stacks(
        tmp_path,
        {
            "preview.yaml": """\
            import: [catalog/base.yaml]
            platform: {mode: stack, stack: dev}
            preview: {priority_base: 20000, services_per_pr: 2}
            """
        },
    )
    routing = load_stack("preview", stacks_dir=stacks, pr=42).services["web"].routing
    assert routing is not None and routing.priority == 20000 + 42 * 2 == preview_priority(
        42, base=20000, services_per_preview=2
    )
    # (50000 - 20000 - 2 + 1) // 2 = 14999 is the largest PR these knobs allow
    assert load_stack("preview", stacks_dir=stacks, pr=14999).services["web"].routing.priority == 49998  # type: ignore[union-attr]
    with pytest.raises(ConfigError) as info:
        load_stack("preview", stacks_dir=stacks, pr=15000)
    assert len(info.value.problems) == 1
    assert "largest PR number is 14999" in info.value.problems[0]


def test_preview_pr_past_the_limit_is_one_clean_line() -> None:
    with pytest.raises(ConfigError) as info:
        load_stack("preview", stacks_dir=STACKS, pr=10000)
    assert info.value.exit_code == 2
    [problem] = info.value.problems
    assert "preview.yaml:" in problem and "preview.priority_base" in problem
    assert "pull request 10000" in problem and "largest PR number is 9999" in problem
    assert load_stack("preview", stacks_dir=STACKS, pr=9999).services["web"].routing.priority == 49996  # type: ignore[union-attr]


def test_preview_priority_knobs_must_leave_room(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    stacks = write_stacks(
        tmp_path,
        {"env.yaml": "import: [catalog/base.yaml]\npreview: {priority_base: 49990, services_per_pr: 10}\n"},
    )
    with pytest.raises(ConfigError, match="leaves no preview listener priority"):
        load_stack("env", stacks_dir=stacks)


def test_default_priorities_are_unique(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    stacks = write_stacks(
        tmp_path,
        {
            "env.yaml": """\
            import: [catalog/base.yaml]
            services:
              web:
                routing: {host: www.example.com}
              api:
                containers: [{name: api, port: 9000}]
                routing: {host: api.example.com}
            """
        },
    )
    config = load_stack("env", stacks_dir=stacks)
    priorities = [s.routing.priority for s in config.services.values() if s.routing]
    assert priorities == [100, 110]


def test_config_error_is_raised_not_other_exceptions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    stacks = write_stacks(tmp_path, {"env.yaml": "import: [catalog/base.yaml]\nservices: {web: {cpu: 300}}\n"})
    with pytest.raises(ConfigError) as info:
        load_stack("env", stacks_dir=stacks)
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("platform", "problem"),
    [
        ("{mode: create, nat: none}", "with nat none the tasks' subnets are isolated"),
        ("{mode: create, nat: single, vpc_endpoints: provided}", "applies to nat none only"),
        ("{mode: create, nat: none, vpc_endpoints: provided}", None),
        ("{mode: create}", None),  # default: one NAT gateway
    ],
)
def test_nat_none_needs_vpc_endpoints_the_team_provides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: str, problem: str | None
) -> None:
    monkeypatch.chdir(tmp_path)
    stacks = write_stacks(tmp_path, {"env.yaml": f"import: [catalog/base.yaml]\nplatform: {platform}\n"})
    if problem is None:
        config = load_stack("env", stacks_dir=stacks)
        assert isinstance(config.platform, CreatePlatform) and config.platform.nat in ("none", "single")
        return
    with pytest.raises(ConfigError) as info:
        load_stack("env", stacks_dir=stacks)
    [line] = info.value.problems
    assert problem in line


def test_nat_none_without_services_needs_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    stacks = write_stacks(
        tmp_path, {"env.yaml": "import: [catalog/base.yaml]\nplatform: {mode: create, nat: none}\nservices: {}\n"}
    )
    assert load_stack("env", stacks_dir=stacks).services == {}


def test_dev_has_a_nat_gateway_that_previews_share() -> None:
    dev = load_stack("dev", stacks_dir=STACKS)
    assert isinstance(dev.platform, CreatePlatform) and dev.platform.nat == "single"
    preview = load_stack("preview", stacks_dir=STACKS, pr=1)
    assert isinstance(preview.platform, StackPlatform) and preview.platform.stack == "dev"
