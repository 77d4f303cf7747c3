"""What matters in the workflows: triggers, environments, PR numbers, concurrency, permissions, pins, CLI calls.

Each workflow is parsed with PyYAML (where `on:` becomes the key True) and checked against the rules the
delivery pipeline depends on. Every `python -m ecsdelivery ...` line is parsed by the CLI's own parser.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecsdelivery.cli import build_parser
from ecsdelivery.config import list_environments

ROOT = Path(__file__).resolve().parents[1]
GITHUB = ROOT / ".github"
WORKFLOWS = GITHUB / "workflows"
SETUP_ACTION = "$/.github/actions/setup-ecsdelivery"
DEPLOY = "$/.github/workflows/reusable-deploy.yml"

EXPECTED = {
    "hotfix-enabled.yml",
    "reusable-deploy.yml",
    "feature-branch.yml",
    "preview-cleanup.yml",
    "main-branch.yaml",
    "release.yaml",
    "validate.yml",
    "labeler.yaml",
    "hotfix-branch.yml",
    "hotfix-release.yml",
    "rollback.yml",
}

# --- loading --------------------------------------------------------------------------------------------------


@functools.cache
def load(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    assert isinstance(doc, dict), name
    return doc


def triggers(doc: dict[str, Any]) -> dict[str, Any]:
    """The `on:` mapping (PyYAML reads the bare key `on` as the boolean True)."""
    on = doc.get("on", doc.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return {key: (value or {}) for key, value in on.items()}


def all_workflows() -> dict[str, dict[str, Any]]:
    return {p.name: load(p.name) for p in sorted(WORKFLOWS.glob("*.y*ml"))}


def composite_action() -> dict[str, Any]:
    return yaml.safe_load((GITHUB / "actions" / "setup-ecsdelivery" / "action.yml").read_text())


def jobs(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return doc["jobs"]


def env_name(job: dict[str, Any]) -> str | None:
    environment = job.get("environment")
    if isinstance(environment, dict):
        return environment.get("name")
    return environment


def run_blocks() -> Iterator[tuple[str, str, dict[str, Any], str]]:
    """(file, job id, job, script) for every `run:` in every workflow and in the composite action."""
    for name, doc in all_workflows().items():
        for job_id, job in jobs(doc).items():
            for step in job.get("steps", []):
                if "run" in step:
                    yield name, job_id, job, step["run"]
    for step in composite_action()["runs"]["steps"]:
        if "run" in step:
            yield "action.yml", "-", {}, step["run"]


def steps_using(job: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith(prefix)]


# --- the CLI calls ----------------------------------------------------------------------------------------------

_CALL = re.compile(r"python -m ecsdelivery\b([^|;&>)\n]*)")
_VAR = re.compile(r"\$\{(\w+)([%#][^}]*)?\}|\$(\w+)")

#: Sample values for the shell variables the workflows pass to the CLI.
SAMPLES = {
    "PR_NUMBER": "42",
    "IMAGE": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + "a" * 64,
    "DIGEST": "sha256:" + "a" * 64,
    "VERSION": "v1.4.0",
    "ENVIRONMENT": "prod",
    "OPEN_PRS": "12,40",
    "RUNNER_TEMP": "/tmp/runner",
    "REPOSITORY": "app",
    "TAG": "sha-0123456789abcdef0123456789abcdef01234567",
    "COMMIT": "0123456789abcdef0123456789abcdef01234567",
    "env": "dev",
    "DEPLOYED": "111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web@sha256:" + "b" * 64,
    "RELEASE": "v1.4.1",
    "STACKS": "stacks",
}


def _expand(match: re.Match[str]) -> str:
    """A sample value, with the two parameter expansions the workflows use (`${X%@*}`, `${X#*@}`)."""
    name, operator, bare = match.group(1), match.group(2), match.group(3)
    value = SAMPLES[name or bare]
    if operator == "%@*":
        return value.rsplit("@", 1)[0]
    if operator == "#*@":
        return value.split("@", 1)[1]
    assert operator is None, f"unknown expansion {match.group(0)}"
    return value


def cli_calls() -> list[tuple[str, str, list[str]]]:
    """(file, job id, argv) for every `python -m ecsdelivery ...` in any run block, variables substituted."""
    calls = []
    for name, job_id, _job, script in run_blocks():
        joined = script.replace("\\\n", " ")
        for match in _CALL.finditer(joined):
            text = match.group(1)
            unknown = {a or c for a, _b, c in _VAR.findall(text)} - SAMPLES.keys()
            assert not unknown, f"{name}:{job_id}: add a sample value for {sorted(unknown)}"
            text = _VAR.sub(_expand, text)
            calls.append((name, job_id, shlex.split(text)))
    return calls


def test_expected_workflows_exist() -> None:
    assert set(all_workflows()) >= EXPECTED


def test_every_cli_call_parses() -> None:
    calls = cli_calls()
    parser = build_parser()
    for name, job_id, argv in calls:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exit_:
            pytest.fail(f"{name}:{job_id}: `ecsdelivery {shlex.join(argv)}` is rejected by the CLI ({exit_.code})")
        assert args.command is not None, argv
    seen = {tuple(argv[:2]) for _name, _job, argv in calls}
    for expected in [
        ("up", SAMPLES["ENVIRONMENT"]),
        ("up", "preview"),
        ("diff", "preview"),
        ("destroy", "preview"),
        ("image", "tag"),
        ("image", "resolve"),
        ("validate",),
        ("synth", "dev"),
        ("synth", "preview"),
        ("check", "dev"),
        ("check", "preview"),
    ]:
        assert any(s[: len(expected)] == expected for s in seen), f"no workflow runs `ecsdelivery {' '.join(expected)}`"
    assert any(argv[0] == "cleanup-previews" for _n, _j, argv in calls)


def test_validate_synthesises_and_checks_every_stack(tmp_path: Path) -> None:
    """Run validate.yml's scripts over this repository's stacks with a `python` that only records its arguments."""
    steps = jobs(load("validate.yml"))["stacks"]["steps"]
    scripts = [s["run"] for s in steps if "python -m ecsdelivery" in s.get("run", "")]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.txt"
    stub = bin_dir / "python"
    stub.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\n')
    stub.chmod(0o755)
    for script in scripts:  # as GitHub runs `shell: bash`
        subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=ROOT,
            env={"PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin"},
            check=True,
            capture_output=True,
        )
    calls = log.read_text().splitlines()
    environments = list_environments(ROOT / "stacks")
    assert {"shared", "dev", "staging", "prod", "preview"} <= set(environments)
    assert "-m ecsdelivery validate" in calls
    for env in environments:
        args = "preview --pr 1" if env == "preview" else env
        assert f"-m ecsdelivery synth {args}" in calls, env
        assert f"-m ecsdelivery check {args}" in calls, env
    assert not [c for c in calls if c.split()[2:] == ["check", "preview"]]  # a preview always names its PR


def test_a_bad_cli_call_would_be_caught() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["promote", "dev", "staging", "--relase", "v1"])


# --- triggers ---------------------------------------------------------------------------------------------------


def test_triggers() -> None:
    on = triggers(load("feature-branch.yml"))
    assert set(on) == {"pull_request"}
    assert set(on["pull_request"]["types"]) == {"opened", "synchronize", "reopened", "labeled"}
    assert on["pull_request"]["branches"] == ["main"]

    on = triggers(load("preview-cleanup.yml"))
    assert set(on["pull_request"]["types"]) == {"closed", "unlabeled"}
    assert on["schedule"][0]["cron"]

    assert triggers(load("main-branch.yaml")) == {"push": {"branches": ["main"]}}
    assert triggers(load("release.yaml")) == {"release": {"types": ["prereleased", "released"]}}
    assert triggers(load("hotfix-enabled.yml")) == {"release": {"types": ["released"]}}
    assert "pull_request" in triggers(load("validate.yml"))
    assert "pull_request_target" in triggers(load("labeler.yaml"))

    on = triggers(load("hotfix-branch.yml"))
    assert on["pull_request"]["branches"] == ["release/**"]
    assert triggers(load("hotfix-release.yml")) == {"push": {"branches": ["release/**"]}}

    inputs = triggers(load("rollback.yml"))["workflow_dispatch"]["inputs"]
    assert inputs["environment"]["type"] == "choice"
    assert set(inputs["environment"]["options"]) == {"dev", "staging", "prod"}
    assert inputs["version"]["required"] is True


def test_labeler_workflow_never_checks_out_pr_code() -> None:
    """pull_request_target runs with a write token: it must not run anything from the PR."""
    for job in jobs(load("labeler.yaml")).values():
        assert not steps_using(job, "actions/checkout"), "labeler must not check out the PR"
        assert all("run" not in step for step in job["steps"])


# --- environments and roles -------------------------------------------------------------------------------------


def _deploy_target(argv: list[str]) -> str | None:
    """The environment a CLI call changes, or None for read-only calls."""
    if argv[0] in ("up", "destroy", "rollback"):
        return argv[1]
    if argv[0] == "promote":
        return argv[2]
    if argv[0] == "cleanup-previews":
        return "preview"
    return None


def deploy_calls() -> list[tuple[str, str, dict[str, Any]]]:
    """(file, job id, job) for every job that deploys through the reusable deploy workflow."""
    return [
        (name, job_id, job)
        for name, doc in all_workflows().items()
        for job_id, job in jobs(doc).items()
        if job.get("uses") == DEPLOY
    ]


def test_deploy_jobs_are_bound_to_their_environment_and_role() -> None:
    """Every dev/staging/prod change runs in reusable-deploy.yml, in the GitHub environment it deploys, with that
    environment's role and no other (an unknown environment gets no role at all)."""
    for name, job_id, argv in cli_calls():
        target = _deploy_target(argv)
        if target in ("dev", "staging", "prod") or (target and target.startswith("$")):
            assert name == "reusable-deploy.yml", f"{name}:{job_id} deploys {target} outside reusable-deploy.yml"
    (deploy,) = jobs(load("reusable-deploy.yml")).values()
    assert env_name(deploy) == "${{ inputs.environment }}"
    (setup,) = steps_using(deploy, SETUP_ACTION)
    role = setup["with"]["role-to-assume"]
    for stage in ("dev", "staging", "prod"):
        assert f"inputs.environment == '{stage}' && vars.AWS_ROLE_{stage.upper()}" in role
    assert role.endswith("|| '' }}"), role
    first_run = next(step for step in deploy["steps"] if "run" in step)
    assert deploy["steps"].index(first_run) < deploy["steps"].index(setup), "check inputs before assuming a role"
    assert len(deploy_calls()) >= 5


