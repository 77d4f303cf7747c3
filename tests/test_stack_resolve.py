"""The resolved stack: one function from (environment, PR, image, stacks dir, variables) to every value its
consumers read, and the program, `synth` and the driver agreeing on it."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecsdelivery.cli import main
from ecsdelivery.errors import UsageError
from ecsdelivery.naming import Label, StackId
from ecsdelivery.stack import DeployImage, resolve_stack
from ecsdelivery.synth import synthesize

ROOT = Path(__file__).resolve().parents[1]
STACKS = ROOT / "stacks"
DIGEST = "sha256:" + "cd" * 32
REPO = "111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web"
CERTIFICATE = "arn:aws:acm:us-east-1:222222222222:certificate/0123abcd-4567-89ef-0123-456789abcdef"


def stacks_with(tmp_path: Path, env: str, change: dict[str, Any]) -> Path:
    """A copy of stacks/ where `change` is merged into the top level of `<env>.yaml` (mappings one level deep)."""
    target = tmp_path / "stacks"
    if not target.exists():
        shutil.copytree(STACKS, target)
    path = target / f"{env}.yaml"
    data = yaml.safe_load(path.read_text()) or {}
    for key, value in change.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) and isinstance(data.get(key), dict) else value
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


# --- the deploy image ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reference"),
    [
        (f"{REPO}@{DIGEST}", f"{REPO}@{DIGEST}"),
        (DIGEST, f"{REPO}@{DIGEST}"),
        (f"@{DIGEST}", f"{REPO}@{DIGEST}"),
        (f"acme/web@{DIGEST}", f"{REPO}@{DIGEST}"),
        (f"{REPO}:sha-abc1234@{DIGEST}", f"{REPO}@{DIGEST}"),
        (f"ghcr.io/acme/other@{DIGEST}", f"ghcr.io/acme/other@{DIGEST}"),
    ],
)
def test_digest_references_are_pinned(value: str, reference: str) -> None:
    stack = resolve_stack("dev", image=value, stacks_dir=STACKS)
    assert stack.image == DeployImage(reference=reference, digest=DIGEST)
    assert stack.warnings == ()


@pytest.mark.parametrize("value", [None, "  "])
def test_no_image(value: str | None) -> None:
    assert resolve_stack("dev", image=value, stacks_dir=STACKS).image is None


def test_a_tag_is_refused_in_a_protected_environment() -> None:
    with pytest.raises(UsageError, match="prod is protected and deploys by digest only"):
        resolve_stack("prod", image=f"{REPO}:v1.2.3", stacks_dir=STACKS)


def test_a_tag_is_warned_about_elsewhere() -> None:
    stack = resolve_stack("dev", image=f"{REPO}:sha-abc1234", stacks_dir=STACKS)
    assert stack.image == DeployImage(reference=f"{REPO}:sha-abc1234", digest=None)
    assert len(stack.warnings) == 1 and "not pinned" in stack.warnings[0]


@pytest.mark.parametrize("value", ["Not An Image", f"{REPO}@sha256:short"])
def test_bad_image_references_are_usage_errors(value: str) -> None:
    with pytest.raises(UsageError):
        resolve_stack("dev", image=value, stacks_dir=STACKS)


def test_with_image_pins_a_later_digest() -> None:
    stack = resolve_stack("prod", stacks_dir=STACKS).with_image(f"{REPO}:v1@{DIGEST}")
    assert stack.image == DeployImage(reference=f"{REPO}@{DIGEST}", digest=DIGEST)


# --- names, labels, repository -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "name", "environment", "pr"),
    [
        (("dev",), "dev", "dev", None),
        (("preview", 7), "pr-7", "preview", 7),
        (("pr-7",), "pr-7", "preview", 7),
    ],
)
def test_stack_id(args: tuple, name: str, environment: str, pr: int | None) -> None:
    env, *rest = args
    stack = resolve_stack(env, pr=rest[0] if rest else None, stacks_dir=STACKS)
    assert stack.id == StackId(environment, pr)
    assert (stack.name, stack.pr, stack.is_preview) == (name, pr, pr is not None)
    assert StackId.parse(f"organization/ecsdelivery/{name}") == stack.id


@pytest.mark.parametrize("name", ["pr-0", "pr-07", "pr-x", "pr-", "pr-٣"])
def test_only_pr_and_a_plain_number_name_a_preview(name: str) -> None:
    assert StackId.parse(name) == StackId(name)


def test_repository_url_and_arn() -> None:
    stack = resolve_stack("dev", stacks_dir=STACKS)
    assert stack.repository_url == REPO
    assert stack.repository_arn == "arn:aws:ecr:us-east-1:111111111111:repository/acme/web"


def test_git_sha_is_tagged() -> None:
    stack = resolve_stack("dev", stacks_dir=STACKS, git_sha="abc1234")
    assert stack.label.tags["GitSha"] == "abc1234"
    assert stack.services["web"].label.tags["GitSha"] == "abc1234"


def test_without_preview_drops_only_the_pr_attribute() -> None:
    label = Label("acme", "preview", "web", ("worker", "pr-42"), {"Project": "web"})
    assert label.without_preview() == Label("acme", "preview", "web", ("worker",), {"Project": "web"})


def test_a_preview_expires_ttl_hours_after_the_start_of_its_hour() -> None:
    now = dt.datetime(2030, 1, 2, 3, 59, 58, tzinfo=dt.UTC)
    assert resolve_stack("preview", pr=7, stacks_dir=STACKS, now=now).expires_at == "2030-01-05T03:00:00Z"
    assert resolve_stack("dev", stacks_dir=STACKS, now=now).expires_at is None


# --- hosts, priorities, protocols, URLs ---------------------------------------------------------------------------


def test_preview_service_host_priority_and_url() -> None:
    web = resolve_stack("preview", pr=42, stacks_dir=STACKS).services["web"]
    assert (web.host, web.priority, web.path_patterns) == ("pr-42.preview.example.com", 10168, ())
    assert web.url == "http://pr-42.preview.example.com"  # dev, whose platform previews use, has no certificate


def test_protocols_follow_the_platform_certificate() -> None:
    assert resolve_stack("dev", stacks_dir=STACKS).protocol == "http"
    assert resolve_stack("prod", stacks_dir=STACKS).protocol == "https"
    assert resolve_stack("prod", stacks_dir=STACKS, local=True).protocol == "http"
    assert resolve_stack("preview", pr=3, stacks_dir=STACKS).protocol == "http"  # dev's


@pytest.mark.parametrize(("certified", "scheme"), [(False, "http"), (True, "https")])
def test_preview_url_scheme_is_https_only_with_a_certificate(tmp_path: Path, certified: bool, scheme: str) -> None:
    platform = {"certificate_arn": CERTIFICATE} if certified else {}
    stacks = stacks_with(tmp_path, "dev", {"platform": platform})
    expected = f"{scheme}://pr-42.preview.example.com"
    assert resolve_stack("preview", pr=42, stacks_dir=stacks).url == expected
    assert synthesize("preview", pr=42, image=f"{REPO}@{DIGEST}", stacks_dir=str(stacks)).outputs["url"] == expected
    # Against a local emulator there is never a certificate.
    local = resolve_stack("preview", pr=42, stacks_dir=stacks, local=True)
    assert local.url == "http://pr-42.preview.example.com"


# --- ${IMAGE} ----------------------------------------------------------------------------------------------------

SIDECAR = {
    "web": {
        "containers": [
            {"name": "web", "port": 8080, "environment": {"DEPLOYED_IMAGE": "${IMAGE}"}},
        ]
    }
}


def test_image_variable_comes_from_the_image_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("IMAGE", raising=False)
    stacks = stacks_with(tmp_path, "dev", {"services": SIDECAR})
    image = f"{REPO}@{DIGEST}"
    assert main(["synth", "dev", "--image", image, "--stacks-dir", str(stacks), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    task = next(r for r in document["resources"] if r["type"] == "aws:ecs/taskDefinition:TaskDefinition")
    containers = json.loads(task["inputs"]["containerDefinitions"])
    assert {"name": "DEPLOYED_IMAGE", "value": image} in containers[0]["environment"]


def test_without_the_image_option_the_variable_must_be_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMAGE", raising=False)
    stacks = stacks_with(tmp_path, "dev", {"services": SIDECAR})
    assert main(["synth", "dev", "--stacks-dir", str(stacks)]) == 2
    monkeypatch.setenv("IMAGE", "from-the-shell")
    web = resolve_stack("dev", stacks_dir=stacks).services["web"]
    assert web.config.containers[0].environment["DEPLOYED_IMAGE"] == "from-the-shell"
