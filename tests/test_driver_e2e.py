"""The driver end to end: our CLI -> real `pulumi.automation` -> the CLI double in tests/fake_pulumi."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any, ClassVar

import pulumi
import pytest

from ecsdelivery.cli import main
from ecsdelivery.driver import aws, operations, workspace
from ecsdelivery.program import delivery_program

sys.path.insert(0, str(Path(__file__).parent))
from fake_pulumi import FakePulumiCommand, FakeState

REPO_ROOT = Path(__file__).resolve().parent.parent
REPO = "111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web"
D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64


def small_program() -> None:
    """A stand-in for the delivery program: one resource that changes with the image, and the exports."""
    import pulumi_aws as aws

    config = pulumi.Config("ecsdelivery")
    image = config.get("image") or ""
    stack = pulumi.get_stack()
    aws.cloudwatch.LogGroup(f"{stack}-logs", retention_in_days=1, tags={"image": image[-12:]})
    pulumi.export("url", f"http://{stack}.example.test")
    pulumi.export("image", image)
    pulumi.export("imageDigest", image.rsplit("@", 1)[-1])


def failing_program() -> None:
    raise RuntimeError("InvalidParameterException: the task definition is invalid")


#: Nothing listens here: ECS calls of tests that do not look at ECS fail at once (and are warned about).
NOWHERE = "http://127.0.0.1:9"


class HeldImages:
    """ECR for the tests that set no ECR endpoint: a registry holding exactly `digests` (DescribeImages only)."""

    def __init__(self, digests: set[str]) -> None:
        self.digests = digests

    def describe_images(self, *, repositoryName: str, imageIds: list[dict[str, str]], **_: Any) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        digest = imageIds[0].get("imageDigest")
        if digest in self.digests:
            return {"imageDetails": [{"repositoryName": repositoryName, "imageDigest": digest}]}
        message = f"The image with imageId {imageIds[0]} does not exist within the repository {repositoryName}"
        raise ClientError({"Error": {"Code": "ImageNotFoundException", "Message": message}}, "DescribeImages")


class FakeAws(aws.AwsAccess):
    """STS answers with a fixed account; ECR and ECS go to their endpoints (a moto server) when set; without an
    ECR endpoint the registry holds the images in `pushed`."""

    account: str | None = "222222222222"
    ecr_endpoint: str | None = None
    ecs_endpoint: str | None = None
    pushed: ClassVar[set[str]] = {D1, D2}

    def caller_account(self, region: str) -> str | None:
        return self.account

    def ecr(self, region: str | None) -> Any:
        from ecsdelivery.images import ecr_client

        if self.ecr_endpoint is None:
            return HeldImages(self.pushed)
        return ecr_client(region=region or "us-east-1", endpoint=self.ecr_endpoint)

    def ecs(self, region: str) -> Any:
        return aws.AwsAccess(self.ecs_endpoint or NOWHERE).ecs(region)


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeState:
    """A project in tmp_path with the real stack files, the CLI double, the small program and fake STS."""
    shutil.copytree(REPO_ROOT / "stacks", tmp_path / "stacks")
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_EVENT_PATH", "PULUMI_BACKEND_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CI", "true")
    state = FakeState()
    monkeypatch.setattr(workspace.HOOKS, "pulumi_command", lambda: FakePulumiCommand(state))
    monkeypatch.setattr(workspace.HOOKS, "program", small_program)
    monkeypatch.setattr(workspace.HOOKS, "aws", FakeAws)
    monkeypatch.setattr(FakeAws, "account", "222222222222")
    return state


def config_of(state: FakeState, stack: str) -> dict[str, str]:
    return state.stacks[stack].config


def test_up_dev_deploys_reports_and_writes_github_files(
    fake: FakeState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "out.txt"))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    assert main(["up", "dev", "--image", f"{REPO}@{D1}"]) == 0
    out = capsys.readouterr().out
    assert "::group::pulumi up dev" in out and "::endgroup::" in out
    report = out.split("dev: 1 create", 1)[1].strip().splitlines()
    assert report[0] == "url: http://dev.example.test"  # URL first
    assert f"image: {REPO}@{D1}" in report
    stack = fake.stacks["dev"]
    assert stack.config["ecsdelivery:image"] == f"{REPO}@{D1}"
    assert stack.config["ecsdelivery:local"] == "false"
    assert stack.config["aws:region"] == "us-east-1"
    assert stack.tags["ecsdelivery:environment"] == "dev"
    assert stack.tags["ecsdelivery:image"] == f"{REPO}@{D1}"
    assert stack.tags["ecsdelivery:image-history"] == D1
    assert (tmp_path / "out.txt").read_text().splitlines() == [
        "url=http://dev.example.test",
        f"image={REPO}@{D1}",
        "stack=dev",
    ]
    summary = (tmp_path / "summary.md").read_text()
    assert "| environment | dev |" in summary and D1 in summary and "1 create" in summary
    assert (tmp_path / ".ecsdelivery" / "state").is_dir()


def test_up_without_image_keeps_the_running_one_or_exits_4(fake: FakeState, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["up", "dev"]) == 4
    assert "runs no image yet: pass --image" in capsys.readouterr().err
    assert main(["up", "dev", "--image", f"{REPO}@{D1}"]) == 0
    assert main(["up", "dev"]) == 0
    assert f"keeping {REPO}@{D1}" in capsys.readouterr().out


def test_usage_errors(fake: FakeState, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["up", "preview"]) == 2
    assert "--pr N" in capsys.readouterr().err
    assert main(["up", "qa"]) == 2
    assert main(["destroy", "dev", "--pr", "3"]) == 2
    assert fake.calls == []  # nothing reached the CLI


def test_promote_dev_to_staging_deploys_the_same_digest(fake: FakeState, monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["up", "dev", "--image", f"{REPO}:v1@{D1}"]) == 0
    monkeypatch.setattr(FakeAws, "account", "333333333333")
    assert main(["promote", "dev", "staging"]) == 0
    assert config_of(fake, "staging")["ecsdelivery:image"] == f"{REPO}@{D1}"
    assert fake.stacks["staging"].outputs["imageDigest"] == D1


def test_promotion_refusals(fake: FakeState, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["promote", "dev", "staging"]) == 4  # dev never deployed
    assert "nothing to promote" in capsys.readouterr().err
    assert main(["up", "dev", "--image", f"{REPO}@{D1}"]) == 0
    assert main(["promote", "dev", "prod", "--yes"]) == 2
    assert "skips staging" in capsys.readouterr().err
    workspace.HOOKS.program = failing_program
    assert main(["up", "dev", "--image", f"{REPO}@{D2}"]) == 1
    assert main(["promote", "dev", "staging"]) == 1
    assert "last update of dev failed" in capsys.readouterr().err
    assert "staging" not in fake.stacks


def test_promote_expect_image_by_digest(
    fake: FakeState, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bare digest is taken in the stack's repository; a mismatch deploys, tags and creates nothing."""
    assert main(["up", "dev", "--image", f"{REPO}@{D1}"]) == 0
    monkeypatch.setattr(FakeAws, "account", "333333333333")
    calls = len(fake.calls)
    assert main(["promote", "dev", "staging", "--release", "v1.4.0", "--expect-image", D2]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"ecsdelivery: error: dev runs {D1}, not {D2} ({D2}); nothing tagged or deployed: wait for dev's deploy of "
        f"{D2} and promote again, or deploy it directly with `up staging --image {REPO}@{D2}`"
    ]
    assert "staging" not in fake.stacks
    assert not [
        c for c in fake.calls[calls:] if c[:1] in (["up"], ["preview"], ["destroy"]) or c[:2] == ["stack", "init"]
    ]
    assert main(["promote", "dev", "staging", "--expect-image", D1]) == 0
    assert f"dev runs {D1}, as expected" in capsys.readouterr().out
    assert config_of(fake, "staging")["ecsdelivery:image"] == f"{REPO}@{D1}"


