"""The delivery pipeline, event by event, in the multi-account layout of `stacks/`.

Each test replays GitHub events through the workflows with `pipeline_sim.Pipeline`: which jobs run, in which
environment and concurrency group, with which role in which account, each `python -m ecsdelivery` call (run for
real, against a moto server with one account per environment and the Pulumi CLI double), and every AWS call,
checked against the roles' identity policies and the repository policy the shared stack renders. A call AWS
would refuse fails the job, and so the test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fake_pulumi import FakePulumiCommand, FakeState
from pipeline_roles import documented_variables
from pipeline_sim import Event, JobRun, Pipeline

from ecsdelivery.components import _policies
from ecsdelivery.driver import workspace
from ecsdelivery.synth import synthesize

REGISTRY = "111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web"
C1 = "1" * 40  # the release commit
C2 = "2" * 40  # main after the release
HEAD = "a" * 40  # a PR head


def small_program() -> None:
    """The engine double deploys this stand-in (the AWS calls under test are ecsdelivery's own, not the engine's):
    with the cluster and services the delivery program exports, whose deployments `up` then reads from ECS."""
    import pulumi_aws as aws

    config = pulumi.Config("ecsdelivery")
    image = config.get("image") or ""
    stack = pulumi.get_stack()
    aws.cloudwatch.LogGroup(f"{stack}-logs", retention_in_days=1)
    pulumi.export("url", f"https://{stack}.example.test")
    pulumi.export("image", image)
    pulumi.export("imageDigest", image.rsplit("@", 1)[-1])
    for key, value in service_outputs(stack).items():
        pulumi.export(key, value)


#: The stacks the events below deploy (a preview the simulation has not synthesised fails its `up`, saying so).
DEPLOYED_STACKS = ("dev", "staging", "prod", "pr-42", "pr-7")


def service_outputs(stack: str) -> dict[str, Any]:
    """`clusterName` and `services` as the delivery program exports them for `stack` (`synthesised_outputs`)."""
    return SERVICE_OUTPUTS[stack]


SERVICE_OUTPUTS: dict[str, dict[str, Any]] = {}


@pytest.fixture(scope="module", autouse=True)
def synthesised_outputs() -> None:
    """Each deployed stack's offline synth, once, outside any program run (synth sets Pulumi's mocks up)."""
    for stack in DEPLOYED_STACKS:
        env, pr = ("preview", int(stack.removeprefix("pr-"))) if stack.startswith("pr-") else (stack, None)
        outputs = synthesize(env, pr=pr, stacks_dir=str(Path(__file__).resolve().parents[1] / "stacks")).outputs
        services = {k: {"serviceName": v["serviceName"]} for k, v in outputs["services"].items()}
        SERVICE_OUTPUTS[stack] = {"clusterName": outputs["clusterName"], "services": services}


def rendered_repository_policy() -> dict[str, Any]:
    """The repository policy exactly as the shared stack renders it (the program under Pulumi mocks)."""
    result = synthesize("shared", stacks_dir=str(Path(__file__).resolve().parents[1] / "stacks"))
    (policy,) = [r["inputs"]["policy"] for r in result.of_type("aws:ecr/repositoryPolicy:RepositoryPolicy")]
    return json.loads(policy) if isinstance(policy, str) else policy


@pytest.fixture(scope="module")
def repository_policy() -> dict[str, Any]:
    return rendered_repository_policy()


@pytest.fixture
def pipeline(
    tmp_path: Path, moto_server: str, monkeypatch: pytest.MonkeyPatch, repository_policy: dict[str, Any]
) -> Iterator[Pipeline]:
    state = FakeState()
    monkeypatch.setattr(workspace.HOOKS, "pulumi_command", lambda: FakePulumiCommand(state))
    monkeypatch.setattr(workspace.HOOKS, "program", small_program)
    sim = Pipeline(tmp_path, moto_server, state, repository_policy)
    _git(sim.workspace, "init", "-q", "-b", "main")
    _git(sim.workspace, "commit", "-q", "--allow-empty", "-m", "release")
    with sim.recording():
        sim.create_registry()
        yield sim


def _git(cwd: Path, *args: str) -> str:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1"}
    env |= {f"GIT_{who}_{what}": "t" for who in ("AUTHOR", "COMMITTER") for what in ("NAME", "EMAIL")}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


# --- events -----------------------------------------------------------------------------------------------------


def push(branch: str, sha: str, created: bool = False) -> Event:
    return Event("push", {"ref": f"refs/heads/{branch}", "created": created, "after": sha}, f"refs/heads/{branch}", sha)


#: Every PR also runs validate.yml (lint, tests, synth of every stack: offline, no AWS); it is replayed once, in
#: its own test, to keep the others quick.
CHECKS = frozenset({"validate.yml"})


def pull_request(
    action: str,
    labels: tuple[str, ...] = ("deploy",),
    label: str | None = None,
    base: str = "main",
    number: int = 42,
    name: str = "pull_request",
) -> Event:
    payload: dict[str, Any] = {
        "number": number,
        "pull_request": {
            "number": number,
            "labels": [{"name": n} for n in labels],
            "head": {"sha": HEAD, "ref": "feature", "repo": {"full_name": "acme/web"}},
            "base": {"ref": base, "sha": C2},
        },
    }
    if label:
        payload["label"] = {"name": label}
    return Event(name, payload, f"refs/pull/{number}/merge", "f" * 40, actions=(action,))


def release(version: str, sha: str, *actions: str, prerelease: bool = False) -> Event:
    payload = {"release": {"tag_name": version, "prerelease": prerelease}}
    return Event("release", payload, f"refs/tags/{version}", sha, actions=actions)


def dispatch(workflow: str, ref: str, **inputs: str) -> Event:
    return Event("workflow_dispatch", {"workflow": workflow, "inputs": inputs}, ref, C2, inputs=inputs)


# --- checks -----------------------------------------------------------------------------------------------------


def ran(jobs: list[JobRun]) -> dict[str, JobRun]:
    return {job.name: job for job in jobs if job.status != "skipped"}


def assert_succeeded(jobs: list[JobRun]) -> None:
    failed = [f"{job.name}: {job.error}" for job in jobs if job.status == "failure"]
    assert not failed, "\n".join(failed)


def assert_every_aws_call_allowed(sim: Pipeline) -> None:
    refused = [
        f"{c.job}: {c.action} on {c.resource} as {c.principal}: {c.reason}" for c in sim.aws_calls if not c.allowed
    ]
    assert not refused, "\n".join(refused)


#: What `up` asks ECS after its update (whether ECS rolled a service's deployment back), per service.
ECS_READS = {"ecs:DescribeServices", "ecs:ListServiceDeployments", "ecs:DescribeServiceDeployments"}


def ecs_reads(sim: Pipeline, job: JobRun) -> dict[str, bool]:
    """The ECS calls `job` made, on which resources, and whether its role allowed each."""
    return {
        f"{c.action} {c.resource}": c.allowed for c in sim.aws_calls if c.job == job.name and c.action[:4] == "ecs:"
    }


def build_main(sim: Pipeline, sha: str) -> str:
    """A push to main: the image built from `sha`, by digest, as dev now runs it."""
    jobs = sim.fire(push("main", sha))
    assert_succeeded(jobs)
    return ran(jobs)["main-branch.yaml:deploy-dev:deploy"].outputs["image"]


# --- the stack files' layout --------------------------------------------------------------------------------------


def test_the_repository_policy_grants_exactly_what_the_workflows_call(repository_policy: dict[str, Any]) -> None:
    read, tag = repository_policy["Statement"]
    assert read["Principal"]["AWS"] == [
        f"arn:aws:iam::{a}:root" for a in ("222222222222", "333333333333", "444444444444")
    ]
    assert tag["Principal"]["AWS"] == ["arn:aws:iam::333333333333:root", "arn:aws:iam::444444444444:root"]
    assert tag["Action"] == ["ecr:PutImage"]


def test_the_documented_roles_live_in_the_accounts_they_deploy_to() -> None:
    variables = documented_variables()
    assert variables["AWS_ROLE_BUILD"].split(":")[4] == "111111111111"
    for name, account in (
        ("PREVIEW", "222222222222"),
        ("DEV", "222222222222"),
        ("STAGING", "333333333333"),
        ("PROD", "444444444444"),
    ):
        assert variables[f"AWS_ROLE_{name}"].split(":")[4] == account, name


# --- main, previews, cleanup --------------------------------------------------------------------------------------


def test_push_to_main_builds_in_the_registry_account_and_deploys_dev(pipeline: Pipeline) -> None:
    jobs = ran(pipeline.fire(push("main", C1)))
    assert_succeeded(list(jobs.values()))
    build = jobs["main-branch.yaml:build:build"]
    assert (build.role, build.account) == ("arn:aws:iam::111111111111:role/acme-web-build", "111111111111")
    assert build.cli == [["image", "resolve", "acme/web", f"sha-{C1}"]]
    deploy = jobs["main-branch.yaml:deploy-dev:deploy"]
    assert (deploy.environment, deploy.account) == ("dev", "222222222222")
    assert deploy.concurrency == {"group": "deploy-dev", "cancel-in-progress": False}
    assert deploy.cli[0][:4] == ["up", "dev", "--image", build.outputs["image"]]
    assert deploy.outputs["image"].startswith(f"{REGISTRY}@sha256:")
    assert "main-branch.yaml:draft-release" in jobs
    service = (
        "arn:aws:ecs:us-east-1:222222222222:service/acme-dev-web/"
        + service_outputs("dev")["services"]["web"]["serviceName"]
    )
    assert {k.split(" ")[0] for k in ecs_reads(pipeline, deploy)} == ECS_READS
    assert ecs_reads(pipeline, deploy)[f"ecs:ListServiceDeployments {service}"] is True
    assert_every_aws_call_allowed(pipeline)


def test_a_labelled_pr_deploys_its_preview_and_cleanup_retires_it(pipeline: Pipeline) -> None:
    jobs = ran(pipeline.fire(pull_request("labeled", label="deploy"), skip=CHECKS))
    assert_succeeded(list(jobs.values()))
    deploy = jobs["feature-branch.yml:preview:deploy"]
    assert (deploy.environment, deploy.account) == ("preview", "222222222222")
    assert deploy.concurrency == {"group": "preview-42", "cancel-in-progress": False}
    assert [c[:2] for c in deploy.cli] == [["diff", "preview"], ["up", "preview"]]
    reads = ecs_reads(pipeline, deploy)  # the preview's service, in dev's cluster
    assert {k.split(" ")[0] for k in reads} == ECS_READS and all(reads.values())
    assert any(":service/acme-dev-web/acme-preview-web-pr-42" in k for k in reads)
    assert deploy.outputs["url"] == "https://pr-42.example.test" and "pr-42" in deploy.outputs["diff"]
    assert jobs["feature-branch.yml:test:test"].status == "success"

    # Another label starts nothing; removing `deploy`, or closing, destroys the preview in the same group.
    assert not ran(pipeline.fire(pull_request("labeled", labels=("deploy", "docs"), label="docs"), skip=CHECKS))
    jobs = ran(pipeline.fire(pull_request("unlabeled", labels=(), label="deploy"), skip=CHECKS))
    destroy = jobs["preview-cleanup.yml:destroy"]
    assert destroy.concurrency == deploy.concurrency
    assert destroy.cli == [["destroy", "preview", "--pr", "42", "--yes"]]
    assert_succeeded(list(jobs.values()))
    assert all(d["state"] == "inactive" for d in pipeline.github.deployments if d["environment"] == "preview")
    jobs = ran(pipeline.fire(pull_request("closed", labels=()), skip=CHECKS))
    assert_succeeded(list(jobs.values()))
    assert_every_aws_call_allowed(pipeline)


def test_a_new_push_cancels_tests_and_builds_but_never_a_deploy(pipeline: Pipeline) -> None:
    jobs = ran(pipeline.fire(pull_request("synchronize"), skip=CHECKS))
    groups = {name: job.concurrency for name, job in jobs.items()}
    assert groups["feature-branch.yml:test:test"] == {"group": "test-pr-42", "cancel-in-progress": True}
    assert groups["feature-branch.yml:build:build"] == {"group": "build-pr-42", "cancel-in-progress": True}
    for name, group in groups.items():
        if jobs[name].environment:
            assert group is not None and group["cancel-in-progress"] is False, name


def test_every_pr_is_validated_offline(pipeline: Pipeline) -> None:
    jobs = ran(pipeline.fire(pull_request("opened", labels=())))
    assert_succeeded(list(jobs.values()))
    stacks = jobs["validate.yml:stacks"]
    assert stacks.role is None and ["synth", "prod"] in stacks.cli and ["check", "preview", "--pr", "1"] in stacks.cli
    assert "validate.yml:workflows" in jobs
    assert not [c for c in pipeline.aws_calls if c.job.startswith("validate.yml")]


def test_a_pr_into_a_release_branch_deploys_a_hotfix_preview(pipeline: Pipeline) -> None:
    jobs = ran(pipeline.fire(pull_request("opened", labels=(), base="release/v1.4", number=7), skip=CHECKS))
    assert_succeeded(list(jobs.values()))
    deploy = jobs["hotfix-branch.yml:preview:deploy"]
    assert (deploy.environment, deploy.account) == ("preview", "222222222222")
    assert deploy.concurrency == {"group": "preview-7", "cancel-in-progress": False}
    assert "feature-branch.yml:preview:deploy" not in jobs
    assert_every_aws_call_allowed(pipeline)


def test_the_daily_sweep_removes_previews_of_closed_prs(pipeline: Pipeline) -> None:
    assert_succeeded(pipeline.fire(pull_request("labeled", label="deploy"), skip=CHECKS))
    assert "pr-42" in pipeline.fake_state.stacks
    jobs = ran(pipeline.fire(Event("schedule", {"schedule": "23 4 * * *"}, "refs/heads/main", C2)))
    assert_succeeded(list(jobs.values()))
    sweep = jobs["preview-cleanup.yml:sweep"]
    assert sweep.cli == [["cleanup-previews", "--open-prs", "", "--expired"]]
    assert (sweep.environment, sweep.account) == ("preview", "222222222222")
    assert "pr-42" not in pipeline.fake_state.stacks  # its PR is not open any more
    assert_every_aws_call_allowed(pipeline)


def test_the_labeler_can_create_labels_in_a_fresh_repository(pipeline: Pipeline) -> None:
    jobs = ran(pipeline.fire(pull_request("opened", labels=(), name="pull_request_target"), skip=CHECKS))
    assert_succeeded(list(jobs.values()))
    assert "labeler.yaml:label" in jobs


# --- releases ---------------------------------------------------------------------------------------------------


def test_a_release_deploys_its_own_commit_to_staging_then_prod(pipeline: Pipeline) -> None:
    released = build_main(pipeline, C1)
    dev_now = build_main(pipeline, C2)  # main moved on: dev runs another image
    assert dev_now != released
    pipeline.github.tags["v1.4.0"] = C1
    jobs = ran(pipeline.fire(release("v1.4.0", C1, "published", "released")))
    assert_succeeded(list(jobs.values()))
    staging = jobs["release.yaml:staging:deploy"]
    prod = jobs["release.yaml:prod:deploy"]
    assert (staging.environment, staging.account, prod.environment, prod.account) == (
        "staging",
        "333333333333",
        "prod",
        "444444444444",
    )
    assert staging.cli[0] == ["up", "staging", "--image", f"acme/web:sha-{C1}", "--stacks-dir", "stacks", "--yes"]
    assert staging.outputs["image"] == released
    assert prod.cli[0][:4] == ["up", "prod", "--image", released]
    assert staging.cli[1][:2] == ["image", "tag"] and staging.cli[1][-1] == "v1.4.0"
    assert prod.concurrency == {"group": "deploy-prod", "cancel-in-progress": False}
    # The cross-account calls, as AWS sees them: from the staging and prod accounts into the registry's.
    crossing = {
        (c.caller_account, c.target_account, c.action)
        for c in pipeline.aws_calls
        if c.caller_account != c.target_account
    }
    assert ("333333333333", "111111111111", "ecr:DescribeImages") in crossing
    assert ("333333333333", "111111111111", "ecr:PutImage") in crossing
    for job in (staging, prod):  # each environment's role reads its own services' deployments
        reads = ecs_reads(pipeline, job)
        assert {k.split(" ")[0] for k in reads} == ECS_READS and all(reads.values())
        assert all(f":{job.account}:service" in k for k in reads)
    assert_every_aws_call_allowed(pipeline)
    # Its hotfix line opens (once).
    assert pipeline.github.branches["release/v1.4"] == C1
    assert "hotfix-enabled.yml:branch" in jobs


def test_a_release_of_a_commit_never_built_changes_nothing(pipeline: Pipeline) -> None:
    build_main(pipeline, C2)
    jobs = pipeline.fire(release("v1.5.0", "9" * 40, "published", "released"))
    staging = next(j for j in jobs if j.name == "release.yaml:staging:deploy")
    assert staging.status == "failure" and f"cannot resolve acme/web:sha-{'9' * 40}" in staging.error
    assert "in the registry with id '111111111111'" in staging.error
    assert next(j for j in jobs if j.name == "release.yaml:prod").status == "skipped"
    staging_stack = pipeline.fake_state.stacks.get("staging")
    assert staging_stack is None or not staging_stack.history  # nothing deployed


def test_a_prerelease_stops_at_staging_and_reaches_prod_when_released(pipeline: Pipeline) -> None:
    build_main(pipeline, C1)
    jobs = ran(pipeline.fire(release("v2.0.0", C1, "published", "prereleased", prerelease=True)))
    assert_succeeded(list(jobs.values()))
    assert "release.yaml:staging:deploy" in jobs and "release.yaml:prod:deploy" not in jobs
    assert "hotfix-enabled.yml:branch" not in jobs
    jobs = ran(pipeline.fire(release("v2.0.0", C1, "released")))
    assert_succeeded(list(jobs.values()))
    assert "release.yaml:prod:deploy" in jobs
    assert_every_aws_call_allowed(pipeline)


# --- hotfixes ---------------------------------------------------------------------------------------------------


def test_creating_a_release_branch_runs_nothing(pipeline: Pipeline) -> None:
    assert not ran(pipeline.fire(push("release/v1.4", C1, created=True)))


def test_a_hotfix_push_tags_in_the_registry_account_and_deploys_prod(pipeline: Pipeline) -> None:
    _git(pipeline.workspace, "tag", "v1.4.0")
    pipeline.github.tags["v1.4.0"] = C1
    fix = "3" * 40
    jobs = ran(pipeline.fire(push("release/v1.4", fix)))
    assert_succeeded(list(jobs.values()))
    prod = jobs["hotfix-release.yml:prod:deploy"]
    assert (prod.environment, prod.account) == ("prod", "444444444444")
    assert prod.cli[1][:3] == ["image", "tag", REGISTRY] and prod.cli[1][-1] == "v1.4.1"
    tagged = [c for c in pipeline.aws_calls if c.action == "ecr:PutImage" and c.caller_account == "444444444444"]
    assert tagged and all(c.target_account == "111111111111" for c in tagged)
    assert pipeline.github.releases == ["v1.4.1"]
    assert pipeline.github.pulls[0]["head"] == "release/v1.4"
    assert pipeline.dispatched == [("validate.yml", "release/v1.4")]  # the reintegration PR gets its checks
    assert_every_aws_call_allowed(pipeline)


# --- rollbacks --------------------------------------------------------------------------------------------------


def test_a_rollback_dispatched_from_main_redeploys_a_release(pipeline: Pipeline) -> None:
    released = build_main(pipeline, C1)
    pipeline.github.tags["v1.4.0"] = C1
    assert_succeeded(pipeline.fire(release("v1.4.0", C1, "published", "released")))
    build_main(pipeline, C2)
    jobs = ran(pipeline.fire(dispatch("rollback.yml", "refs/heads/main", environment="prod", version="v1.4.0")))
    assert_succeeded(list(jobs.values()))
    deploy = jobs["rollback.yml:rollback:deploy"]
    assert deploy.concurrency == {"group": "rollback-prod", "cancel-in-progress": False}
    assert deploy.cli[0][:4] == ["rollback", "prod", "--to", "acme/web:v1.4.0"]
    assert deploy.outputs["image"] == released
    record = pipeline.fake_state.stacks["prod"].tags["ecsdelivery:last-rollback"]  # `outputs` and `list` show it
    assert record.startswith("by=manual;at=") and record.endswith(f";to={released.rsplit('@', 1)[1]}")
    jobs = ran(pipeline.fire(dispatch("rollback.yml", "refs/heads/main", environment="dev", version="v1.4.0")))
    assert_succeeded(list(jobs.values()))
    assert_every_aws_call_allowed(pipeline)


def test_a_rollback_to_a_version_never_released_stops_before_any_role(pipeline: Pipeline) -> None:
    jobs = pipeline.fire(dispatch("rollback.yml", "refs/heads/main", environment="prod", version="v9.9.9"))
    check = next(j for j in jobs if j.name == "rollback.yml:check")
    assert check.status == "failure" and "version 'v9.9.9' was never released" in check.error
    assert all(j.role is None for j in jobs)


# --- the simulation catches what AWS and GitHub would refuse ------------------------------------------------------


def test_a_pull_only_repository_policy_stops_the_first_deploy_before_it_starts(pipeline: Pipeline) -> None:
    """`up --image repo@sha256:...` looks the digest up in the registry before it deploys anything, which the
    deploy accounts may do only when the repository policy lets them read (DescribeImages), not just pull."""
    pipeline.repository_policy = _policies.document(
        [
            {
                "Sid": "CrossAccountPull",
                "Effect": "Allow",
                "Principal": {
                    "AWS": [
                        "arn:aws:iam::222222222222:root",
                        "arn:aws:iam::333333333333:root",
                        "arn:aws:iam::444444444444:root",
                    ]
                },
                "Action": list(_policies.ECR_PULL_ACTIONS),
            }
        ]
    )
    jobs = ran(pipeline.fire(push("main", C1)))
    deploy = jobs["main-branch.yaml:deploy-dev:deploy"]
    assert deploy.status == "failure" and "cannot resolve acme/web:sha256:" in deploy.error
    refused = [c for c in pipeline.aws_calls if not c.allowed]
    assert refused[0].action == "ecr:DescribeImages" and "the resource policy does not allow it" in refused[0].reason
    assert "dev" not in pipeline.fake_state.stacks  # nothing was deployed, not even an empty stack


def test_a_bare_repository_name_under_another_account_would_miss_the_registry(pipeline: Pipeline) -> None:
    """What `image tag acme/web ...` under the prod role does: it looks in prod's own registry, which has no
    repository (the hotfix workflow passes the registry URL instead)."""
    run = JobRun("adhoc:prod", "success", "prod", permissions={"id-token": "write", "contents": "read"})
    pipeline._job = run
    pipeline._assume(
        run,
        documented_variables()["AWS_ROLE_PROD"],
        {"github": {"repository": "acme/web", "event_name": "push", "ref": "refs/heads/release/v1.4"}},
        {"env": {}},
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_ENDPOINT_URL": pipeline.endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        **pipeline.credentials("444444444444"),
    }
    answer = pipeline._cli(["image", "tag", "acme/web", "sha256:" + "0" * 64, "v1.4.1"], env, str(pipeline.workspace))
    assert answer["code"] != 0 and "acme/web" in answer["stderr"]
    assert pipeline.aws_calls[-1].target_account == "444444444444"


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"environment": "qa", "image": "acme/web:v1.4.0"}, "environment 'qa' is not one of dev, staging, prod"),
        ({"environment": "prod", "image": "acme/web"}, "image 'acme/web' is not repo:tag or repo@sha256:<64 hex>"),
        ({"environment": "staging", "image": "acme/web:sha-1", "release-tag": "1.4"}, "release-tag '1.4' is not"),
    ],
)
def test_an_application_calling_the_deploy_with_bad_inputs_stops_before_any_role(
    pipeline: Pipeline, inputs: dict[str, str], message: str
) -> None:
    """As an application repository's caller job would run it: one line naming the input, no role assumed."""
    caller = {
        "uses": "$/.github/workflows/reusable-deploy.yml",
        "permissions": {"contents": "read", "id-token": "write"},
        "with": inputs,
    }
    event = push("main", C2)
    context = {
        "github": pipeline._github_context(event, event.payload),
        "vars": pipeline.variables,
        "secrets": {},
        "inputs": {},
        "env": {},
        "needs": {},
    }
    jobs, _outputs, result = pipeline._call_workflow("app.yml", "deploy", caller, context, None)
    (job,) = jobs
    assert result == "failure" and message in job.error
    assert job.role is None and not job.cli and not pipeline.aws_calls
