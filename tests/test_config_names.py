"""Names and routing: no two services share an AWS name, every routed service can get traffic, and every command
agrees on what an environment is."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import pytest
from config_helpers import write_stacks
from test_driver_e2e import IMAGE, fake  # noqa: F401  (the fixture)

from ecsdelivery.cli import main
from ecsdelivery.config import list_environments, load_stack
from ecsdelivery.errors import ConfigError
from ecsdelivery.synth import check_payloads, synthesize

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _collector_back_on():
    """`synth` switches the garbage collector off for its short process; in this one, switch it back on."""
    yield
    gc.enable()


def _problems(tmp_path: Path, text: str, env: str = "dev", pr: int | None = None) -> list[str]:
    stacks = write_stacks(tmp_path, {f"{env}.yaml": text})
    with pytest.raises(ConfigError) as info:
        load_stack(env, stacks_dir=stacks, pr=pr)
    return info.value.problems


WORKER = "{containers: [{name: w}]}"


@pytest.mark.parametrize(
    ("services", "fragment"),
    [
        (f"  x: {WORKER}\n  x-: {WORKER}\n", "services.x-: 'x-' does not match the pattern"),
        (f"  pr-7: {WORKER}\n", "services.pr-7: 'pr-7' is a preview's name (pr-<N>)"),
    ],
)
def test_service_names_that_would_share_or_fake_aws_names_are_refused(
    tmp_path: Path, services: str, fragment: str
) -> None:
    problems = _problems(tmp_path, "import: [catalog/base.yaml]\nservices:\n" + services)
    assert any(fragment in p for p in problems), problems


def test_namespace_and_app_with_a_trailing_hyphen_are_refused(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "import: [catalog/base.yaml]\nnamespace: acme-\napp: web-\n")
    assert any("namespace: 'acme-' does not match" in p for p in problems), problems
    assert any("app: 'web-' does not match" in p for p in problems), problems


API = "containers: [{name: api, port: 9000}]"


@pytest.mark.parametrize(
    ("web", "api", "shadowed"),
    [
        ("{host: a.example.com}", "{host: a.example.com}", True),  # same host, same paths
        ("{host: a.example.com, path_patterns: [/x/*, /y/*]}", "{host: a.example.com, path_patterns: [/y/*]}", True),
        ("{}", "{host: api.example.com}", True),  # web's rule takes every host and path first
        ("{path_patterns: [/*]}", "{host: api.example.com, path_patterns: [/api/*]}", True),
        ("{host: a.example.com}", "{host: b.example.com}", False),
        ("{path_patterns: [/web/*]}", "{path_patterns: [/api/*]}", False),
        ("{host: a.example.com, priority: 200}", "{priority: 100}", True),  # api first, takes everything
    ],
)
def test_a_service_that_can_never_get_traffic_is_refused(tmp_path: Path, web: str, api: str, shadowed: bool) -> None:
    text = (
        f"import: [catalog/base.yaml]\nservices:\n  web:\n    routing: {web}\n  api:\n    {API}\n    routing: {api}\n"
    )
    stacks = write_stacks(tmp_path, {"dev.yaml": text})
    if not shadowed:
        load_stack("dev", stacks_dir=stacks)
        return
    with pytest.raises(ConfigError) as info:
        load_stack("dev", stacks_dir=stacks)
    assert any("never gets traffic" in p for p in info.value.problems), info.value.problems


def test_iam_role_names_up_to_64_characters_pass_synth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = (
        "import: [catalog/base.yaml]\nnamespace: abcdefghijklmnopqrstuvwxyzabcdef\n"
        "services:\n  worker-long-name-abcd: {exec: true, containers: [{name: w}]}\n"
    )
    write_stacks(tmp_path, {"dev.yaml": text})
    result = synthesize("dev", stacks_dir="stacks")
    roles = [r["inputs"]["name"] for r in result.resources if r["type"] == "aws:iam/role:Role"]
    assert roles and max(len(name) for name in roles) > 56
    assert check_payloads(result) == []


# --- extra environments ---------------------------------------------------------------------------------------------


def _project_with(tmp_path: Path, extra: dict[str, str]) -> Path:
    stacks = tmp_path / "stacks"
    shutil.copytree(ROOT / "stacks", stacks, dirs_exist_ok=True)
    for name, text in extra.items():
        (stacks / name).write_text(text)
    return stacks


def test_a_stack_file_named_like_a_preview_is_refused_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    dev = (ROOT / "stacks" / "dev.yaml").read_text()
    _project_with(tmp_path, {"pr-5.yaml": dev, "QA.yaml": dev})
    assert "pr-5" not in list_environments("stacks")
    assert main(["validate"]) == 2
    err = capsys.readouterr().err
    assert "stacks/pr-5.yaml:1: a stack file cannot be named pr-5.yaml" in err
    assert "stacks/QA.yaml:1: QA.yaml is not an environment name" in err
    for argv in (["synth", "pr-5"], ["synth", "preview", "--pr", "5"], ["check", "preview", "--pr", "5"]):
        assert main(argv) == 2, argv
        assert "cannot be named pr-5.yaml" in capsys.readouterr().err
    assert main(["synth", "preview", "--pr", "6"]) == 0


def test_an_extra_environment_works_with_every_command(
    fake,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dev = (ROOT / "stacks" / "dev.yaml").read_text().replace("environment: dev", "environment: qa")
    (tmp_path / "stacks" / "qa.yaml").write_text(dev.replace("mode: create", "mode: create\n  vpc_cidr: 10.1.0.0/16"))
    assert main(["validate", "qa"]) == 0
    assert main(["synth", "qa"]) == 0
    assert main(["up", "qa", "--image", IMAGE]) == 0
    assert "qa" in fake.stacks
    assert main(["outputs", "qa", "--json"]) == 0
    assert main(["destroy", "qa"]) == 0
    assert "qa" not in fake.stacks
    capsys.readouterr()
    assert main(["up", "nowhere", "--image", IMAGE]) == 2
    known = "dev, preview, prod, qa, shared, staging"
    assert f"unknown environment 'nowhere'; use one of: {known}" in capsys.readouterr().err


def test_two_stack_files_with_the_same_aws_names_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A qa.yaml copied from dev.yaml still says `environment: dev`: both would name their resources acme-dev-web
    in the same account and region."""
    stacks = tmp_path / "stacks"
    shutil.copytree(ROOT / "stacks", stacks)
    (stacks / "qa.yaml").write_text((stacks / "dev.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 2
    [error] = [line for line in capsys.readouterr().err.splitlines() if line.startswith("ecsdelivery: error:")]
    assert error.endswith(
        "stacks/qa.yaml: environment: dev gives the same AWS names (acme-dev-web) as stacks/dev.yaml in account "
        "222222222222 and us-east-1; give it an environment of its own"
    )
    # Its own environment (and network) makes it a stack of its own.
    qa = (stacks / "dev.yaml").read_text().replace("environment: dev", "environment: qa")
    (stacks / "qa.yaml").write_text(qa.replace("mode: create", "mode: create\n  vpc_cidr: 10.1.0.0/16"))
    assert main(["validate"]) == 0


PLATFORM_DEV = "import: [catalog/base.yaml]\nservices:\n  web:\n    routing: {routing}\n"
PREVIEW = (
    "import: [catalog/base.yaml]\nenvironment: preview\nplatform: {mode: stack, stack: dev}\n"
    "services:\n  web:\n    routing: {path_patterns: [/app/*]}\n"
)


@pytest.mark.parametrize(
    ("routing", "shadowed"),
    [
        ("{}", True),  # dev's `/*` without a host takes every request on the shared listener
        ("{path_patterns: [/app/*, /x/*]}", True),  # covers the preview's only path
        ("{host: dev.example.com}", False),
        ("{path_patterns: [/api/*]}", False),
    ],
)
def test_a_platform_rule_that_takes_every_preview_request_is_refused(
    tmp_path: Path, routing: str, shadowed: bool
) -> None:
    stacks = write_stacks(tmp_path, {"dev.yaml": PLATFORM_DEV.format(routing=routing), "preview.yaml": PREVIEW})
    load_stack("dev", stacks_dir=stacks)  # dev alone is fine
    if not shadowed:
        assert load_stack("preview", stacks_dir=stacks, pr=4).services["web"].routing is not None
        return
    with pytest.raises(ConfigError) as info:
        load_stack("preview", stacks_dir=stacks, pr=4)
    (problem,) = info.value.problems
    assert "dev.yaml:4: services.web.routing: matches any host on the listener previews share" in problem
    assert "the preview's web would never get traffic; give it a routing.host" in problem


def test_the_shipped_dev_stack_leaves_previews_their_traffic() -> None:
    dev = load_stack("dev", stacks_dir=ROOT / "stacks")
    assert dev.services["web"].routing is not None and dev.services["web"].routing.host
    assert load_stack("preview", stacks_dir=ROOT / "stacks", pr=42).services["web"].routing is not None