def test_destroy_preview_twice_is_idempotent(
    fake: FakeState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["up", "preview", "--pr", "7", "--image", f"{REPO}@{D1}"]) == 0
    stack = fake.stacks["pr-7"]
    assert stack.tags["ecsdelivery:pr"] == "7" and stack.tags["ecsdelivery:expires-at"].endswith("Z")
    capsys.readouterr()
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "closed", "pull_request": {"number": 7}}))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    assert main(["destroy", "preview"]) == 0  # PR from the event payload
    assert "destroyed and removed pr-7" in capsys.readouterr().out
    assert "pr-7" not in fake.stacks
    assert main(["destroy", "preview", "--pr", "7"]) == 0
    assert "no stack pr-7" in capsys.readouterr().out


def test_cleanup_previews_keeps_going_and_reports_each(fake: FakeState, capsys: pytest.CaptureFixture[str]) -> None:
    for pr in (1, 2, 3, 4):
        assert main(["up", "preview", "--pr", str(pr), "--image", f"{REPO}@{D1}"]) == 0
    assert main(["up", "dev", "--image", f"{REPO}@{D1}"]) == 0
    capsys.readouterr()
    fake.fail_destroy.add("pr-3")
    assert main(["cleanup-previews", "--open-prs", "2", "--parallel", "2"]) == 1
    out, err = capsys.readouterr()
    assert "removed pr-1 (PR #1 is not open)" in out
    assert "removed pr-4 (PR #4 is not open)" in out
    assert "FAILED  pr-3" in out and "DependencyViolation" in out
    assert "1 of 3 previews could not be removed" in err
    assert sorted(fake.stacks) == ["dev", "pr-2", "pr-3"]
    fake.fail_destroy.clear()
    assert main(["cleanup-previews", "--open-prs", "2"]) == 0
    assert sorted(fake.stacks) == ["dev", "pr-2"]
    assert main(["cleanup-previews"]) == 2