def test_release_deploys_the_release_commit_to_staging_then_prod() -> None:
    """Not what dev runs: the image main built from the release's own commit, by digest, tagged as the release."""
    release = jobs(load("release.yaml"))
    staging, prod = release["staging"], release["prod"]
    assert staging["with"]["environment"] == "staging" and prod["with"]["environment"] == "prod"
    assert staging["with"]["image"] == "${{ vars.ECR_REPOSITORY }}:sha-${{ github.sha }}"
    assert staging["with"]["release-tag"] == "${{ github.event.release.tag_name }}"
    assert prod["needs"] == "staging"
    assert prod["with"]["image"] == "${{ needs.staging.outputs.image }}"
    assert prod["if"] == "github.event.action == 'released'"
    outputs = triggers(load("reusable-deploy.yml"))["workflow_call"]["outputs"]
    assert outputs["image"]["value"] == "${{ jobs.deploy.outputs.image }}"


def test_no_workflow_promotes_what_an_environment_happens_to_run() -> None:
    assert not [call for call in cli_calls() if call[2][0] == "promote"]


def test_hotfix_release_deploys_its_own_build_not_a_promotion() -> None:
    """The hotfix job tags and deploys the digest its own build pushed (by its full registry URL, so the tag is
    written in the registry account), never what an environment happens to run; creating the branch runs nothing."""
    doc = load("hotfix-release.yml")
    prod = jobs(doc)["prod"]
    assert "build" in prod["needs"] and prod["uses"] == DEPLOY
    assert prod["with"]["image"] == "${{ needs.build.outputs.image }}"
    assert prod["with"]["release-tag"] == "${{ needs.version.outputs.version }}"
    for job_id in ("test", "build", "version"):
        assert jobs(doc)[job_id]["if"] == "${{ !github.event.created }}", job_id
    (deploy,) = jobs(load("reusable-deploy.yml")).values()
    runs = "\n".join(s.get("run", "") for s in deploy["steps"])
    assert 'image tag "${DEPLOYED%@*}" "${DEPLOYED#*@}" "$RELEASE"' in runs


