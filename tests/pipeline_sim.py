"""Replay GitHub events through this repository's workflows, as GitHub and AWS would run them.

`Pipeline.fire(event)` finds the workflows the event triggers, runs their jobs in `needs` order (evaluating `if:`,
`with:`, `env:`, `concurrency:` and `environment:` expressions, expanding reusable workflows and the composite
setup action), and runs every `run:` script with bash. On the scripts' PATH, `python` and `gh` are shims that hand
their argv to this process: `python -m ecsdelivery ...` runs the real CLI in-process (the real Automation API
over the Pulumi CLI double in tests/fake_pulumi) with the job's AWS credentials against a moto server, and `gh`
answers from a small model of the GitHub repository, refusing calls the job's token may not make.

AWS: each job's role is assumed on the moto server (one account per role, as the ARN says) after its trust
policy is checked against the job's OIDC subject. Every AWS API call the CLI makes is recorded with the caller's
account and the target resource's account and checked with `ecsdelivery.iam.evaluate` against the role's
identity policies (`pipeline_roles.identity_policies`) and the repository policy the shared stack renders; a
call AWS would refuse is answered with AccessDenied, as AWS would. moto keeps one backend per account and does
not route cross-account ECR calls, so an allowed cross-account call is carried out with the target account's
credentials.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import re
import selectors
import shutil
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pipeline_expr as expr
import yaml
from pipeline_roles import Layout, identity_policies, may_assume

from ecsdelivery.iam import Request, evaluate

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTION = ROOT / ".github" / "actions" / "setup-ecsdelivery" / "action.yml"
#: The prod environment's deployment branch and tag rule, as the README documents it.
PROD_REFS = ("refs/tags/v*", "refs/heads/release/**", "refs/heads/main")
#: What each `permissions:` scope a `gh` command needs (GitHub's REST API documentation).
NO_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": ""}


# --- events and results --------------------------------------------------------------------------------------


@dataclass
class Event:
    """A GitHub event: `name` (pull_request, push, release, ...), the activity types it fires (a published
    release fires `published` and `released`), its payload, ref and commit."""

    name: str
    payload: dict[str, Any]
    ref: str
    sha: str
    actions: tuple[str, ...] = ()
    inputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class AwsCall:
    job: str
    principal: str
    caller_account: str
    target_account: str
    action: str
    resource: str
    allowed: bool
    reason: str


@dataclass
class JobRun:
    """One job as it ran: `name` is `workflow:job` (`workflow:caller/job` inside a reusable workflow)."""

    name: str
    status: str  # success, failure, skipped
    environment: str | None = None
    concurrency: dict[str, Any] | None = None
    permissions: dict[str, str] = field(default_factory=dict)
    role: str | None = None
    account: str | None = None
    cli: list[list[str]] = field(default_factory=list)
    gh: list[list[str]] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    error: str = ""


# --- the pipeline --------------------------------------------------------------------------------------------


class Pipeline:
    """The repository, its GitHub settings and AWS accounts, and everything recorded while replaying events."""

    def __init__(self, workdir: Path, moto_endpoint: str, fake_state: Any, repository_policy: dict[str, Any]) -> None:
        self.workdir = workdir
        self.endpoint = moto_endpoint
        self.fake_state = fake_state
        self.layout = Layout.load(ROOT / "stacks")
        self.repository_policy = repository_policy
        self.variables = {**_documented_variables(), "PULUMI_BACKEND_URL": ""}
        self.jobs: list[JobRun] = []
        self.aws_calls: list[AwsCall] = []
        self.dispatched: list[tuple[str, str]] = []  # (workflow, ref) started by `gh workflow run`
        self.github = GitHubModel()
        self._job: JobRun | None = None
        self._credentials: dict[str, dict[str, str]] = {}
        self.workspace = workdir / "workspace"
        self._bin = workdir / "bin"
        self._socket_path = str(workdir / "sim.sock")
        self._setup_workspace()

    # -- setup --

    def _setup_workspace(self) -> None:
        self.workspace.mkdir(parents=True)
        for name in ("stacks", "schema", ".github"):
            shutil.copytree(ROOT / name, self.workspace / name)
        shutil.copy(ROOT / "Pulumi.yaml", self.workspace / "Pulumi.yaml")
        # reusable-test.yml's command is this test suite, which is running already.
        (self.workspace / "scripts").mkdir()
        (self.workspace / "scripts" / "test.sh").write_text("exit 0\n")
        self._bin.mkdir()
        shim = textwrap.dedent(
            f"""\
            #!{sys.executable}
            import json, os, socket, sys
            tool = os.path.basename(sys.argv[0])
            argv = sys.argv[1:]
            if tool == "python" and argv[:2] != ["-m", "ecsdelivery"] and argv[:2] != ["-m", "pip"]:
                os.execv({sys.executable!r}, [{sys.executable!r}, *argv])
            conn = socket.socket(socket.AF_UNIX)
            conn.connect(os.environ["SIM_SOCKET"])
            request = {{"tool": tool, "argv": argv, "env": dict(os.environ), "cwd": os.getcwd()}}
            conn.sendall(json.dumps(request).encode())
            conn.shutdown(socket.SHUT_WR)
            data = b"".join(iter(lambda: conn.recv(65536), b""))
            answer = json.loads(data)
            sys.stdout.write(answer["stdout"])
            sys.stderr.write(answer["stderr"])
            sys.exit(answer["code"])
            """
        )
        for path in (self._bin / "python", self._bin / "gh"):
            path.write_text(shim)
            path.chmod(0o755)

    def credentials(self, account: str) -> dict[str, str]:
        """Credentials of `account` on the moto server (an assumed role's keys belong to its account)."""
        if account not in self._credentials:
            sts = _raw_client(
                "sts",
                region_name="us-east-1",
                endpoint_url=self.endpoint,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/simulation", RoleSessionName="sim")[
                "Credentials"
            ]
            self._credentials[account] = {
                "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
                "AWS_SESSION_TOKEN": creds["SessionToken"],
            }
        return self._credentials[account]

    def client(self, service: str, account: str) -> Any:
        """A boto3 client acting as `account`, outside the recorder (setup and carrying out allowed calls)."""
        creds = self.credentials(account)
        return _raw_client(
            service,
            region_name=self.layout.region,
            endpoint_url=self.endpoint,
            aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=creds["AWS_SESSION_TOKEN"],
        )

    def create_registry(self) -> None:
        """What `up shared` creates: the repository in the registry account, with the rendered policy."""
        ecr = self.client("ecr", self.layout.registry_account)
        registry = self.layout.registry.ecr
        with contextlib.suppress(ecr.exceptions.RepositoryNotFoundException):  # the server outlives a test
            ecr.delete_repository(repositoryName=registry.name, force=True)
        ecr.create_repository(repositoryName=registry.name, imageTagMutability=registry.image_tag_mutability)
        ecr.set_repository_policy(repositoryName=registry.name, policyText=json.dumps(self.repository_policy))

    # -- events --

    def fire(self, event: Event, skip: frozenset[str] = frozenset()) -> list[JobRun]:
        """Run every workflow `event` triggers (but those named in `skip`); returns the jobs (also appended to
        `self.jobs`)."""
        ran: list[JobRun] = []
        for path in sorted(WORKFLOWS.glob("*.y*ml")):
            if path.name in skip:
                continue
            doc = yaml.safe_load(path.read_text())
            on = _triggers(doc)
            if "workflow_call" in on and len(on) == 1:
                continue
            for action in event.actions or (None,):
                if _triggered(on, event, action, path.name):
                    payload = {**event.payload, **({"action": action} if action else {})}
                    ran.extend(self._run_workflow(path.name, doc, event, payload))
        self.jobs.extend(ran)
        return ran

    def _github_context(self, event: Event, payload: dict[str, Any]) -> dict[str, Any]:
        ref = event.ref
        ref_name = ref.split("/", 2)[2] if ref.count("/") >= 2 else ref
        pr = payload.get("pull_request") or {}
        return {
            "event": payload,
            "event_name": event.name,
            "action": payload.get("action", ""),
            "ref": ref,
            "ref_name": ref_name,
            "sha": event.sha,
            "repository": "acme/web",
            "repository_owner": "acme",
            "run_id": "1001",
            "token": "github-token",
            "server_url": "https://github.com",
            "head_ref": (pr.get("head") or {}).get("ref", ""),
            "base_ref": (pr.get("base") or {}).get("ref", ""),
        }

    def _run_workflow(self, name: str, doc: dict[str, Any], event: Event, payload: dict[str, Any]) -> list[JobRun]:
        github = self._github_context(event, payload)
        inputs = {**_input_defaults(_triggers(doc).get("workflow_dispatch")), **event.inputs}
        context = {"github": github, "vars": self.variables, "secrets": {}, "inputs": inputs, "env": {}}
        return self._run_jobs(name, doc, context, caller=None)

    def _run_jobs(
        self, label: str, doc: dict[str, Any], context: dict[str, Any], caller: dict[str, Any] | None
    ) -> list[JobRun]:
        runs: list[JobRun] = []
        results: dict[str, dict[str, Any]] = {}
        pending = dict(doc["jobs"])
        while pending:
            ready = [j for j, job in pending.items() if all(n in results for n in _needs(job))]
            assert ready, f"{label}: a `needs` cycle or an unknown job in {sorted(pending)}"
            for job_id in ready:
                job = pending.pop(job_id)
                needs = {n: results[n] for n in _needs(job)}
                job_context = {**context, "needs": needs}
                status = "success" if all(n["result"] == "success" for n in needs.values()) else "failure"
                if any(n["result"] == "skipped" for n in needs.values()):
                    status = "skipped"
                run_it = expr.condition(job.get("if"), job_context, "success" if status == "success" else "failure")
                if not run_it or (status == "skipped" and "always()" not in str(job.get("if"))):
                    run = JobRun(f"{label}:{job_id}", "skipped")
                    runs.append(run)
                    results[job_id] = {"result": "skipped", "outputs": {}}
                    continue
                if "uses" in job:
                    inner, outputs, result = self._call_workflow(label, job_id, job, job_context, caller)
                    runs.extend(inner)
                    results[job_id] = {"result": result, "outputs": outputs}
                else:
                    run = self._run_job(f"{label}:{job_id}", job, doc, job_context, caller)
                    runs.append(run)
                    results[job_id] = {"result": run.status, "outputs": run.outputs}
        return runs

    def _call_workflow(
        self, label: str, job_id: str, job: dict[str, Any], context: dict[str, Any], caller: dict[str, Any] | None
    ) -> tuple[list[JobRun], dict[str, str], str]:
        uses = job["uses"]
        assert uses.startswith("$/.github/workflows/"), f"{label}:{job_id}: {uses}"
        called = yaml.safe_load((ROOT / uses.removeprefix("$/")).read_text())
        spec = _triggers(called)["workflow_call"] or {}
        given = expr.render(job.get("with", {}), context)
        unknown = set(given) - set(spec.get("inputs", {}))
        assert not unknown, f"{label}:{job_id} passes inputs {sorted(unknown)} that {uses} does not declare"
        inputs = _input_defaults(spec) | given
        for key, declared in (spec.get("inputs") or {}).items():
            assert key in inputs or not declared.get("required"), f"{label}:{job_id}: required input {key} missing"
            if declared.get("type") == "number" and key in inputs:
                inputs[key] = int(inputs[key])
        inner_context = {**context, "inputs": inputs, "secrets": {}, "needs": {}}
        frame = {
            "concurrency": expr.render(job.get("concurrency"), context),
            "permissions": job.get("permissions", {}),
        }
        runs = self._run_jobs(f"{label}:{job_id}", called, inner_context, caller=frame)
        results = {r.name.rsplit(":", 1)[1]: r for r in runs}
        jobs_context = {k: {"result": r.status, "outputs": r.outputs} for k, r in results.items()}
        outputs = {
            name: expr.text(expr.render(out["value"], {**inner_context, "jobs": jobs_context}))
            for name, out in (spec.get("outputs") or {}).items()
        }
        failed = any(r.status == "failure" for r in runs)
        return runs, outputs, "failure" if failed else "success"

    # -- one job --

    def _run_job(
        self,
        name: str,
        job: dict[str, Any],
        doc: dict[str, Any],
        context: dict[str, Any],
        caller: dict[str, Any] | None,
    ) -> JobRun:
        environment = job.get("environment")
        environment = environment.get("name") if isinstance(environment, dict) else environment
        environment = expr.text(expr.render(environment, context)) if environment else None
        concurrency = (caller or {}).get("concurrency") or expr.render(job.get("concurrency"), context)
        if concurrency is None and doc.get("concurrency"):
            concurrency = expr.render(doc["concurrency"], context)
        permissions = dict(job.get("permissions", {}))
        if caller is not None:  # a called workflow's jobs get at most what the calling job grants
            granted = caller["permissions"]
            permissions = {
                k: v if granted.get(k) == v or granted.get(k) == "write" else "none" for k, v in permissions.items()
            }
        run = JobRun(name, "success", environment, concurrency, permissions)
        self._job = run
        github = context["github"]
        if environment == "prod" and not any(_ref_matches(p, github["ref"]) for p in PROD_REFS):
            run.status, run.error = "failure", f"the prod environment's deployment rule rejects {github['ref']}"
            return run
        if environment:
            self.github.deploy(environment, github)
        temp = self.workdir / "runner" / name.replace(":", "_").replace("/", "_")
        temp.mkdir(parents=True, exist_ok=True)
        event_path = temp / "event.json"
        event_path.write_text(json.dumps(github["event"]))
        job_env = {k: expr.text(v) for k, v in expr.render(job.get("env", {}), context).items()}
        base_env = {
            "PATH": os.pathsep.join([str(self._bin), str(Path(sys.executable).parent), os.environ["PATH"]]),
            "HOME": str(self.workdir),
            "SIM_SOCKET": self._socket_path,
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "GITHUB_REPOSITORY": github["repository"],
            "GITHUB_SHA": github["sha"],
            "GITHUB_REF": github["ref"],
            "GITHUB_REF_NAME": github["ref_name"],
            "GITHUB_EVENT_NAME": github["event_name"],
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_STEP_SUMMARY": str(temp / "summary.md"),
            "RUNNER_TEMP": str(temp),
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": self.layout.region,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "ECSDELIVERY_NO_INSTALL": "1",
            **NO_CREDENTIALS,
        }
        state = {"env": {**base_env, **job_env}, "steps": {}, "status": "success"}
        job_context = {
            **context,
            "env": job_env,
            "steps": state["steps"],
            "job": {},
            "runner": {"os": "Linux", "temp": str(temp)},
        }
        for index, step in enumerate(job.get("steps", [])):
            self._step(run, step, index, job_context, state, temp)
        run.status = state["status"]
        run.outputs = {k: expr.text(v) for k, v in expr.render(job.get("outputs", {}), job_context).items()}
        self._job = None
        return run

    def _step(
        self,
        run: JobRun,
        step: dict[str, Any],
        index: int,
        context: dict[str, Any],
        state: dict[str, Any],
        temp: Path,
    ) -> None:
        step_id = step.get("id") or f"_{index}_{id(step)}"
        if not expr.condition(step.get("if"), context, state["status"]):
            context["steps"][step_id] = {"outputs": {}, "outcome": "skipped"}
            return
        step_env = {k: expr.text(v) for k, v in expr.render(step.get("env", {}), context).items()}
        outputs: dict[str, str] = {}
        if "run" in step:
            code, outputs = self._bash(step["run"], {**state["env"], **step_env}, temp)
            if code != 0:
                state["status"] = "failure"
                run.error = run.error or f"step {step.get('name', step_id)!r} exited {code}"
        else:
            outputs = self._uses(run, step, expr.render(step.get("with", {}), context), context, state, temp)
        context["steps"][step_id] = {
            "outputs": outputs,
            "outcome": "success" if state["status"] == "success" else "failure",
        }

    def _uses(
        self,
        run: JobRun,
        step: dict[str, Any],
        given: dict[str, Any],
        context: dict[str, Any],
        state: dict[str, Any],
        temp: Path,
    ) -> dict[str, str]:
        uses: str = step["uses"]
        action = uses.split("@", 1)[0]
        if uses == "$/.github/actions/setup-ecsdelivery":
            spec = yaml.safe_load(ACTION.read_text())
            unknown = set(given) - set(spec["inputs"])
            assert not unknown, f"{run.name}: setup-ecsdelivery has no inputs {sorted(unknown)}"
            inputs = {k: expr.text(v.get("default", "")) for k, v in spec["inputs"].items()} | {
                k: expr.text(v) for k, v in given.items()
            }
            inner = {**context, "inputs": inputs, "steps": {}}
            for index, inner_step in enumerate(spec["runs"]["steps"]):
                self._step(run, inner_step, index, inner, state, temp)
            return {}
        if action == "aws-actions/configure-aws-credentials":
            self._assume(run, str(given["role-to-assume"]), context, state)
            return {}
        if action == "aws-actions/amazon-ecr-login":
            self._check_call(run, "ecr:GetAuthorizationToken", "*", run.account or "")
            return {"registry": f"{run.account}.dkr.ecr.{self.layout.region}.amazonaws.com"}
        if action == "docker/build-push-action":
            return self._push(run, str(given["tags"]))
        if action == "actions/setup-python":
            return {"python-version": "3.12.7"}
        if action == "actions/labeler":
            # A fresh repository has none of the labels: the action creates them (issues API).
            self._require(run, {"pull-requests": "write", "issues": "write"}, "actions/labeler")
            return {}
        if action == "actions/github-script":
            self._require(run, {"pull-requests": "write"}, "the PR comment")
            return {}
        if action == "release-drafter/release-drafter":
            self._require(run, {"contents": "write"}, "release-drafter")
            return {}
        if action in ("actions/checkout", "actions/cache", "docker/setup-qemu-action", "docker/setup-buildx-action"):
            return {}
        raise AssertionError(f"{run.name}: the simulation does not know {uses}")

    def _require(self, run: JobRun, scopes: dict[str, str], what: str) -> None:
        missing = [k for k, v in scopes.items() if run.permissions.get(k) != v and run.permissions.get(k) != "write"]
        if missing:
            run.status = "failure"
            run.error = run.error or f"{what} needs permissions {missing} the job does not grant"

    # -- AWS --

    def _assume(self, run: JobRun, role_arn: str, context: dict[str, Any], state: dict[str, Any]) -> None:
        """configure-aws-credentials with OIDC: needs `id-token: write` and a trust policy admitting the subject."""
        github = context["github"]
        if run.permissions.get("id-token") != "write":
            run.status, run.error = "failure", "no OIDC token: the job lacks `id-token: write`"
            return
        if run.environment:
            subject = f"repo:{github['repository']}:environment:{run.environment}"
        elif github["event_name"] in ("pull_request", "pull_request_target"):
            subject = f"repo:{github['repository']}:pull_request"
        else:
            subject = f"repo:{github['repository']}:ref:{github['ref']}"
        if not may_assume(role_arn, subject):
            run.status, run.error = "failure", f"{role_arn} does not trust the OIDC subject {subject}"
            return
        run.role, run.account = role_arn, role_arn.split(":")[4]
        state["env"].update(self.credentials(run.account))

    def _check_call(self, run: JobRun, action: str, resource: str, target: str) -> AwsCall:
        principal = run.role or "anonymous"
        caller = run.account or ""
        resource_policy = self.repository_policy if resource == self.layout.repository_arn else None
        decision = evaluate(
            Request(principal, action, resource, resource_account=target or None),
            identity_policies(principal, self.layout) if run.role else [],
            resource_policy,
        )
        call = AwsCall(
            run.name, principal, caller, target or caller, action, resource, decision.allowed, decision.reason
        )
        self.aws_calls.append(call)
        return call

    def _push(self, run: JobRun, tag_ref: str) -> dict[str, str]:
        """docker/build-push-action: upload layers and put the manifest under the tag, as the job's role."""
        registry, rest = tag_ref.split("/", 1)
        repository, tag = rest.rsplit(":", 1)
        target = registry.split(".", 1)[0]
        arn = f"arn:aws:ecr:{self.layout.region}:{target}:repository/{repository}"
        for action in ("ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"):
            if not self._check_call(run, action, arn, target).allowed:
                run.status, run.error = "failure", f"push to {tag_ref} denied ({action})"
                return {}
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {
                    "mediaType": "application/vnd.docker.container.image.v1+json",
                    "size": 1,
                    "digest": "sha256:" + "c" * 64,
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                        "size": len(tag),
                        "digest": "sha256:" + _hex(tag),
                    }
                ],
            }
        )
        image = self.client("ecr", target).put_image(repositoryName=repository, imageManifest=manifest, imageTag=tag)
        return {"digest": image["image"]["imageId"]["imageDigest"]}

    @contextlib.contextmanager
    def recording(self) -> Iterator[None]:
        """While active, every boto3 client made in this process records and checks its calls."""
        original = boto3.session.Session.client
        pipeline = self

        def client(session: Any, service: str, *args: Any, **kwargs: Any) -> Any:
            made = original(session, service, *args, **kwargs)
            made.meta.events.register("before-parameter-build", _stash_params)
            made.meta.events.register("before-call", pipeline._intercept)
            return made

        boto3.session.Session.client = client  # type: ignore[method-assign]
        try:
            yield
        finally:
            boto3.session.Session.client = original  # type: ignore[method-assign]

    def _intercept(self, model: Any, context: dict[str, Any], **_: Any) -> Any:
        run = self._job
        assert run is not None, "an AWS call outside a job"
        service = model.service_model.service_name
        params = context.get("sim_params", {})
        operation = model.name
        if service == "sts" and operation == "GetCallerIdentity":
            if run.account is None:
                return _error("ExpiredToken", "no credentials: the job assumed no role")
            return None  # needs no permission; moto answers with the role's account
        if service == "ecs":
            return self._ecs(run, operation, params)
        if service != "ecr":
            raise AssertionError(f"{run.name}: unexpected AWS call {service}:{operation}")
        target = params.get("registryId") or run.account or ""
        resource = (
            "*"
            if operation == "GetAuthorizationToken"
            else (f"arn:aws:ecr:{self.layout.region}:{target}:repository/{params.get('repositoryName') or ''}")
        )
        names = params.get("repositoryNames")
        if names:
            resource = f"arn:aws:ecr:{self.layout.region}:{target}:repository/{names[0]}"
        call = self._check_call(run, f"ecr:{operation}", resource, target)
        if not call.allowed:
            return _error(
                "AccessDeniedException",
                f"User: {run.role} is not authorized to perform: "
                f"ecr:{operation} on resource: {resource} because {call.reason}",
            )
        if target == run.account:
            return None
        carried = {k: v for k, v in params.items()}
        method = re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
        try:
            return _Http(200), getattr(self.client("ecr", target), method)(**carried)
        except Exception as err:  # the target's answer, as the caller would get it
            response = getattr(err, "response", None)
            if response is None:
                raise
            return _Http(response["ResponseMetadata"]["HTTPStatusCode"]), response

    def _ecs(self, run: JobRun, operation: str, params: dict[str, Any]) -> Any:
        """The driver's reads of its services' deployments, checked against the role, and answered as ECS does
        for a service whose one deployment succeeded (moto knows neither the services nor the deployment calls)."""
        base = f"arn:aws:ecs:{self.layout.region}:{run.account or ''}"
        cluster = params.get("cluster", "default")
        resources = {
            "DescribeServices": [f"{base}:service/{cluster}/{name}" for name in params.get("services", [])],
            "ListServiceDeployments": [f"{base}:service/{cluster}/{params.get('service')}"],
            "DescribeServiceDeployments": list(params.get("serviceDeploymentArns", [])),
            "DescribeTaskDefinition": ["*"],
        }.get(operation)
        if resources is None:
            raise AssertionError(f"{run.name}: unexpected AWS call ecs:{operation}")
        for resource in resources:
            call = self._check_call(run, f"ecs:{operation}", resource, run.account or "")
            if not call.allowed:
                return _error(
                    "AccessDeniedException",
                    f"User: {run.role} is not authorized to perform: ecs:{operation} on resource: {resource} "
                    f"because {call.reason}",
                )
        if operation == "DescribeServices":
            services = [
                {"serviceName": name, "taskDefinition": f"{base}:task-definition/{name}:1"}
                for name in params.get("services", [])
            ]
            return _Http(200), {"services": services, "failures": []}
        if operation == "ListServiceDeployments":
            arn = f"{base}:service-deployment/{cluster}/{params.get('service')}/d1"
            return _Http(200), {"serviceDeployments": [{"serviceDeploymentArn": arn, "status": "SUCCESSFUL"}]}
        if operation == "DescribeServiceDeployments":
            found = [{"serviceDeploymentArn": a, "status": "SUCCESSFUL"} for a in resources]
            return _Http(200), {"serviceDeployments": found, "failures": []}
        return _Http(200), {"taskDefinition": {"containerDefinitions": []}}

    # -- scripts and the shims --

    def _bash(self, script: str, env: dict[str, str], temp: Path) -> tuple[int, dict[str, str]]:
        output = temp / f"output-{len(list(temp.glob('output-*')))}"
        output.write_text("")
        env = {**env, "GITHUB_OUTPUT": str(output)}
        with contextlib.closing(socket.socket(socket.AF_UNIX)) as server:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._socket_path)
            server.bind(self._socket_path)
            server.listen()
            server.setblocking(False)
            process = subprocess.Popen(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                cwd=self.workspace,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            selector = selectors.DefaultSelector()
            selector.register(server, selectors.EVENT_READ)
            while process.poll() is None:
                if selector.select(timeout=0.05):
                    conn, _ = server.accept()
                    with conn:
                        conn.setblocking(True)
                        request = json.loads(_receive(conn))
                        conn.sendall(json.dumps(self._serve(request)).encode())
            selector.close()
            log = process.stdout.read().decode() if process.stdout else ""
        assert self._job is not None
        self._job.error = self._job.error or (log[-2000:] if process.returncode else "")
        return process.returncode, _read_outputs(output.read_text())

    def _serve(self, request: dict[str, Any]) -> dict[str, Any]:
        run = self._job
        assert run is not None
        argv: list[str] = request["argv"]
        if request["tool"] == "gh":
            run.gh.append(argv)
            return self.github.gh(argv, run, self)
        if argv[:2] == ["-m", "pip"]:
            return {"stdout": "", "stderr": "", "code": 0}
        run.cli.append(argv[2:])
        return self._cli(argv[2:], request["env"], request["cwd"])

    def _cli(self, argv: list[str], env: dict[str, str], cwd: str) -> dict[str, Any]:
        from ecsdelivery.cli import main

        saved_env, saved_cwd = dict(os.environ), os.getcwd()
        out, err = io.StringIO(), io.StringIO()
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(argv)
                except SystemExit as exit_:
                    code = exit_.code if isinstance(exit_.code, int) else 1
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
            os.chdir(saved_cwd)
        return {"stdout": out.getvalue(), "stderr": err.getvalue(), "code": code}


# --- GitHub ----------------------------------------------------------------------------------------------------


class GitHubModel:
    """The parts of the GitHub repository the workflows' `gh` calls read and change."""

    def __init__(self) -> None:
        self.tags: dict[str, str] = {}
        self.branches: dict[str, str] = {"main": "0" * 40}
        self.releases: list[str] = []
        self.pulls: list[dict[str, Any]] = []
        self.deployments: list[dict[str, Any]] = []

    def deploy(self, environment: str, github: dict[str, Any]) -> None:
        """A job bound to an environment records a deployment (the newest one of an environment is active)."""
        pr = github["event"].get("pull_request") or {}
        ref = github["head_ref"] or github["ref_name"]
        sha = (pr.get("head") or {}).get("sha") or github["sha"]
        for old in self.deployments:
            if old["environment"] == environment and environment != "preview":
                old["state"] = "inactive"
        self.deployments.append(
            {"id": len(self.deployments) + 1, "environment": environment, "ref": ref, "sha": sha, "state": "active"}
        )

    def gh(self, argv: list[str], run: JobRun, pipeline: Pipeline) -> dict[str, Any]:
        def ok(stdout: str = "") -> dict[str, Any]:
            return {"stdout": stdout, "stderr": "", "code": 0}

        def fail(message: str) -> dict[str, Any]:
            return {"stdout": "", "stderr": message + "\n", "code": 1}

        def needs(scope: str, level: str = "write") -> dict[str, Any] | None:
            granted = run.permissions.get(scope, "none")
            if granted == level or granted == "write":
                return None
            return fail(f"HTTP 403: Resource not accessible by integration (needs {scope}: {level})")

        words = [a for a in argv if not a.startswith("-")]
        if argv[:1] == ["api"]:
            method = argv[argv.index("--method") + 1] if "--method" in argv else "GET"
            path = next(a for a in argv[1:] if a.startswith("repos/"))
            fields = dict(argv[i + 1].split("=", 1) for i, a in enumerate(argv) if a == "-f")
            if method == "GET" and (m := re.search(r"/git/ref/tags/(.+)$", path)):
                return needs("contents", "read") or (ok() if m.group(1) in self.tags else fail("HTTP 404"))
            if method == "GET" and (m := re.search(r"/git/ref/heads/(.+)$", path)):
                return needs("contents", "read") or (ok() if m.group(1) in self.branches else fail("HTTP 404"))
            if method == "POST" and path.endswith("/git/refs"):
                denied = needs("contents")
                if denied:
                    return denied
                self.branches[fields["ref"].removeprefix("refs/heads/")] = fields["sha"]
                return ok()
            if method == "GET" and "/deployments?" in path:
                env = re.search(r"environment=([^&]+)", path)
                rows = [d for d in self.deployments if env is None or d["environment"] == env.group(1)]
                return needs("deployments", "read") or ok(json.dumps(rows))
            if method == "POST" and (m := re.search(r"/deployments/(\d+)/statuses$", path)):
                denied = needs("deployments")
                if denied:
                    return denied
                for row in self.deployments:
                    if row["id"] == int(m.group(1)):
                        row["state"] = fields["state"]
                return ok()
        if words[:2] == ["release", "create"]:
            denied = needs("contents")
            if denied:
                return denied
            self.releases.append(words[2])
            self.tags[words[2]] = argv[argv.index("--target") + 1]
            return ok()
        if words[:2] == ["pr", "list"]:
            head = argv[argv.index("--head") + 1] if "--head" in argv else None
            rows = [p for p in self.pulls if p.get("open", True) and (head is None or p["head"] == head)]
            text = json.dumps(rows)
            if "--jq" in argv:  # gh applies the filter and prints raw strings, as `jq -r` does
                jq = subprocess.run(
                    ["jq", "-r", argv[argv.index("--jq") + 1]], input=text, capture_output=True, text=True, check=True
                )
                text = jq.stdout
            return needs("pull-requests", "read") or ok(text)
        if words[:2] == ["pr", "create"]:
            denied = needs("pull-requests")
            if denied:
                return denied
            self.pulls.append(
                {
                    "number": 100 + len(self.pulls),
                    "head": argv[argv.index("--head") + 1],
                    "base": argv[argv.index("--base") + 1],
                }
            )
            return ok()
        if words[:2] == ["workflow", "run"]:
            denied = needs("actions")
            if denied:
                return denied
            pipeline.dispatched.append((words[2], argv[argv.index("--ref") + 1]))
            return ok()
        raise AssertionError(f"{run.name}: the simulation does not know `gh {' '.join(argv)}`")


# --- helpers ---------------------------------------------------------------------------------------------------


class _Http:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.headers: dict[str, str] = {}


def _error(code: str, message: str) -> tuple[_Http, dict[str, Any]]:
    return _Http(400), {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}}