def test_cleanup_expired_previews(fake: FakeState, capsys: pytest.CaptureFixture[str]) -> None:
    for pr in (5, 6):
        assert main(["up", "preview", "--pr", str(pr), "--image", f"{REPO}@{D1}"]) == 0
    fake.stacks["pr-5"].tags["ecsdelivery:expires-at"] = "2000-01-01T00:00:00Z"
    assert main(["cleanup-previews", "--expired"]) == 0
    assert "removed pr-5 (expired at 2000-01-01T00:00:00Z)" in capsys.readouterr().out
    assert sorted(fake.stacks) == ["pr-6"]


def test_locked_stack_exits_3(fake: FakeState, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["up", "dev", "--image", f"{REPO}@{D1}"]) == 0
    fake.stacks["dev"].locked_by = "file://state/.pulumi/locks/dev.json: created by ci@runner (pid 42)"
    capsys.readouterr()
    assert main(["up", "dev", "--image", f"{REPO}@{D2}"]) == 3
    err = capsys.readouterr().err
    assert "stack dev is locked by another update" in err and "pulumi cancel" in err


def test_failing_program_exits_1_with_the_error_line(fake: FakeState, capsys: pytest.CaptureFixture[str]) -> None:
    workspace.HOOKS.program = failing_program
    assert main(["up", "dev", "--image", f"{REPO}@{D1}"]) == 1
    err = capsys.readouterr().err
    assert "the update of dev failed" in err
    assert "InvalidParameterException: the task definition is invalid" in err
    assert "Traceback" not in err.split("error:", 1)[0]
    assert fake.stacks["dev"].history[0]["result"] == "failed"


def test_protected_prod_needs_yes_and_the_right_account(
    fake: FakeState, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["up", "prod", "--image", f"{REPO}@{D1}"]) == 2
    assert "prod is protected: pass --yes" in capsys.readouterr().err
    assert main(["up", "prod", "--yes", "--image", f"{REPO}@{D1}"]) == 4  # credentials of dev's account
    assert "account 222222222222, but prod allows only 444444444444" in capsys.readouterr().err
    assert "prod" not in fake.stacks
    monkeypatch.setattr(FakeAws, "account", "444444444444")
    assert main(["up", "prod", "--yes", "--image", f"{REPO}@{D1}"]) == 0
    monkeypatch.setattr(FakeAws, "account", None)
    assert main(["destroy", "prod", "--yes"]) == 4
    assert "no AWS credentials" in capsys.readouterr().err


def test_rollback_to_previous_and_explicit_digest(fake: FakeState) -> None:
    assert main(["up", "dev", "--image", f"{REPO}@{D1}"]) == 0
    assert main(["up", "dev", "--image", f"{REPO}@{D2}"]) == 0
    assert main(["rollback", "dev"]) == 0
    assert config_of(fake, "dev")["ecsdelivery:image"] == f"{REPO}@{D1}"
    assert main(["rollback", "dev", "--to", D2]) == 0
    assert config_of(fake, "dev")["ecsdelivery:image"] == f"{REPO}@{D2}"
    assert fake.stacks["dev"].tags["ecsdelivery:image-history"] == f"{D2},{D1}"