def test_main_deploys_dev_by_digest_then_drafts_release() -> None:
    main = jobs(load("main-branch.yaml"))
    deploy = main["deploy-dev"]
    assert deploy["uses"] == DEPLOY and deploy["with"]["environment"] == "dev"
    assert set(deploy["needs"]) == {"test", "build"}
    assert deploy["with"]["image"] == "${{ needs.build.outputs.image }}"
    draft = main["draft-release"]
    assert draft["needs"] == "deploy-dev"
    (drafter,) = steps_using(draft, "release-drafter/release-drafter@")
    config = drafter["with"]["config-name"]
    assert (GITHUB / config).is_file()


def test_build_output_is_the_pushed_digest() -> None:
    build = load("reusable-build.yml")
    outputs = triggers(build)["workflow_call"]["outputs"]
    assert outputs["image"]["value"] == "${{ jobs.build.outputs.image }}"
    job = jobs(build)["build"]
    (push,) = steps_using(job, "docker/build-push-action@")
    assert push["with"]["push"] is True
    result = next(s for s in job["steps"] if s.get("id") == "result")
    assert result["env"]["BUILT"] == "${{ steps.build.outputs.digest }}"
    assert '@$digest"' in result["run"]
    assert steps_using(job, "aws-actions/amazon-ecr-login@")