def _receive(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _stash_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["sim_params"] = copy.deepcopy(params)


def _raw_client(service: str, **kwargs: Any) -> Any:
    """A client made before `recording` patches Session.client (so it is never recorded)."""
    return _ORIGINAL_CLIENT(boto3.session.Session(), service, **kwargs)


_ORIGINAL_CLIENT = boto3.session.Session.client


def _hex(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def _read_outputs(text: str) -> dict[str, str]:
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            value = []
            for body in lines:
                if body == delimiter:
                    break
                value.append(body)
            outputs[key] = "\n".join(value)
        elif "=" in line:
            key, value = line.split("=", 1)
            outputs[key] = value
    return outputs


def _documented_variables() -> dict[str, str]:
    from pipeline_roles import documented_variables

    return documented_variables()


def _triggers(doc: dict[str, Any]) -> dict[str, Any]:
    on = doc.get("on", doc.get(True))
    if isinstance(on, str):
        return {on: {}}
    if isinstance(on, list):
        return {name: {} for name in on}
    return {key: (value or {}) for key, value in on.items()}


def _input_defaults(spec: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v["default"] for k, v in ((spec or {}).get("inputs") or {}).items() if "default" in v}


def _needs(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def _ref_matches(pattern: str, ref: str) -> bool:
    """GitHub's branch-filter globs: `*` stops at `/`, `**` does not."""
    regex = re.escape(pattern).replace(r"\*\*", ".+").replace(r"\*", "[^/]+")
    return re.fullmatch(regex, ref) is not None


def _triggered(on: dict[str, Any], event: Event, action: str | None, workflow: str) -> bool:
    if event.name not in on:
        return False
    spec = on[event.name] or {}
    if event.name == "schedule":
        return any(entry.get("cron") == event.payload.get("schedule") for entry in spec)
    types = spec.get("types")
    if types is not None and action not in types:
        return False
    if event.name in ("pull_request", "pull_request_target"):
        branches = spec.get("branches")
        base = event.payload["pull_request"]["base"]["ref"]
        return branches is None or any(_ref_matches(b, base) for b in branches)
    if event.name == "push":
        branches = spec.get("branches")
        name = event.ref.removeprefix("refs/heads/")
        return event.ref.startswith("refs/heads/") and (
            branches is None or any(_ref_matches(b, name) for b in branches)
        )
    if event.name == "workflow_dispatch":
        return event.payload.get("workflow") in (None, workflow)
    return True