def test_diff_markdown_outputs_and_list(fake: FakeState, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = tmp_path / "comment.md"
    assert main(["diff", "preview", "--pr", "9", "--image", f"{REPO}@{D1}", "--markdown", str(body)]) == 0
    text = body.read_text()
    assert "`pr-9`: 1 create" in text
    assert "| `aws:cloudwatch/logGroup:LogGroup` | 1 |" in text
    assert "http://pr-9.preview.example.com" in text and D1 in text  # dev has no certificate: plain HTTP
    # the rollout report of the stack file's service, after the changes (preview defaults: 5 s x 2 + 5 s)
    assert text.endswith(
        "\n\n- Rollout `web-service-service`: worst case **15 s** (target 15 s) "
        "(5 s x 2 checks + 0 s start period + 5 s draining); 1..2 tasks running\n"
        # previews roll without alarms; the comment says so
        "  - Strategy **ROLLING**: all traffic after 10 s; no alarm rollback\n"
    )
    assert "rollout (worst case per service):" in capsys.readouterr().out
    assert "pr-9" not in fake.stacks  # a preview changes nothing: the empty stack it needed goes again
    assert main(["up", "preview", "--pr", "9", "--image", f"{REPO}@{D1}"]) == 0
    capsys.readouterr()
    assert main(["outputs", "preview", "--pr", "9", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["url"] == "http://pr-9.example.test"
    assert main(["list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["stack"], r["environment"], r["pr"], r["image"]) for r in rows] == [
        ("pr-9", "preview", 9, f"{REPO}@{D1}")
    ]
    assert rows[0]["lastUpdate"].endswith("Z")
    assert main(["outputs", "dev"]) == 4


def test_diff_rollout_report_follows_the_stack_file(
    fake: FakeState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dev = tmp_path / "stacks" / "dev.yaml"
    text = dev.read_text()
    assert "    log_retention_days: 7\n" in text
    dev.write_text(
        text.replace(
            "    log_retention_days: 7\n",
            "    log_retention_days: 7\n    deployment:\n      deregistration_delay: 30\n",
        )
    )
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    assert main(["diff", "dev", "--image", f"{REPO}@{D1}", "--markdown", "comment.md"]) == 0
    body = (tmp_path / "comment.md").read_text()
    assert "- Rollout `web-service-service`: worst case **40 s** (target 15 s)" in body
    assert "5 s x 2 checks + 0 s start period + 30 s draining" in body
    assert body.strip() in (tmp_path / "summary.md").read_text()
    out = capsys.readouterr().out
    assert "= 40 s worst case" in out and "[target <= 15 s: OVER]" in out
    assert main(["diff", "shared", "--markdown", "shared.md"]) == 0  # no services: no rollout lines
    assert "Rollout" not in (tmp_path / "shared.md").read_text()


def test_ctrl_c_cancels_the_update_and_exits_130(fake: FakeState, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["up", "dev", "--image", f"{REPO}@{D1}"]) == 0
    fake.interrupt_up.add("dev")
    assert main(["up", "dev", "--image", f"{REPO}@{D2}"]) == 130
    assert fake.cancelled == ["dev"]
    assert "cancelling the update of dev" in capsys.readouterr().out
    assert fake.stacks["dev"].locked_by is None


def test_missing_cli_exits_4_with_how_to_install(
    fake: FakeState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import urllib.error

    import pulumi.automation._cmd as cmd

    monkeypatch.setattr(workspace.HOOKS, "pulumi_command", None)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ECSDELIVERY_PULUMI_ROOT", raising=False)

    def offline(url: str, path: str) -> None:
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(cmd, "_download_to_file", offline)  # the real install code runs, the download fails
    assert main(["up", "dev", "--image", f"{REPO}@{D1}"]) == 4
    err = capsys.readouterr().err
    assert "no Pulumi CLI found and installing version" in err
    assert "curl -fsSL https://get.pulumi.com | sh" in err
    assert "Traceback" not in err


def test_ecr_tag_resolution_release_and_missing_image(
    fake: FakeState, moto_server: str, fake_aws: None, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    import boto3

    monkeypatch.setattr(FakeAws, "ecr_endpoint", moto_server)
    ecr = boto3.client("ecr", region_name="us-east-1", endpoint_url=moto_server)
    name = "acme/driver-e2e"
    ecr.create_repository(repositoryName=name)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7, "digest": D1},
            "layers": [],
        }
    )
    digest = ecr.put_image(repositoryName=name, imageManifest=manifest, imageTag="sha-abc1234")["image"]["imageId"][
        "imageDigest"
    ]
    url = f"{ecr.describe_repositories(repositoryNames=[name])['repositories'][0]['repositoryUri']}"
    assert main(["up", "dev", "--image", f"{url}:sha-abc1234"]) == 0
    assert config_of(fake, "dev")["ecsdelivery:image"] == f"{url}@{digest}"
    monkeypatch.setattr(FakeAws, "account", "333333333333")
    assert main(["promote", "dev", "staging", "--release", "v1.4.0"]) == 0
    tagged = ecr.describe_images(repositoryName=name, imageIds=[{"imageTag": "v1.4.0"}])["imageDetails"][0]
    assert tagged["imageDigest"] == digest
    assert config_of(fake, "staging")["ecsdelivery:image"] == f"{url}@{digest}"
    monkeypatch.setattr(FakeAws, "account", "222222222222")
    assert main(["rollback", "dev", "--to", "v1.4.0"]) == 0
    capsys.readouterr()
    assert main(["up", "dev", "--image", f"{url}:no-such-tag"]) == 4
    assert "cannot resolve acme/driver-e2e:no-such-tag" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("pulumi") is None, reason="needs the Pulumi CLI on PATH (and the aws plugin)")
def test_real_cli_up_local_then_destroy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The quickstart path with the real engine against a moto server: `up dev --local`, then `destroy`."""
    shutil.copytree(REPO_ROOT / "stacks", tmp_path / "stacks")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "")
    image = f"{REPO}@{D1}"
    try:
        assert main(["up", "dev", "--local", "--image", image]) == 0
    finally:
        assert main(["destroy", "dev", "--local"]) == 0


def test_real_delivery_program_through_the_double(fake: FakeState, capsys: pytest.CaptureFixture[str]) -> None:
    """`up dev` and `up preview` run the delivery program as the inline program against mock providers."""
    from ecsdelivery.synth.mocks import EcsMocks

    fake.mocks_factory = EcsMocks
    workspace.HOOKS.program = delivery_program
    assert main(["up", "dev", "--image", f"{REPO}@{D1}"]) == 0
    outputs = fake.stacks["dev"].outputs
    assert D1 in json.dumps(outputs)
    assert "url" in outputs
    out = capsys.readouterr().out
    assert out.split("dev: ", 1)[1].splitlines()[1].startswith("url: ")
    assert main(["up", "preview", "--pr", "12", "--image", f"{REPO}@{D2}"]) == 0
    assert D2 in json.dumps(fake.stacks["pr-12"].outputs)


def test_up_local_starts_an_emulator_and_points_the_provider_at_it(
    fake: FakeState, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["up", "dev", "--local"]) == 0  # the quickstart command
    config = config_of(fake, "dev")
    assert config["ecsdelivery:local"] == "true"
    endpoint = config["aws:endpoints[0].ecs"]
    assert endpoint.startswith("http://127.0.0.1:")
    assert config["aws:endpoints[0].sts"] == endpoint
    assert config["aws:skipCredentialsValidation"] == "true"
    assert config["ecsdelivery:image"] == operations.LOCAL_PLACEHOLDER_IMAGE
    assert f"local AWS emulator: {endpoint}" in capsys.readouterr().out
    assert main(["destroy", "dev", "--local"]) == 0
    assert "dev" not in fake.stacks


# --- bad input: one line, the documented exit code, nothing half done ------------------------------------------


def _push(ecr: Any, name: str, tag: str, layer_digest: str) -> str:
    """Put a one-layer manifest under `tag`; its digest (moto derives it from the layers' digests)."""
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 7,
                "digest": D1,
            },
            "layers": [
                {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 7, "digest": layer_digest}
            ],
        }
    )
    return str(
        ecr.put_image(repositoryName=name, imageManifest=manifest, imageTag=tag)["image"]["imageId"]["imageDigest"]
    )


def test_promote_expect_image_resolves_tags_in_the_stack_repository(
    fake: FakeState, tmp_path: Path, moto_server: str, fake_aws: None, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """The release race: main built sha-new, but dev still runs sha-old. Promote refuses and tags nothing;
    once dev runs sha-new, the same command tags and deploys exactly that digest."""
    import boto3
    from botocore.exceptions import ClientError

    monkeypatch.setattr(FakeAws, "ecr_endpoint", moto_server)
    ecr = boto3.client("ecr", region_name="us-east-1", endpoint_url=moto_server)
    name = "acme/expect-e2e"
    repository = ecr.create_repository(repositoryName=name)["repository"]
    defaults = tmp_path / "stacks" / "catalog" / "defaults.yaml"
    text = defaults.read_text().replace("name: acme/web", f"name: {name}")
    defaults.write_text(
        text.replace('registry_account: "111111111111"', f'registry_account: "{repository["registryId"]}"')
    )
    url = repository["repositoryUri"]
    old, new = _push(ecr, name, "sha-old", D1), _push(ecr, name, "sha-new", D2)
    assert old != new
    assert main(["up", "dev", "--image", f"{url}:sha-old"]) == 0
    monkeypatch.setattr(FakeAws, "account", "333333333333")
    capsys.readouterr()

    assert main(["promote", "dev", "staging", "--release", "v2.0.0", "--expect-image", "sha-new", "--yes"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and f"dev runs {old}, not {new} (sha-new)" in err[0]
    assert f"`up staging --image {url}@{new}`" in err[0]
    assert "staging" not in fake.stacks
    with pytest.raises(ClientError, match="ImageNotFound"):
        ecr.describe_images(repositoryName=name, imageIds=[{"imageTag": "v2.0.0"}])

    assert main(["promote", "dev", "staging", "--expect-image", "sha-none"]) == 4
    assert f"cannot resolve {name}:sha-none" in capsys.readouterr().err
    assert "staging" not in fake.stacks

    monkeypatch.setattr(FakeAws, "account", "222222222222")
    assert main(["up", "dev", "--image", f"{url}:sha-new"]) == 0
    monkeypatch.setattr(FakeAws, "account", "333333333333")
    assert main(["promote", "dev", "staging", "--release", "v2.0.0", "--expect-image", "sha-new"]) == 0
    assert f"image {url}:sha-new -> {new}" in capsys.readouterr().out
    tagged = ecr.describe_images(repositoryName=name, imageIds=[{"imageTag": "v2.0.0"}])["imageDetails"][0]
    assert tagged["imageDigest"] == new
    assert config_of(fake, "staging")["ecsdelivery:image"] == f"{url}@{new}"
    # A full repo:tag is resolved where it names; staging now runs sha-new, so prod may follow.
    monkeypatch.setattr(FakeAws, "account", "444444444444")
    assert main(["promote", "staging", "prod", "--expect-image", f"{url}:sha-new", "--yes"]) == 0
    assert config_of(fake, "prod")["ecsdelivery:image"] == f"{url}@{new}"


IMAGE = f"{REPO}@{D1}"
BAD_INPUT = [
    (["up", "qa", "--image", IMAGE], 2, "unknown environment 'qa'; use one of: dev, preview, prod, shared, staging"),
    (["up", "preview", "--image", IMAGE], 2, "preview needs a pull request number: pass --pr N"),
    (["diff", "preview"], 2, "preview needs a pull request number: pass --pr N"),
    (
        ["up", "preview", "--pr", "0"],
        2,
        "argument --pr: expected a pull request number (a whole number from 1), got '0'",
    ),
    (["destroy", "preview", "--pr", "abc"], 2, "argument --pr: expected a pull request number"),
    (["up", "dev", "--pr", "3"], 2, "--pr is for previews only, not dev"),
    (["promote", "dev", "prod"], 2, "promoting dev -> prod skips staging; promote step by step or pass --force"),
    (["promote", "prod", "dev"], 2, "dev comes before prod in dev -> staging -> prod; use rollback, or pass --force"),
    (["promote", "dev", "staging", "--release", "v 1"], 2, "bad tag 'v 1'"),
    (["promote", "dev", "staging", "--expect-image", "acme/web"], 2, "--expect-image 'acme/web' names no tag or"),
    (["promote", "dev", "staging", "--expect-image", "sha-x y"], 2, "bad tag 'sha-x y'"),
    (["rollback", "dev"], 4, "no stack dev: nothing to roll back"),
    (["outputs", "dev"], 4, "no stack dev: deploy it first"),
    (["image", "tag", "Not A Repo", "sha-1", "v1"], 2, "bad repository name 'Not A Repo'"),
    (["image", "tag", "acme/web", "x@sha256:zz", "v1"], 2, "bad image 'x@sha256:zz': give a tag"),
    (["image", "tag", "acme/web", "sha-1", "v 1"], 2, "bad tag 'v 1'"),
    (
        ["image", "resolve", "acme/web", "sha-1", "--region", "us-east-1", "--endpoint", "notaurl"],
        2,
        "Invalid endpoint",
    ),
    (["cleanup-previews", "--open-prs", "1,x"], 2, "--open-prs takes comma-separated PR numbers, not 'x'"),
    (["cleanup-previews", "--expired", "--parallel", "0"], 2, "argument --parallel: expected a number of stacks"),
    (["cleanup-previews"], 2, "cleanup-previews needs --open-prs N,N,... and/or --expired"),
    (["up", "dev", "--image", IMAGE, "--backend", "::garbage::"], 2, "--backend '::garbage::' is not a Pulumi backend"),
    (["list", "--backend", "s3://"], 2, "--backend 's3://' is not a Pulumi backend URL"),
    (["up", "dev", "--image", IMAGE, "--stacks-dir", "no-such-dir"], 2, "(no-such-dir does not exist)"),
    (["up", "dev", "--image", "Web!!"], 2, "bad repository name 'Web!!'"),
    (["diff", "dev", "--image", IMAGE, "--markdown", "no-such-dir/comment.md"], 2, "directory no-such-dir does not"),
    (["up", "dev", "--image", IMAGE, "--endpoint", "http://127.0.0.1:1"], 2, "--endpoint is for --local runs only"),
    (["up", "prod", "--image", IMAGE], 2, "prod is protected: pass --yes"),
]


def run_cli(argv: list[str]) -> int:
    """`main(argv)`; argparse's own usage errors end in SystemExit, which a shell sees as the same exit code."""
    try:
        return main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)


@pytest.mark.parametrize(("argv", "code", "message"), BAD_INPUT, ids=[" ".join(a) for a, _c, _m in BAD_INPUT])
def test_bad_input_is_one_line_and_its_exit_code(
    fake: FakeState, argv: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(argv) == code
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("ecsdelivery") and " error: " in err and message in err
    assert fake.stacks == {}  # no stack was created, changed or half deployed
    if code == 2:
        assert not [c for c in fake.calls if c[:1] in (["up"], ["preview"], ["destroy"])]


def test_rollback_without_an_earlier_image_exits_4(fake: FakeState, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["up", "dev", "--image", IMAGE]) == 0
    capsys.readouterr()
    assert main(["rollback", "dev"]) == 4
    err = capsys.readouterr().err
    assert err.splitlines() == ["ecsdelivery: error: dev has no earlier image in its history; pass --to REF"]
    assert main(["rollback", "dev", "--to", "repo@@"]) == 2
    assert "has no valid sha256 digest" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["up", "dev", "--image", IMAGE],
        ["diff", "dev"],
        ["destroy", "dev"],
        ["outputs", "dev"],
        ["list"],
        ["promote", "dev", "staging"],
        ["rollback", "dev"],
        ["cleanup-previews", "--expired"],
    ],
    ids=lambda argv: argv[0],
)
def test_every_driver_command_without_the_pulumi_cli_says_how_to_install_it(
    fake: FakeState,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(workspace.HOOKS, "pulumi_command", None)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ECSDELIVERY_NO_INSTALL", "1")
    monkeypatch.delenv("ECSDELIVERY_PULUMI_ROOT", raising=False)
    assert main(argv) == 4
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "ecsdelivery: error: no Pulumi CLI found (and ECSDELIVERY_NO_INSTALL is set); install the Pulumi CLI: "
        "curl -fsSL https://get.pulumi.com | sh  (or: brew install pulumi/tap/pulumi), make sure `pulumi` is on "
        "PATH, then retry"
    ]


def test_local_without_moto_says_which_extra_to_install(
    fake: FakeState, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "moto.server", None)  # `import moto.server` raises ImportError
    assert main(["up", "dev", "--local"]) == 4
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "ecsdelivery: error: --local needs the moto server: pip install 'ecsdelivery[local]' "
        "(or pass --endpoint URL of an emulator already running)"
    ]


def test_an_unwritable_github_output_exits_4(
    fake: FakeState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "missing" / "out.txt"))
    assert main(["up", "dev", "--image", IMAGE]) == 4
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "cannot write $GITHUB_OUTPUT" in err and "No such file" in err


