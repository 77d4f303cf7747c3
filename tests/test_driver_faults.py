"""Faults a hostile world sends: vanishing previews, SIGTERM, lock races, refused inputs, unreachable endpoints,
unwritable files, closed pipes. Each is one line and a documented exit code, and changes nothing it should not."""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from test_driver_e2e import D1, D2, IMAGE, REPO, FakeAws, config_of, fake  # noqa: F401  (the fixture)

from ecsdelivery.cli import main
from ecsdelivery.driver import aws, workspace
from ecsdelivery.errors import MissingRequirementError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _collector_back_on():
    """`synth` switches the garbage collector off for its short process; in this one, switch it back on."""
    yield
    gc.enable()


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


# --- a preview removed by someone else meanwhile ---------------------------------------------------------------------


def _vanish_after_open(monkeypatch: pytest.MonkeyPatch, state, name: str) -> None:
    """Another cleanup removes `name` right after this run opened it."""
    real = workspace.Workspace.open

    def open_then_vanish(self, stack_name, backend, *, create):
        stack = real(self, stack_name, backend, create=create)
        if stack_name == name:
            state.stacks.pop(name, None)
        return stack

    monkeypatch.setattr(workspace.Workspace, "open", open_then_vanish)


def test_cleanup_counts_a_preview_removed_meanwhile_as_removed(
    fake,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for pr in ("3", "4"):
        assert main(["up", "preview", "--pr", pr, "--image", IMAGE]) == 0
    capsys.readouterr()
    _vanish_after_open(monkeypatch, fake, "pr-4")
    assert main(["cleanup-previews", "--open-prs", "", "--parallel", "1"]) == 0
    out = capsys.readouterr().out
    assert "pr-4: already gone" in out
    assert fake.stacks == {}


def test_destroy_of_a_preview_removed_meanwhile_exits_0(
    fake,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["up", "preview", "--pr", "5", "--image", IMAGE]) == 0
    _vanish_after_open(monkeypatch, fake, "pr-5")
    assert main(["destroy", "preview", "--pr", "5"]) == 0
    assert "nothing to destroy" in capsys.readouterr().out


# --- SIGTERM is Ctrl-C -----------------------------------------------------------------------------------------------


def test_sigterm_during_up_cancels_releases_the_lock_and_exits_143(
    fake,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pulumi.automation import Stack

    assert main(["up", "dev", "--image", f"{REPO}@{D1}"]) == 0
    received: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: received.append(signum))

    def terminated_up(self, *args, **kwargs):
        fake.stacks[self.name].locked_by = "this update"  # the engine holds the lock while it runs
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the signal arrives here
        raise AssertionError("SIGTERM did not stop the update")

    monkeypatch.setattr(Stack, "up", terminated_up)
    try:
        assert main(["up", "dev", "--image", f"{REPO}@{D2}"]) == 143
        assert received == []  # the CLI's own handler took the signal...
        assert signal.getsignal(signal.SIGTERM) is not None and received == []
    finally:
        restored = signal.signal(signal.SIGTERM, previous)
    assert restored is not None and restored.__name__ == "<lambda>"  # ...and put the caller's back afterwards
    assert fake.cancelled == ["dev"]
    assert fake.stacks["dev"].locked_by is None
    captured = capsys.readouterr()
    assert "cancelling the update of dev" in captured.out
    assert captured.err.strip() == "ecsdelivery: terminated"


# --- nothing is written before the inputs are checked and the update holds the lock ----------------------------------


def test_the_loser_of_a_lock_race_writes_nothing(fake, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    assert main(["up", "preview", "--pr", "8", "--image", f"{REPO}@{D1}"]) == 0
    stack = fake.stacks["pr-8"]
    config, tags = dict(stack.config), dict(stack.tags)
    stack.locked_by = "another update of pr-8"
    capsys.readouterr()
    assert main(["up", "preview", "--pr", "8", "--image", f"{REPO}@{D2}"]) == 3
    assert "stack pr-8 is locked by another update" in capsys.readouterr().err
    assert stack.config == config and stack.tags == tags


def test_a_refused_image_creates_no_stack(
    fake,  # noqa: F811
    moto_server: str,
    fake_aws: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import boto3

    monkeypatch.setattr(FakeAws, "ecr_endpoint", moto_server)
    ecr = boto3.client("ecr", region_name="us-east-1", endpoint_url=moto_server)
    ecr.create_repository(repositoryName="acme/faults")
    url = ecr.describe_repositories(repositoryNames=["acme/faults"])["repositories"][0]["repositoryUri"]
    assert main(["up", "preview", "--pr", "77", "--image", f"{url}:no-such-tag"]) == 4
    assert "pr-77" not in fake.stacks
    assert main(["up", "preview", "--pr", "78"]) == 4  # no image and none running: refused, nothing created
    assert "pr-78" not in fake.stacks
    assert "runs no image yet" in capsys.readouterr().err


# --- digests that do not exist ---------------------------------------------------------------------------------------


def test_image_resolve_up_and_rollback_refuse_a_digest_the_repository_lacks(
    fake,  # noqa: F811
    moto_server: str,
    fake_aws: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import boto3

    monkeypatch.setattr(FakeAws, "ecr_endpoint", moto_server)
    ecr = boto3.client("ecr", region_name="us-east-1", endpoint_url=moto_server)
    ecr.create_repository(repositoryName="acme/digests")
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"})
    digest = ecr.put_image(repositoryName="acme/digests", imageManifest=manifest, imageTag="v1")["image"]["imageId"][
        "imageDigest"
    ]
    url = ecr.describe_repositories(repositoryNames=["acme/digests"])["repositories"][0]["repositoryUri"]
    missing = "sha256:" + "0" * 64
    resolve = ["image", "resolve", url, "--endpoint", moto_server]
    assert main([*resolve[:3], digest, *resolve[3:]]) == 0
    assert capsys.readouterr().out.strip() == digest
    assert main([*resolve[:3], missing, *resolve[3:]]) == 4
    assert f"cannot resolve acme/digests:{missing}" in _one_error_line(capsys)
    assert main(["up", "dev", "--image", f"{url}@{digest}"]) == 0
    capsys.readouterr()
    assert main(["rollback", "dev", "--to", missing]) == 4
    assert f"cannot resolve acme/digests:{missing}" in _one_error_line(capsys)
    # `up` by a digest the repository does not hold stops before the deploy (ECS would fail to pull it later).
    assert main(["up", "dev", "--image", f"{url}@{missing}"]) == 4
    assert f"cannot resolve acme/digests:{missing}" in _one_error_line(capsys)
    assert config_of(fake, "dev")["ecsdelivery:image"] == f"{url}@{digest}"


# --- endpoints and files ---------------------------------------------------------------------------------------------


def test_an_unreachable_sts_endpoint_is_quick_and_named(fake_aws: None) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # closed once the block ends: nothing listens there
    started = time.monotonic()
    with pytest.raises(MissingRequirementError, match=rf"cannot reach AWS STS at http://127.0.0.1:{port}"):
        aws.AwsAccess(f"http://127.0.0.1:{port}").caller_account("us-east-1")
    assert time.monotonic() - started < 20


def test_an_sts_endpoint_that_never_answers_times_out(fake_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aws, "READ_TIMEOUT", 0.5)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)  # accepts connections, never answers
    port = server.getsockname()[1]
    stop = threading.Event()
    try:
        started = time.monotonic()
        with pytest.raises(MissingRequirementError, match="cannot reach AWS STS"):
            aws.AwsAccess(f"http://127.0.0.1:{port}").caller_account("us-east-1")
        assert time.monotonic() - started < 15
    finally:
        stop.set()
        server.close()


@pytest.mark.parametrize("variable", ["GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"])
def test_unwritable_github_files_are_refused_before_anything_runs(
    fake,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
) -> None:
    monkeypatch.setenv(variable, str(tmp_path))  # a directory: cannot be appended to
    assert main(["up", "dev", "--image", IMAGE]) == 4
    assert f"cannot write ${variable}" in _one_error_line(capsys)
    assert fake.stacks == {} and fake.calls == []


def test_open_prs_hash_is_refused_and_removes_nothing(fake, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    assert main(["up", "preview", "--pr", "3", "--image", IMAGE]) == 0
    capsys.readouterr()
    for text in ("#", ",", "3,#"):
        assert main(["cleanup-previews", "--open-prs", text]) == 2
        assert "--open-prs takes comma-separated PR numbers" in _one_error_line(capsys)
    assert "pr-3" in fake.stacks


def test_ctrl_d_at_the_prompt_changes_nothing(
    fake,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(workspace.Settings, "is_interactive", lambda self: True)

    def end_of_input(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr("builtins.input", end_of_input)
    monkeypatch.setattr(FakeAws, "account", "444444444444")
    assert main(["up", "prod", "--image", IMAGE]) == 2
    assert "not confirmed (end of input); prod left unchanged" in capsys.readouterr().err
    assert fake.stacks == {}


# --- the GitHub event payload ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ("[" * 200_000, "nested too deeply"),
        ("{not json", "is not a readable JSON event payload"),
        (json.dumps({"pull_request": {"number": 5}, "number": 6}), "names two pull requests"),
    ],
)
def test_a_bad_event_payload_is_one_line(
    fake,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    payload: str,
    fragment: str,
) -> None:
    event = tmp_path / "event.json"
    event.write_text(payload)
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    for argv in (["up", "preview", "--image", IMAGE], ["synth", "preview"], ["check", "preview"]):
        assert main(argv) == 2, argv
        assert fragment in _one_error_line(capsys)
    assert fake.stacks == {}


# --- standard output -------------------------------------------------------------------------------------------------


def _cli(*args: str, **kwargs) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "ecsdelivery", *args], cwd=ROOT, stderr=subprocess.PIPE, **kwargs)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_to_a_full_device_is_one_line_and_exit_4() -> None:
    with open("/dev/full", "wb") as full:
        process = _cli("schema", stdout=full)
        _out, err = process.communicate(timeout=60)
    assert process.returncode == 4
    assert err.decode().splitlines() == ["ecsdelivery: error: I/O error on standard output: No space left on device"]


def test_a_closed_pipe_stops_quietly_with_141() -> None:
    process = _cli("schema", stdout=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.close()  # the reader went away before the output came (`schema | head -0`)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 141
    assert err == b""


# --- payloads AWS would reject ---------------------------------------------------------------------------------------


def test_check_runs_the_payload_checks_and_both_enforce_the_64_kib_task_definition_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from config_helpers import write_stacks

    from ecsdelivery.synth import check_payloads, synthesize

    monkeypatch.chdir(tmp_path)
    big = "x" * 70_000
    text = "import: [catalog/base.yaml]\nservices:\n  web:\n    containers:\n      - name: web\n        port: 8080\n"
    write_stacks(tmp_path, {"dev.yaml": text + f"        environment: {{BIG: {big}}}\n"})
    problems = check_payloads(synthesize("dev", stacks_dir="stacks"))
    assert any("ECS takes at most 65536 (64 KiB)" in p for p in problems), problems
    assert main(["check", "dev"]) == 2
    err = capsys.readouterr().err
    assert "AWS would reject these payloads:" in err and "64 KiB" in err
    write_stacks(tmp_path, {"dev.yaml": text + f"        environment: {{BIG: {big[:50_000]}}}\n"})
    assert check_payloads(synthesize("dev", stacks_dir="stacks")) == []


def test_diff_of_a_new_preview_leaves_no_stack_and_a_diff_of_an_existing_one_keeps_it(
    fake,  # noqa: F811
) -> None:
    assert main(["diff", "preview", "--pr", "21", "--image", IMAGE]) == 0
    assert "pr-21" not in fake.stacks  # nothing `cleanup-previews --expired` could never date
    assert main(["up", "preview", "--pr", "21", "--image", IMAGE]) == 0
    assert main(["diff", "preview", "--pr", "21", "--image", f"{REPO}@{D2}"]) == 0
    assert "pr-21" in fake.stacks


def test_promote_release_tags_only_after_the_deploy_went_through(
    fake,  # noqa: F811
    moto_server: str,
    fake_aws: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import boto3

    monkeypatch.setattr(FakeAws, "ecr_endpoint", moto_server)
    ecr = boto3.client("ecr", region_name="us-east-1", endpoint_url=moto_server)
    ecr.create_repository(repositoryName="acme/release")
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"})
    digest = ecr.put_image(repositoryName="acme/release", imageManifest=manifest, imageTag="sha-1")["image"]["imageId"][
        "imageDigest"
    ]
    url = ecr.describe_repositories(repositoryNames=["acme/release"])["repositories"][0]["repositoryUri"]
    assert main(["up", "dev", "--image", f"{url}@{digest}"]) == 0
    monkeypatch.setattr(FakeAws, "account", "333333333333")
    assert main(["up", "staging", "--image", f"{url}@{digest}"]) == 0
    fake.stacks["staging"].locked_by = "another update of staging"
    capsys.readouterr()
    assert main(["promote", "dev", "staging", "--release", "v9.9.9"]) == 3
    tags = {
        t
        for image in ecr.describe_images(repositoryName="acme/release")["imageDetails"]
        for t in image.get("imageTags", [])
    }
    assert "v9.9.9" not in tags
    fake.stacks["staging"].locked_by = None
    assert main(["promote", "dev", "staging", "--release", "v9.9.9"]) == 0
    tags = {
        t
        for image in ecr.describe_images(repositoryName="acme/release")["imageDetails"]
        for t in image.get("imageTags", [])
    }
    assert "v9.9.9" in tags