def test_previews_build_the_pr_head_and_deploy_only_with_the_label() -> None:
    for name in ("feature-branch.yml", "hotfix-branch.yml"):
        build = jobs(load(name))["build"]
        assert build["with"]["tag"] == "sha-${{ github.event.pull_request.head.sha }}"
        assert build["with"]["ref"] == "${{ github.event.pull_request.head.sha }}"
        preview = jobs(load(name))["preview"]
        assert preview["with"]["pr-number"] == "${{ github.event.pull_request.number }}"
        assert preview["with"]["image"] == "${{ needs.build.outputs.image }}"
    preview = jobs(load("feature-branch.yml"))["preview"]
    assert "contains(github.event.pull_request.labels.*.name, 'deploy')" in preview["if"]


def test_preview_comment_is_one_comment_updated_in_place() -> None:
    comment = jobs(load("reusable-preview.yml"))["comment"]
    (script_step,) = steps_using(comment, "actions/github-script@")
    script = script_step["with"]["script"]
    assert "updateComment" in script and "createComment" in script and "marker" in script
    deploy = jobs(load("reusable-preview.yml"))["deploy"]
    assert any("--markdown" in s.get("run", "") for s in deploy["steps"])
    assert script_step["env"]["DIFF"] == "${{ needs.deploy.outputs.diff }}"
    assert script_step["env"]["URL"] == "${{ needs.deploy.outputs.url }}"


# --- the PR number reaches cleanup ----------------------------------------------------------------------------


def test_cleanup_passes_the_pr_number() -> None:
    destroy = jobs(load("preview-cleanup.yml"))["destroy"]
    assert destroy["env"]["PR_NUMBER"] == "${{ github.event.pull_request.number }}"
    runs = [s["run"] for s in destroy["steps"] if "run" in s]
    assert any('destroy preview --pr "${PR_NUMBER}"' in run for run in runs)
    assert "github.event.label.name == 'deploy'" in destroy["if"]
    assert destroy["concurrency"]["group"] == "preview-${{ github.event.pull_request.number }}"

    preview = jobs(load("reusable-preview.yml"))["deploy"]
    assert preview["env"]["PR_NUMBER"] == "${{ inputs.pr-number }}"
    for step in preview["steps"]:
        if "python -m ecsdelivery" in step.get("run", ""):
            assert '--pr "$PR_NUMBER"' in step["run"]


def test_sweep_lists_open_prs_and_expires() -> None:
    sweep = jobs(load("preview-cleanup.yml"))["sweep"]
    (run,) = [s["run"] for s in sweep["steps"] if "run" in s]
    assert re.search(r"OPEN_PRS=\$\(gh pr list .*--state open.*--json number", run)
    assert "--limit" in run  # gh lists 30 PRs by default: the others' previews would be destroyed
    assert 'cleanup-previews --open-prs "$OPEN_PRS" --expired' in run


# --- concurrency ------------------------------------------------------------------------------------------------


def _concurrency(doc: dict[str, Any], job: dict[str, Any]) -> dict[str, Any] | None:
    value = job.get("concurrency", doc.get("concurrency"))
    if isinstance(value, str):
        return {"group": value, "cancel-in-progress": False}
    return value


def test_deploys_never_cancel_in_progress() -> None:
    """Deploys of an environment share `deploy-<env>` (a rollback `rollback-<env>`: it must not queue behind a
    deploy waiting for approval) and are never cancelled half-way."""
    checked = set()
    for name, job_id, job in deploy_calls():
        concurrency = job["concurrency"]
        environment = job["with"]["environment"]
        stage = "${{ inputs.environment }}" if environment.startswith("$") else environment
        expected = f"rollback-{stage}" if name == "rollback.yml" else f"deploy-{stage}"
        assert concurrency == {"group": expected, "cancel-in-progress": False}, f"{name}:{job_id}"
        checked.add(name)
    # The loop must have seen the deploying workflows, rollback.yml among them, or it proved nothing.
    assert {"main-branch.yaml", "release.yaml", "rollback.yml"} <= checked, checked
    for name, doc in all_workflows().items():
        if any(job.get("uses") == DEPLOY for job in jobs(doc).values()):
            assert "concurrency" not in doc or doc["concurrency"]["cancel-in-progress"] is False, name


