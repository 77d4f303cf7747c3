"""The small scripts the workflows run: the preview comment body and the stack URL."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

SCRIPTS = Path(__file__).resolve().parents[1] / ".github" / "scripts"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"workflow_{name}", SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


preview_comment = _load("preview_comment")


@pytest.mark.parametrize(
    ("outputs", "url"),
    [
        ({"url": "https://pr-42.dev.example.com"}, "https://pr-42.dev.example.com"),
        ({"outputs": {"url": "https://a"}}, "https://a"),
        ({"url": {"value": "https://b", "secret": False}}, "https://b"),
        ({"serviceName": "x"}, ""),
        ([], ""),
    ],
)
def test_preview_url(outputs: object, url: str) -> None:
    assert preview_comment.preview_url(outputs) == url


def test_comment_body_and_truncation() -> None:
    body = preview_comment.comment_body("## Diff\n+ 3 to create\n", "https://u", "repo@sha256:abc")
    assert "- URL: https://u" in body and "`repo@sha256:abc`" in body and "+ 3 to create" in body
    long = preview_comment.comment_body("x" * 100_000, "", "img")
    assert len(long) < 65_536 and "truncated" in long and "_not exported_" in long


def test_script_writes_step_outputs(tmp_path: Path) -> None:
    diff, outputs, out = tmp_path / "diff.md", tmp_path / "outputs.json", tmp_path / "out"
    diff.write_text("EOF\nchanges\n")  # a body line that looks like a heredoc end must not end the value
    outputs.write_text(json.dumps({"url": "https://pr-7.example.com"}))
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / "preview_comment.py"), str(diff), str(outputs), "img@sha256:1"],
        env={"GITHUB_OUTPUT": str(out)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert text.startswith("url=https://pr-7.example.com\nbody<<EOF_")
    delimiter = text.splitlines()[1].removeprefix("body<<")
    body = text.split(f"body<<{delimiter}\n", 1)[1].split(f"{delimiter}\n", 1)[0]
    assert "EOF\nchanges" in body


def test_stack_url_reads_stdin() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / "stack_url.py")],
        input=json.dumps({"url": "https://dev.example.com"}),
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "https://dev.example.com\n")


# --- run blocks executed for real ------------------------------------------------------------------------------

WORKFLOWS = SCRIPTS.parent / "workflows"


def _step_script(workflow: str, job: str, step_id: str) -> str:
    doc = yaml.safe_load((WORKFLOWS / workflow).read_text())
    return next(s["run"] for s in doc["jobs"][job]["steps"] if s.get("id") == step_id)


def _bash(script: str, cwd: Path, env: dict[str, str]) -> tuple[int, dict[str, str], str]:
    """Run a step's script as GitHub does (bash -e -o pipefail); returns exit code, step outputs, stderr."""
    output = cwd / "github_output"
    output.write_text("")
    full_env = {"PATH": os.environ["PATH"], "HOME": str(cwd), "GITHUB_OUTPUT": str(output), **env}
    full_env["GITHUB_STEP_SUMMARY"] = str(cwd / "summary")
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return done.returncode, outputs, done.stdout + done.stderr


@pytest.fixture
def tagged_repo(tmp_path: Path) -> Path:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@e"
    subprocess.run([git, "init", "-q", str(tmp_path)], check=True, env=env)
    subprocess.run([git, "-C", str(tmp_path), "commit", "-q", "--allow-empty", "-m", "x"], check=True, env=env)
    for tag in ("v1.4.0", "v1.4.1", "v1.4.10", "v1.4.9", "v1.5.0", "v1.40.3", "v1.4.2-rc1"):
        subprocess.run([git, "-C", str(tmp_path), "tag", tag], check=True, env=env)
    return tmp_path


@pytest.mark.parametrize(
    ("branch", "version"),
    [("release/v1.4", "v1.4.11"), ("release/v1.4.0", "v1.4.11"), ("release/1.5", "v1.5.1")],
)
def test_hotfix_next_patch_version(tagged_repo: Path, branch: str, version: str) -> None:
    script = _step_script("hotfix-release.yml", "version", "next")
    code, outputs, log = _bash(script, tagged_repo, {"GITHUB_REF_NAME": branch})
    assert code == 0, log
    assert outputs["version"] == version


@pytest.mark.parametrize("branch", ["release/v2.0", "release/next", "release/v1.4; rm -rf /"])
def test_hotfix_version_refuses_unknown_lines(tagged_repo: Path, branch: str) -> None:
    script = _step_script("hotfix-release.yml", "version", "next")
    code, outputs, log = _bash(script, tagged_repo, {"GITHUB_REF_NAME": branch})
    assert code == 1 and "version" not in outputs
    assert "::error::" in log


@pytest.mark.usefixtures("fake_aws")
def test_build_reuses_an_existing_tag(moto_server: str, tmp_path: Path) -> None:
    """The build's first step: an existing tag yields its digest; a missing one lets the build run."""
    import boto3

    ecr = boto3.session.Session().client("ecr", region_name="us-east-1", endpoint_url=moto_server)
    ecr.create_repository(repositoryName="build-reuse")
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1,
                "digest": "sha256:" + "1" * 64,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 1,
                    "digest": "sha256:" + "2" * 64,
                }
            ],
        }
    )
    pushed = ecr.put_image(repositoryName="build-reuse", imageTag="sha-old", imageManifest=manifest)
    digest = pushed["image"]["imageId"]["imageDigest"]
    script = _step_script("reusable-build.yml", "build", "existing")
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "REPOSITORY": "build-reuse",
        "AWS_ENDPOINT_URL_ECR": moto_server,
        **{k: v for k, v in os.environ.items() if k.startswith("AWS_")},
    }
    code, outputs, log = _bash(script, tmp_path, {**env, "TAG": "sha-old"})
    assert (code, outputs.get("digest")) == (0, digest), log
    code, outputs, log = _bash(script, tmp_path, {**env, "TAG": "sha-new"})
    assert (code, outputs) == (0, {}), log