def test_bad_input_as_a_process_is_one_line_without_a_traceback(tmp_path: Path) -> None:
    """The same through a real process: no pulumi on PATH, no install, no AWS settings."""
    import subprocess

    shutil.copytree(REPO_ROOT / "stacks", tmp_path / "stacks")
    env = {"PATH": str(tmp_path / "empty-bin"), "HOME": str(tmp_path), "ECSDELIVERY_NO_INSTALL": "1"}
    for argv, code, message in [
        (["outputs", "dev"], 4, "curl -fsSL https://get.pulumi.com | sh"),
        (["up", "preview", "--pr", "abc"], 2, "argument --pr: expected a pull request number"),
        (["image", "resolve", "acme/web", "v1", "--region", "us east"], 2, "cannot make an ECR client"),
    ]:
        done = subprocess.run(
            [sys.executable, "-m", "ecsdelivery", *argv], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == code, (argv, done.stderr)
        assert len(done.stderr.splitlines()) == 1 and message in done.stderr, (argv, done.stderr)


def test_program_synth_and_driver_agree_on_host_priority_and_url(fake: FakeState, tmp_path: Path) -> None:
    """One input (preview of PR 42, one image): the resolved stack, the offline synth, the driver's PR comment
    before the first deploy, and the program deployed through the engine double give one host, priority, URL."""
    from ecsdelivery.stack import resolve_stack
    from ecsdelivery.synth import synthesize
    from ecsdelivery.synth.mocks import EcsMocks

    fake.mocks_factory = EcsMocks
    workspace.HOOKS.program = delivery_program
    image = f"{REPO}@{D1}"
    resolved = resolve_stack("preview", pr=42, image=image, stacks_dir="stacks").services["web"]
    assert (resolved.host, resolved.priority) == ("pr-42.preview.example.com", 10168)

    synthesized = synthesize("preview", pr=42, image=image, stacks_dir="stacks")
    rule = synthesized.of_type("aws:lb/listenerRule:ListenerRule")[0]["inputs"]
    assert rule["conditions"] == [{"hostHeader": {"values": [resolved.host]}}]
    assert rule["priority"] == resolved.priority
    assert synthesized.outputs["url"] == resolved.url

    assert main(["up", "dev", "--image", image]) == 0
    comment = tmp_path / "comment.md"
    assert main(["diff", "preview", "--pr", "42", "--image", image, "--markdown", str(comment)]) == 0
    assert f"- url: {resolved.url}\n" in comment.read_text()

    assert main(["up", "preview", "--pr", "42", "--image", image]) == 0
    deployed = fake.stacks["pr-42"]
    assert deployed.outputs["url"] == resolved.url
    rules = [r["state"] for r in deployed.resources.values() if r["type"] == "aws:lb/listenerRule:ListenerRule"]
    # The live rule and its twin on the standby listener.
    assert [(int(r["priority"]), r["conditions"]) for r in rules] == [(resolved.priority, rule["conditions"])] * 2


def test_up_fills_image_in_the_stack_file_from_the_image_option(
    fake: FakeState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`${IMAGE}` in a stack file is the `--image` of `up` (the digest reference the program deploys)."""
    import yaml

    from ecsdelivery.synth.mocks import EcsMocks

    monkeypatch.delenv("IMAGE", raising=False)
    fake.mocks_factory = EcsMocks
    workspace.HOOKS.program = delivery_program
    dev = tmp_path / "stacks" / "dev.yaml"
    data = yaml.safe_load(dev.read_text())
    data["services"]["web"]["containers"] = [{"name": "web", "port": 8080, "environment": {"RUNS": "${IMAGE}"}}]
    dev.write_text(yaml.safe_dump(data))
    image = f"{REPO}@{D1}"
    assert main(["up", "dev", "--image", image]) == 0
    definitions = [
        r["state"]["containerDefinitions"]
        for r in fake.stacks["dev"].resources.values()
        if r["type"] == "aws:ecs/taskDefinition:TaskDefinition"
    ]
    assert len(definitions) == 1
    assert {"name": "RUNS", "value": image} in json.loads(definitions[0])[0]["environment"]


def test_cleanup_needs_only_the_preview_stack_file(
    fake: FakeState, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Closing a PR removes its preview even while the platform stack's file (dev) is broken."""
    assert main(["up", "preview", "--pr", "5", "--image", f"{REPO}@{D1}"]) == 0
    (tmp_path / "stacks" / "dev.yaml").write_text("services: [\n")
    capsys.readouterr()
    assert main(["cleanup-previews", "--open-prs", ""]) == 0
    assert "removed pr-5 (PR #5 is not open)" in capsys.readouterr().out
    assert "pr-5" not in fake.stacks