def test_previews_are_never_cancelled_half_way() -> None:
    """A new push cancels the PR's tests and build, never a running preview deploy or the cleanup's destroy."""
    destroy = jobs(load("preview-cleanup.yml"))["destroy"]
    for name in ("feature-branch.yml", "hotfix-branch.yml"):
        doc = load(name)
        assert "concurrency" not in doc, f"{name}: a run-level group cancels the preview deploy with the run"
        group = "preview-${{ github.event.pull_request.number }}"
        assert jobs(doc)["preview"]["concurrency"] == {"group": group, "cancel-in-progress": False}
        assert destroy["concurrency"] == {"group": group, "cancel-in-progress": False}
        for job_id in ("test", "build"):
            assert jobs(doc)[job_id]["concurrency"]["cancel-in-progress"] is True


# --- permissions ------------------------------------------------------------------------------------------------


def _writes(permissions: dict[str, str] | None) -> set[str]:
    return {scope for scope, level in (permissions or {}).items() if level == "write"}


def _configures_aws(job: dict[str, Any]) -> bool:
    if steps_using(job, "aws-actions/configure-aws-credentials@"):
        return True
    return any(s.get("with", {}).get("role-to-assume") for s in steps_using(job, SETUP_ACTION))


def _needed_writes(job: dict[str, Any]) -> set[str]:
    """Write scopes a job's own steps use."""
    needed: set[str] = set()
    if _configures_aws(job):
        needed.add("id-token")
    for step in job.get("steps", []):
        uses = str(step.get("uses", ""))
        script = str(step.get("with", {}).get("script", ""))
        run = str(step.get("run", ""))
        if uses.startswith("actions/labeler@") or "createComment" in script or "gh pr create" in run:
            needed.add("pull-requests")
        if uses.startswith("actions/labeler@"):
            needed.add("issues")  # creating a missing label is an issues-API call
        if "/deployments/" in run:
            needed.add("deployments")
        if "gh workflow run" in run:
            needed.add("actions")
        if "/git/refs" in run:
            needed.add("contents")
        if uses.startswith("release-drafter/release-drafter@") or "gh release create" in run:
            needed.add("contents")
    return needed


def _called_writes(uses: str) -> set[str]:
    called = load(uses.removeprefix("$/.github/workflows/"))
    return set().union(*(_writes(job.get("permissions")) for job in jobs(called).values()))


def test_top_level_permissions_are_empty() -> None:
    for name, doc in all_workflows().items():
        assert doc.get("permissions") == {}, f"{name}: set `permissions: {{}}` at the top"


def test_no_job_has_write_permissions_it_does_not_use() -> None:
    for name, doc in all_workflows().items():
        for job_id, job in jobs(doc).items():
            assert "permissions" in job, f"{name}:{job_id} must state its permissions"
            granted = _writes(job["permissions"])
            needed = _called_writes(job["uses"]) if "uses" in job else _needed_writes(job)
            assert granted == needed, f"{name}:{job_id} has write {sorted(granted)} but uses {sorted(needed)}"
            for scope, level in job["permissions"].items():
                assert level in ("read", "write", "none"), f"{name}:{job_id}: {scope}: {level}"


def test_the_permission_rules_can_fail() -> None:
    job = {"permissions": {"contents": "write", "id-token": "write"}, "steps": [{"run": "echo hi"}]}
    assert _writes(job["permissions"]) != _needed_writes(job)


# --- supply chain and injection ---------------------------------------------------------------------------------

_USES_LINE = re.compile(r"^\s*(?:-\s*)?uses:\s*(\S+)\s*(#.*)?$")
_PINNED = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")


def _yaml_files() -> list[Path]:
    return [*sorted(WORKFLOWS.glob("*.y*ml")), GITHUB / "actions" / "setup-ecsdelivery" / "action.yml"]


