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
    return done.returncode, _outputs(output.read_text()), done.stdout + done.stderr


def _outputs(text: str) -> dict[str, str]:
    """Step outputs as GitHub reads them: `name=value` lines and `name<<DELIMITER` blocks."""
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            outputs[name] = "\n".join(iter(lambda: next(lines), delimiter))
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


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


_COMMENT_HARNESS = """
const script = require('fs').readFileSync(process.argv[2], 'utf8');
const calls = [];
const github = {
  paginate: async () => [],
  rest: { issues: {
    listComments: () => [],
    createComment: async (args) => calls.push(args),
    updateComment: async (args) => calls.push(args),
  } },
};
const context = { repo: { owner: 'acme', repo: 'web' } };
new Function('github', 'context', `return (async () => { ${script} })();`)(github, context)
  .then(() => process.stdout.write(JSON.stringify(calls)));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the github-script step")
def test_the_preview_comment_lists_replacements_against_the_base_branch(tmp_path: Path) -> None:
    """The step synthesises the preview stack from the base checkout and from the PR, and the comment step
    puts the resulting table in the body (a container port edit replaces the service's target group)."""
    root = Path(__file__).resolve().parents[1]
    head, base = tmp_path / "head", tmp_path / "head" / "base"
    for where in (head, base):
        shutil.copytree(root / "stacks", where / "stacks")
        shutil.copy(root / "Pulumi.yaml", where / "Pulumi.yaml")
    defaults = head / "stacks" / "catalog" / "defaults.yaml"
    assert "port: 8080" in defaults.read_text()
    defaults.write_text(defaults.read_text().replace("port: 8080", "port: 9090"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (bin_dir / "python").chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "RUNNER_TEMP": str(tmp_path), "PR_NUMBER": "7"}
    env["PYTHONPATH"] = str(root)  # the base checkout of this repository carries no package of its own here

    code, outputs, stderr = _bash(_step_script("reusable-preview.yml", "deploy", "replacements"), head, env)
    assert code == 0, stderr
    table = outputs["replacements"]
    # A new container port replaces the ingress rule for it (the target groups keep their fixed port).
    assert "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" in table and "fromPort: 8080 -> 9090" in table

    doc = yaml.safe_load((WORKFLOWS / "reusable-preview.yml").read_text())
    (step,) = [s for s in doc["jobs"]["comment"]["steps"] if "actions/github-script@" in s.get("uses", "")]
    assert step["env"]["REPLACEMENTS"] == "${{ needs.deploy.outputs.replacements }}"
    (tmp_path / "script.js").write_text(step["with"]["script"])
    (tmp_path / "harness.js").write_text(_COMMENT_HARNESS)
    for result in ("success", "failure"):
        comment_env = {"PR_NUMBER": "7", "URL": "https://pr-7.example.test", "IMAGE": "img@sha256:ab"}
        comment_env |= {"DIFF": "+ 1 to create", "RESULT": result, "RUN_URL": "https://run", "REPLACEMENTS": table}
        done = subprocess.run(
            ["node", str(tmp_path / "harness.js"), str(tmp_path / "script.js")],
            env={"PATH": os.environ["PATH"], **comment_env},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        (call,) = json.loads(done.stdout)
        assert call["issue_number"] == 7 and table.strip() in call["body"], result


def test_the_preview_goes_on_without_a_base_preview_stack(tmp_path: Path) -> None:
    """Without a base preview stack the comment says there is no list, and the deploy goes on."""
    code, outputs, stderr = _bash(
        _step_script("reusable-preview.yml", "deploy", "replacements"),
        tmp_path,
        {"RUNNER_TEMP": str(tmp_path), "PR_NUMBER": "7"},
    )
    assert code == 0, stderr
    assert "No replacements list" in outputs["replacements"]
