"""Workflow `run:` blocks executed for real with bash: the preview comment's diff, the hotfix version, the build's
reuse of an existing tag."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

WORKFLOWS = Path(__file__).resolve().parents[1] / ".github" / "workflows"


def _step_script(workflow: str, job: str, step_id: str) -> str:
    doc = yaml.safe_load((WORKFLOWS / workflow).read_text())
    return next(s["run"] for s in doc["jobs"][job]["steps"] if s.get("id") == step_id)


def test_the_preview_diff_fits_a_comment_and_cannot_end_the_output_early(tmp_path: Path) -> None:
    script = _step_script("reusable-preview.yml", "deploy", "diff")
    output = tmp_path / "out"
    for text, truncated in (("EOF\n+ 3 to create\n", False), ("x" * 100_000, True)):
        (tmp_path / "diff.md").write_text(text)
        output.write_text("")
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            env={"PATH": os.environ["PATH"], "RUNNER_TEMP": str(tmp_path), "GITHUB_OUTPUT": str(output)},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        first, *rest = output.read_text().splitlines()
        delimiter = first.removeprefix("diff<<")
        assert first.startswith("diff<<EOF_") and len(delimiter) == 36
        body = rest[: rest.index(delimiter)]
        assert ("truncated" in "\n".join(body[-3:])) is truncated
        assert len("\n".join(body)) < 65_536 - 200
        if not truncated:
            assert body[:2] == ["EOF", "+ 3 to create"]  # a diff line that looks like a delimiter is kept


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