def test_every_action_is_pinned_by_commit_with_a_version_comment() -> None:
    count = 0
    for path in _yaml_files():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = _USES_LINE.match(line)
            if not match:
                continue
            ref, comment = match.group(1), match.group(2) or ""
            assert not ref.startswith("./"), f"{path.name}:{number}: use `$/` (this repository at the running commit)"
            if ref.startswith("$/"):
                assert (ROOT / ref.removeprefix("$/")).exists(), f"{path.name}:{number}: {ref} does not exist"
                continue
            assert _PINNED.fullmatch(ref), f"{path.name}:{number}: {ref} is not pinned by a 40-hex commit"
            assert re.fullmatch(r"# v\d+\.\d+\.\d+", comment.strip()), f"{path.name}:{number}: add `# vX.Y.Z`"
            count += 1
    assert count >= 20


def test_checkouts_do_not_persist_credentials() -> None:
    checked = 0
    for name, doc in all_workflows().items():
        for job_id, job in jobs(doc).items():
            for step in steps_using(job, "actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False, f"{name}:{job_id}"
                checked += 1
    assert checked >= 5, f"only {checked} checkouts seen"


def test_no_expressions_inside_scripts() -> None:
    """Values reach shell and JavaScript through env:, never through `${{ }}` pasted into the code."""
    scripts = list(run_blocks())
    assert {name for name, *_ in scripts} >= {"rollback.yml", "reusable-deploy.yml", "action.yml"}, "scripts not seen"
    for name, job_id, _job, script in scripts:
        assert "${{" not in script, f"{name}:{job_id}: pass the value through env:"
    for name, doc in all_workflows().items():
        for job_id, job in jobs(doc).items():
            for step in steps_using(job, "actions/github-script@"):
                assert "${{" not in step["with"]["script"], f"{name}:{job_id}"


def test_reusable_calls_pass_secrets_explicitly() -> None:
    for name, doc in all_workflows().items():
        for job_id, job in jobs(doc).items():
            assert job.get("secrets") != "inherit", f"{name}:{job_id}: pass only the secrets the callee declares"


# --- labeler config ---------------------------------------------------------------------------------------------


def test_labeler_globs_match_this_repository() -> None:
    config = yaml.safe_load((GITHUB / "labeler.yml").read_text())
    assert {"ecsdelivery", "stacks", "programs", "ci", "app", "tests", "benchmarks", "docs"} <= set(config)
    for label, rules in config.items():
        globs = [g for rule in rules for entry in rule["changed-files"] for g in entry["any-glob-to-any-file"]]
        for pattern in globs:
            top = pattern.split("/")[0]
            if "*" in top:
                assert list(ROOT.glob(pattern)), f"{label}: {pattern} matches nothing"
            else:
                assert (ROOT / top).exists(), f"{label}: {pattern} names {top}, which this repository lacks"


# --- what an application repository installs ---------------------------------------------------------------------


def test_the_setup_action_and_the_reusable_workflows_pin_this_release() -> None:
    """An application calling the workflows at a commit gets the ecsdelivery of that commit's release, not
    whatever pip resolves that day; this repository's own callers install the checkout under test instead."""
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert composite_action()["inputs"]["ecsdelivery-version"]["default"] == version
    for name in ("reusable-deploy.yml", "reusable-build.yml", "reusable-preview.yml"):
        inputs = triggers(load(name))["workflow_call"]["inputs"]
        assert inputs["ecsdelivery-version"] == {
            **inputs["ecsdelivery-version"],
            "type": "string",
            "default": version,
        }, name
    for name, doc in all_workflows().items():
        for job_id, job in jobs(doc).items():
            if str(job.get("uses", "")).startswith("$/.github/workflows/reusable-") and "test" not in job["uses"]:
                assert job["with"]["ecsdelivery-version"] == "checkout", f"{name}:{job_id}"


def test_the_setup_action_caches_the_installed_packages_and_the_pulumi_plugins() -> None:
    steps = composite_action()["runs"]["steps"]
    (cache,) = [s for s in steps if str(s.get("uses", "")).startswith("actions/cache@")]
    paths = cache["with"]["path"].strip().splitlines()
    assert paths == ["${{ steps.where.outputs.prefix }}", "~/.cache/pip", "~/.ecsdelivery/pulumi", "~/.pulumi/plugins"]
    assert "${{ steps.python.outputs.python-version }}" in cache["with"]["key"]
    assert "${{ inputs.ecsdelivery-version }}" in cache["with"]["key"]
    install = next(s for s in steps if s.get("name") == "Install ecsdelivery")
    assert steps.index(cache) < steps.index(install)
