"""Carry out the driver's decisions through the Pulumi Automation API.

One `Driver` per command run. It loads the stack file, picks the backend, finds the Pulumi CLI, selects or
creates the stack with the program as an inline program, sets config and tags, runs the operation while
streaming the engine's output, and reports (outputs, `$GITHUB_OUTPUT`, `$GITHUB_STEP_SUMMARY`). Every failure
becomes an `EcsDeliveryError` with its exit code; Ctrl-C cancels the running update and exits 130.

Workspace: `<project>/.ecsdelivery/workspace` (git-ignored) holds the per-stack settings files the CLI writes;
config is set again on every run, so a fresh checkout in CI loses nothing. Backend: see `plan.choose_backend`.
With the passphrase secrets provider and the default local backend, `PULUMI_CONFIG_PASSPHRASE` defaults to the
empty string (nothing secret is stored there); any other backend must be given a passphrase or a KMS provider.

Tests substitute the CLI, the program and AWS through `Hooks` (in-process only; nothing in the environment
switches them).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import yaml

from ecsdelivery.driver import github, plan
from ecsdelivery.driver.local import emulator, provider_config
from ecsdelivery.driver.pulumi_cli import find_pulumi_command
from ecsdelivery.errors import (
    DeploymentError,
    EcsDeliveryError,
    MissingRequirementError,
    StackLockedError,
    UsageError,
)

if TYPE_CHECKING:
    from pulumi.automation import PulumiCommand, Stack

    from ecsdelivery.config import StackConfig

DEFAULT_PROJECT = "ecsdelivery"
#: `up --local` without `--image`: the emulator runs no containers, so any well-formed digest reference will do.
LOCAL_PLACEHOLDER_IMAGE = "localhost/ecsdelivery-placeholder@sha256:" + "0" * 64
MAX_ERROR_LINES = 12


def _default_program() -> Callable[[], None]:
    from programs.delivery import delivery_program

    return delivery_program


class AwsAccess:
    """The AWS calls the driver makes itself: who am I (STS) and ECR clients. `endpoint` targets an emulator."""

    def __init__(self, endpoint: str | None = None) -> None:
        self.endpoint = endpoint

    def caller_account(self, region: str) -> str | None:
        """The account of the current credentials, or None when there are none usable."""
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            client = boto3.session.Session().client("sts", region_name=region, endpoint_url=self.endpoint)
        except ValueError as err:  # botocore: a malformed region or endpoint URL
            raise UsageError(f"cannot make an STS client: {err} (check the region and the endpoint URL)") from None
        try:
            return str(client.get_caller_identity()["Account"])
        except (BotoCoreError, ClientError):
            return None

    def ecr(self, region: str | None) -> Any:
        from ecsdelivery.images import ecr_client

        return ecr_client(region=region, endpoint=self.endpoint)


@dataclass
class Hooks:
    """What tests replace: the CLI, the program, AWS access. None = the real thing."""

    pulumi_command: Callable[[], PulumiCommand] | None = None
    program: Callable[[], None] | None = None
    aws: Callable[[str | None], AwsAccess] | None = None


#: Module-level defaults the command handlers use; tests patch its fields.
HOOKS = Hooks()


@dataclass
class Settings:
    """Options shared by the driver commands."""

    stacks_dir: Path = Path("stacks")
    project_dir: Path = field(default_factory=Path.cwd)
    backend: str | None = None
    local: bool = False
    endpoint: str | None = None
    yes: bool = False
    git_sha: str | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    interactive: bool | None = None

    def is_interactive(self) -> bool:
        if self.interactive is not None:
            return self.interactive
        return sys.stdin.isatty() and not self.environ.get("CI")


@dataclass
class UpReport:
    """What an `up` did, for printing and for GitHub."""

    stack: str
    env: str
    image: str | None
    outputs: dict[str, Any]
    changes: dict[str, int]


def _error_lines(err: Exception) -> list[str]:
    """The engine's `error:` lines (provider errors), else the last lines of its stderr."""
    text = str(err)
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if "error:" in line and line not in lines and line != "error: update failed":
            lines.append(line[line.index("error:") :])
    if not lines:
        stderr = text.split("stderr:", 1)[-1]
        lines = [line.strip() for line in stderr.splitlines() if line.strip()][-3:]
    return lines[:MAX_ERROR_LINES] or [type(err).__name__]


def _changes_text(changes: Mapping[str, int]) -> str:
    shown = {op: n for op, n in changes.items() if op != "same" and n}
    return ", ".join(f"{n} {op}" for op, n in sorted(shown.items())) or "no changes"


class Driver:
    """One command run. Example::

    Driver(Settings(stacks_dir=Path("stacks"))).up("dev", image="repo:tag")
    """

    def __init__(self, settings: Settings, hooks: Hooks | None = None, out: TextIO | None = None) -> None:
        self.settings = settings
        self.hooks = hooks or HOOKS
        self.out = out or sys.stdout
        self._command: PulumiCommand | None = None
        self._endpoint: str | None = None  # the emulator's URL while --local runs

    # -- small helpers ---------------------------------------------------------------------------------------

    def say(self, line: str = "") -> None:
        print(line, file=self.out, flush=True)

    def _config(self, target: plan.Target) -> StackConfig:
        from ecsdelivery.config import load_stack

        return load_stack(target.env, stacks_dir=self.settings.stacks_dir, pr=target.pr)

    def _aws(self) -> AwsAccess:
        factory = self.hooks.aws or AwsAccess
        return factory(self._endpoint)

    def _pulumi(self) -> PulumiCommand:
        if self._command is None:
            factory = self.hooks.pulumi_command or (lambda: find_pulumi_command(self.settings.environ))
            self._command = factory()
        return self._command

    def _program(self) -> Callable[[], None]:
        if self.hooks.program is not None:
            return self.hooks.program
        try:
            return _default_program()
        except ImportError as err:
            raise MissingRequirementError(f"the delivery program cannot be imported: {err}") from None

    def _project_name(self) -> str:
        path = self.settings.project_dir / "Pulumi.yaml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            return DEFAULT_PROJECT
        name = data.get("name") if isinstance(data, dict) else None
        return str(name) if name else DEFAULT_PROJECT

    def backend(self, cfg: StackConfig | None) -> plan.Backend:
        state = cfg.state if cfg is not None else None
        return plan.choose_backend(
            cli=self.settings.backend,
            environ=self.settings.environ,
            stack_file_url=state.backend_url if state else None,
            stack_file_secrets=state.secrets_provider if state else None,
            project_dir=self.settings.project_dir.resolve(),
            local=self.settings.local,
        )

    def _workspace_options(self, backend: plan.Backend) -> Any:
        from pulumi import automation as auto

        if backend.is_local_file:
            Path(backend.url.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
        work_dir = self.settings.project_dir.resolve() / ".ecsdelivery" / "workspace"
        work_dir.mkdir(parents=True, exist_ok=True)
        env = {"PULUMI_BACKEND_URL": backend.url, "PULUMI_SKIP_UPDATE_CHECK": "true"}
        passphrase_given = any(
            k in self.settings.environ for k in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
        )
        if backend.secrets_provider == "passphrase" and backend.is_local_file and not passphrase_given:
            env["PULUMI_CONFIG_PASSPHRASE"] = ""  # local state only: nothing secret is stored
        secrets = backend.secrets_provider if backend.secrets_provider not in (None, "default") else None
        return auto.LocalWorkspaceOptions(
            work_dir=str(work_dir),
            pulumi_command=self._pulumi(),
            project_settings=auto.ProjectSettings(
                name=self._project_name(), runtime="python", main=str(self.settings.project_dir.resolve())
            ),
            env_vars=env,
            secrets_provider=secrets,
        )

    def _open(self, stack_name: str, backend: plan.Backend, *, create: bool) -> Stack:
        from pulumi import automation as auto

        opts = self._workspace_options(backend)
        open_stack = auto.create_or_select_stack if create else auto.select_stack
        with self._mapped(stack_name, "opening the stack"):
            return open_stack(stack_name, project_name=self._project_name(), program=self._program(), opts=opts)

    def _open_existing(self, stack_name: str, backend: plan.Backend, missing: str) -> Stack:
        """Select a stack that must exist; `MissingRequirementError(missing)` (exit 4) when it does not."""
        from pulumi.automation.errors import StackNotFoundError

        try:
            return self._open(stack_name, backend, create=False)
        except StackNotFoundError:
            raise MissingRequirementError(missing) from None

    def _listing(self, backend: plan.Backend, what: str) -> tuple[Any, list[Any]]:
        """A workspace on `backend` and the summaries of its stacks."""
        from pulumi import automation as auto

        workspace = auto.LocalWorkspace(**self._workspace_options(backend).__dict__)
        with self._mapped(what, "listing stacks"):
            return workspace, workspace.list_stacks()

    def _start(self, env: str, pr: int | None, confirm: str | None = None) -> tuple[plan.Target, StackConfig]:
        """Check ENV and --pr, load the stack file, and for an action (`confirm`) on a protected environment
        make sure it is confirmed. Every single-stack command begins here."""
        target = plan.resolve_target(env, pr, self.settings.environ)
        cfg = self._config(target)
        if confirm:
            self._confirm(target, cfg, confirm)
        return target, cfg

    @contextmanager
    def _mapped(self, stack_name: str, what: str, stack: Stack | None = None) -> Iterator[None]:
        """Map automation errors to ours; on Ctrl-C cancel the running update, then exit 130."""
        from pulumi.automation.errors import CommandError, ConcurrentUpdateError, StackNotFoundError

        try:
            yield
        except ConcurrentUpdateError as err:
            holder = [line for line in _error_lines(err) if "lock" in line]
            raise StackLockedError(
                f"stack {stack_name} is locked by another update"
                + (f": {holder[0]}" if holder else "")
                + f"\nwait for it to finish and retry; if none is running, run `pulumi cancel --stack {stack_name}` "
                "(Pulumi Cloud) or remove the stale lock from the backend's .pulumi/locks, then retry"
            ) from None
        except StackNotFoundError:
            raise
        except CommandError as err:
            raise DeploymentError("\n".join([f"{what} of {stack_name} failed:", *_error_lines(err)])) from None
        except KeyboardInterrupt:
            if stack is not None:
                self.say(f"interrupted: cancelling the update of {stack_name}")
                try:
                    stack.cancel()
                except Exception as cancel_error:  # the CLI may have stopped on the same signal already
                    self.say(f"cancel: {_error_lines(cancel_error)[0]}")
            raise

    def _stream(self, title: str) -> Any:
        return github.group(title, self.settings.environ, self.out)

    def _tags(self, stack: Stack) -> dict[str, str]:
        return _stack_tags(stack.workspace, stack.name)

    def _set_tags(self, stack: Stack, tags: Mapping[str, str]) -> None:
        for key, value in tags.items():
            try:
                stack.set_tag(key, value)
            except Exception as err:  # tags are a convenience; the update history stays authoritative
                self.say(f"warning: cannot set stack tag {key}: {_error_lines(err)[0]}")
                return

    def _confirm(self, target: plan.Target, cfg: StackConfig, action: str) -> None:
        if plan.confirm_needed(
            target.stack, protected=cfg.protected, yes=self.settings.yes, interactive=self.settings.is_interactive()
        ):
            answer = input(f"{target.stack} is protected. Type its name to {action} it: ").strip()
            if answer != target.stack:
                raise UsageError(f"not confirmed; {target.stack} left unchanged")

    def _check_account(self, target: plan.Target, cfg: StackConfig) -> None:
        if self.settings.local or not cfg.accounts:
            return
        plan.check_account(target.stack, self._aws().caller_account(cfg.region), list(cfg.accounts))

    @contextmanager
    def _emulator(self) -> Iterator[None]:
        if not self.settings.local:
            yield
            return
        with emulator(self.settings.endpoint) as url:
            self._endpoint = url
            self.say(f"local AWS emulator: {url}")
            try:
                yield
            finally:
                self._endpoint = None

    # -- facts about deployed stacks -------------------------------------------------------------------------

    def deployed(self, stack: Stack) -> plan.DeployedState:
        """The image a stack runs (outputs, else tags) and the result of its last operation."""
        outputs = {k: v.value for k, v in stack.outputs().items()}
        image = outputs.get("image") if plan.digest_of(str(outputs.get("image") or "")) else None
        if image is None:
            image = self._tags(stack).get(plan.TAG_IMAGE)
        info = stack.info()
        return plan.DeployedState(image=image, last_result=info.result if info else None)

    def image_history(self, stack: Stack) -> list[str]:
        """Images deployed to a stack, newest first: successful updates' config, then the history tag."""
        images: list[str] = []
        try:
            for entry in stack.history(page_size=20):
                value = (entry.config or {}).get("ecsdelivery:image")
                image = getattr(value, "value", value if isinstance(value, str) else None)
                if entry.kind == "update" and entry.result == "succeeded" and image and image not in images:
                    images.append(str(image))
        except Exception:  # history is best effort; the tag below may still know
            pass
        images.extend(d for d in plan.parse_history(self._tags(stack).get(plan.TAG_HISTORY)) if d not in images)
        return images

    # -- image -----------------------------------------------------------------------------------------------

    def resolve_image(self, ref: str, cfg: StackConfig) -> str:
        """`repo@sha256:...` for a reference; a tag is resolved through ECR (missing image: exit 4)."""
        from ecsdelivery.images import parse_image_ref, resolve_digest

        parsed = parse_image_ref(ref)
        if parsed.digest:
            return f"{parsed.repository_url}@{parsed.digest}"
        client = self._aws().ecr(parsed.region or cfg.ecr.region or cfg.region)
        digest = resolve_digest(client, parsed.repository_url, parsed.tag or "latest")
        self.say(f"image {ref} -> {digest}")
        return f"{parsed.repository_url}@{digest}"

    # -- commands --------------------------------------------------------------------------------------------

    def up(self, env: str, pr: int | None = None, image: str | None = None) -> UpReport:
        """Deploy ENV: validate, guard, resolve the image, set config and tags, run `up`, report."""
        target, cfg = self._start(env, pr, confirm="deploy")
        _check_image(image)
        backend = self.backend(cfg)
        self._pulumi()
        with self._emulator():
            self._check_account(target, cfg)
            stack = self._open(target.stack, backend, create=True)
            current = self.deployed(stack).image
            if image:
                deploy_image: str | None = self.resolve_image(image, cfg)
            elif current:
                deploy_image = current
                self.say(f"no --image given: keeping {current}")
            elif cfg.services and self.settings.local:
                deploy_image = LOCAL_PLACEHOLDER_IMAGE
                self.say(f"no --image given: using {deploy_image} (the emulator runs no containers)")
            elif cfg.services:
                raise MissingRequirementError(f"{target.stack} runs no image yet: pass --image REPO:TAG or REPO@DIGEST")
            else:
                deploy_image = None
            report = self._update(target, cfg, stack, deploy_image)
        self._report(report)
        return report

    def _stack_config(self, target: plan.Target, cfg: StackConfig, image: str | None) -> dict[str, str]:
        config = {
            "ecsdelivery:stacksDir": str(self.settings.stacks_dir.resolve()),
            "ecsdelivery:local": "true" if self.settings.local else "false",
            "aws:region": cfg.region,
        }
        if image:
            config["ecsdelivery:image"] = image
        if self.settings.git_sha:
            config["ecsdelivery:gitSha"] = self.settings.git_sha
        if self.settings.local and self._endpoint:
            config.update(provider_config(self._endpoint, cfg.region))
        return config

    def _apply_config(self, stack: Stack, config: Mapping[str, str]) -> None:
        from pulumi.automation import ConfigValue

        stale = [k for k in ("ecsdelivery:gitSha",) if k not in config]
        values = {k: ConfigValue(value=v) for k, v in config.items()}
        stack.set_all_config(values, path=True)
        for key in stale:
            with suppress(Exception):  # absent already
                stack.remove_config(key)

    def _update(self, target: plan.Target, cfg: StackConfig, stack: Stack, image: str | None) -> UpReport:
        now = datetime.now(UTC)
        tags = {plan.TAG_ENVIRONMENT: target.env, plan.TAG_PR: str(target.pr or "")}
        if self.settings.git_sha:
            tags[plan.TAG_GIT_SHA] = self.settings.git_sha
        if target.pr is not None:
            expires = plan.expiry(now, cfg.preview.ttl_hours)
            tags[plan.TAG_EXPIRES_AT] = plan.format_time(expires) if expires else ""
        with self._mapped(target.stack, "configuring the stack"):
            self._apply_config(stack, self._stack_config(target, cfg, image))
        self._set_tags(stack, {k: v for k, v in tags.items() if v})
        self.say(f"deploying {target.stack}" + (f" with {image}" if image else ""))
        with self._mapped(target.stack, "the update", stack), self._stream(f"pulumi up {target.stack}"):
            result = stack.up(on_output=self.say, refresh=self._ephemeral_emulator() or None)
        if image and plan.digest_of(image):
            history = plan.push_history(
                plan.parse_history(self._tags(stack).get(plan.TAG_HISTORY)), plan.digest_of(image)
            )  # type: ignore[arg-type]
            self._set_tags(stack, {plan.TAG_IMAGE: image, plan.TAG_HISTORY: ",".join(history)})
        outputs = {k: v.value for k, v in result.outputs.items()}
        changes = dict(result.summary.resource_changes or {})
        return UpReport(stack=target.stack, env=target.env, image=image, outputs=outputs, changes=changes)

    def _ephemeral_emulator(self) -> bool:
        """A moto server started for this run knows nothing of earlier runs: refresh drops what it forgot."""
        return self.settings.local and not self.settings.endpoint

    def _report(self, report: UpReport) -> None:
        url = report.outputs.get("url")
        self.say(f"\n{report.stack}: {_changes_text(report.changes)}")
        if url:
            self.say(f"url: {url}")
        for key in sorted(report.outputs):
            if key != "url":
                value = report.outputs[key]
                self.say(f"{key}: {value if isinstance(value, str) else json.dumps(value)}")
        environ = self.settings.environ
        github.write_outputs(environ, {"url": str(url or ""), "image": report.image or "", "stack": report.stack})
        github.append_summary(
            environ,
            "\n".join(
                [
                    f"### Deployed `{report.stack}`",
                    "",
                    "| | |",
                    "|---|---|",
                    f"| environment | {report.env} |",
                    f"| image | `{report.image or '-'}` |",
                    f"| url | {url or '-'} |",
                    f"| changes | {_changes_text(report.changes)} |",
                ]
            ),
        )

    def diff(self, env: str, pr: int | None = None, image: str | None = None, markdown: str | None = None) -> int:
        """Preview ENV and state each service's worst-case rollout; with `markdown`, write a PR-comment body
        (changes per type, URL, image, rollout)."""
        from pulumi.automation import OpType

        target, cfg = self._start(env, pr)
        _check_image(image)
        if markdown:
            _check_writable(markdown, "--markdown")
        backend = self.backend(cfg)
        self._pulumi()
        per_type: dict[str, dict[str, int]] = {}

        def on_event(event: Any) -> None:
            pre = event.resource_pre_event
            if pre is None or pre.metadata.type == "pulumi:pulumi:Stack":
                return
            op = pre.metadata.op.value if isinstance(pre.metadata.op, OpType) else str(pre.metadata.op)
            counts = per_type.setdefault(pre.metadata.type, {})
            counts[op] = counts.get(op, 0) + 1

        with self._emulator():
            stack = self._open(target.stack, backend, create=True)
            current = self.deployed(stack).image
            deploy_image = self.resolve_image(image, cfg) if image else current
            with self._mapped(target.stack, "configuring the stack"):
                self._apply_config(stack, self._stack_config(target, cfg, deploy_image))
            with self._mapped(target.stack, "the preview", stack), self._stream(f"pulumi preview {target.stack}"):
                result = stack.preview(
                    on_output=self.say, on_event=on_event, refresh=self._ephemeral_emulator() or None
                )
            outputs = {k: v.value for k, v in stack.outputs().items()}
        changes = dict(result.change_summary or {})
        url = outputs.get("url") or _preview_url(cfg, target)
        self.say(f"\n{target.stack}: {_changes_text(changes)}")
        rollout_lines, rollout_markdown = self.rollout_report(target, deploy_image)
        for line in rollout_lines:
            self.say(line)
        body = diff_markdown(target.stack, deploy_image, url, per_type, changes, rollout_markdown)
        if markdown:
            try:
                Path(markdown).write_text(body, encoding="utf-8")
            except OSError as err:
                raise UsageError(f"cannot write --markdown {markdown}: {err.strerror or err}") from None
            self.say(f"wrote {markdown}")
        github.append_summary(self.settings.environ, body)
        return 0

    def rollout_report(self, target: plan.Target, image: str | None) -> tuple[list[str], str]:
        """The worst-case rollout of the stack's services: lines to print and markdown for the PR comment.

        Computed from the offline synth of the same stack file, PR and image (`ecsdelivery.synth.synthesize`),
        not from the preview's steps: on a first preview the engine does not know yet most of what the report
        reads (container definitions are built from other resources' outputs; the ARNs that tie a service to its
        target group and task definition do not exist), while the synth resolves all of it, and `synth` prints
        the same figures.
        """
        from ecsdelivery import rollout
        from ecsdelivery.synth import synthesize

        result = synthesize(
            target.env,
            pr=target.pr,
            image=image,
            stacks_dir=str(self.settings.stacks_dir),
            local=self.settings.local,
        )
        return rollout.synth_lines(result), rollout.markdown(result.resources, result.stack)

    def destroy(self, env: str, pr: int | None = None) -> int:
        """Destroy ENV's resources and remove its stack; a stack that does not exist is not an error."""
        target, cfg = self._start(env, pr, confirm="destroy")
        backend = self.backend(cfg)
        self._pulumi()
        with self._emulator():
            self._check_account(target, cfg)
            if not self.destroy_stack(target.stack, backend, cfg):
                self.say(f"no stack {target.stack}: nothing to destroy")
                return 0
        self.say(f"destroyed and removed {target.stack}")
        return 0

    def destroy_stack(self, stack_name: str, backend: plan.Backend, cfg: StackConfig) -> bool:
        """Destroy and remove one stack; False when it does not exist."""
        from pulumi.automation.errors import StackNotFoundError

        try:
            stack = self._open(stack_name, backend, create=False)
        except StackNotFoundError:
            return False
        if self.settings.local and self._endpoint:
            with self._mapped(stack_name, "configuring the stack"):
                self._apply_config(stack, provider_config(self._endpoint, cfg.region))
        with self._mapped(stack_name, "the destroy", stack), self._stream(f"pulumi destroy {stack_name}"):
            stack.destroy(on_output=self.say, refresh=self._ephemeral_emulator() or None)
        with self._mapped(stack_name, "removing the stack"):
            stack.workspace.remove_stack(stack_name)
        return True

    def outputs(self, env: str, pr: int | None = None, as_json: bool = False) -> int:
        """Print a deployed stack's outputs (URL first), or all of them as JSON."""
        target, cfg = self._start(env, pr)
        stack = self._open_existing(target.stack, self.backend(cfg), f"no stack {target.stack}: deploy it first")
        with self._mapped(target.stack, "reading outputs"):
            values = {k: v.value for k, v in stack.outputs().items()}
        if as_json:
            self.say(json.dumps(values, indent=2, sort_keys=True))
            return 0
        if "url" in values:
            self.say(f"url: {values['url']}")
        for key in sorted(k for k in values if k != "url"):
            value = values[key]
            self.say(f"{key}: {value if isinstance(value, str) else json.dumps(value)}")
        return 0

    def _any_config(self) -> StackConfig | None:
        """A stack file to take the backend from for commands over many stacks (dev, else preview)."""
        for env in ("dev", "preview"):
            try:
                return self._config(plan.Target(env=env, stack=env, pr=1 if env == "preview" else None))
            except EcsDeliveryError:
                continue
        return None

    def list_stacks(self, as_json: bool = False) -> int:
        """Stacks of the backend with environment, PR, image and last update."""
        backend = self.backend(self._any_config())
        workspace, summaries = self._listing(backend, "(all)")
        rows = []
        for summary in summaries:
            env, pr = plan.parse_stack_name(summary.name)
            tags = _stack_tags(workspace, summary.name)
            rows.append(
                {
                    "stack": summary.name,
                    "environment": tags.get(plan.TAG_ENVIRONMENT, env),
                    "pr": pr,
                    "image": tags.get(plan.TAG_IMAGE),
                    "lastUpdate": plan.format_time(summary.last_update.replace(tzinfo=UTC))
                    if summary.last_update
                    else None,
                    "updateInProgress": bool(summary.update_in_progress),
                    "resourceCount": summary.resource_count,
                }
            )
        rows.sort(key=lambda r: (r["pr"] is not None, r["pr"] or 0, r["stack"]))
        if as_json:
            self.say(json.dumps(rows, indent=2))
            return 0
        if not rows:
            self.say(f"no stacks in {backend.url}")
            return 0
        header = f"{'STACK':<16} {'ENV':<9} {'PR':<6} {'LAST UPDATE':<21} IMAGE"
        self.say(header)
        for row in rows:
            self.say(
                f"{row['stack']:<16} {row['environment']:<9} {row['pr'] or '-'!s:<6} "
                f"{row['lastUpdate'] or '-':<21} {row['image'] or '-'}"
            )
        return 0

    def promote(
        self,
        src: str,
        dst: str,
        release: str | None = None,
        force: bool = False,
        expect_image: str | None = None,
    ) -> UpReport:
        """Deploy exactly the digest SRC runs to DST (optionally tagging it in ECR as `release`).

        With `expect_image` (a tag in SRC's ECR repository such as `sha-<commit>`, `repo:tag`, or a digest),
        refuse (exit 1) before tagging or deploying anything unless SRC runs exactly that digest.
        """
        if release:
            from ecsdelivery.images import check_tag

            check_tag(release)
        src_target = plan.resolve_target(src, None, self.settings.environ)
        dst_target = plan.resolve_target(dst, None, self.settings.environ)
        dst_cfg = self._config(dst_target)
        plan.check_promotion(src, dst, dst_cfg.promotion.order, force=force)
        src_cfg = self._config(src_target)
        expected_ref = plan.expected_reference(expect_image, src_cfg.repository_url) if expect_image else None
        _check_image(expected_ref)
        self._confirm(dst_target, dst_cfg, "deploy")
        self._pulumi()
        src_stack = self._open_existing(
            src_target.stack, self.backend(src_cfg), f"{src} has never been deployed: nothing to promote"
        )
        with self._mapped(src, "reading the deployed image"):
            image = plan.promotion_image(src, self.deployed(src_stack))
        if expect_image and expected_ref:
            plan.check_expected_image(src, dst, image, self.resolve_image(expected_ref, src_cfg), expect_image)
            self.say(f"{src} runs {expect_image}, as expected")
        self.say(f"promoting {src} -> {dst}: {image}")
        if release:
            from ecsdelivery.images import parse_image_ref, tag_image

            ref = parse_image_ref(image)
            client = self._aws().ecr(ref.region or dst_cfg.ecr.region or dst_cfg.region)
            tag_image(client, ref.repository_url, ref.digest or "", release)
            self.say(f"tagged {ref.repository_url}@{ref.digest} as {release}")
        return self._confirmed_up(dst, None, image)

    def rollback(self, env: str, pr: int | None = None, to: str | None = None) -> UpReport:
        """Redeploy `to` (digest, tag, reference) or the digest deployed before the current one."""
        target, cfg = self._start(env, pr, confirm="roll back")
        self._pulumi()
        stack = self._open_existing(target.stack, self.backend(cfg), f"no stack {target.stack}: nothing to roll back")
        with self._mapped(target.stack, "reading the image history"):
            current = self.deployed(stack).image
            decision = plan.rollback_target(target.stack, current, self.image_history(stack), to)
        image = decision.image or self.resolve_image(f"{decision.repository}:{decision.tag}", cfg)
        self.say(f"rolling {target.stack} back from {current or '-'} to {image}")
        return self._confirmed_up(env, pr, image)

    def _confirmed_up(self, env: str, pr: int | None, image: str) -> UpReport:
        """`up` for a command that has asked for the protected environment's confirmation itself."""
        yes, self.settings.yes = self.settings.yes, True
        try:
            return self.up(env, pr, image=image)
        finally:
            self.settings.yes = yes

    def cleanup_previews(self, open_prs: str | None, expired: bool, parallel: int = 4) -> int:
        """Destroy and remove previews whose PR is closed or whose time is up; report each; 1 if any failed."""
        wanted = plan.parse_open_prs(open_prs)
        if open_prs is None and not expired:
            raise UsageError("cleanup-previews needs --open-prs N,N,... and/or --expired")
        if parallel < 1:
            raise UsageError("--parallel must be at least 1")
        cfg = self._config(plan.Target(env="preview", stack="pr-1", pr=1))
        backend = self.backend(cfg)
        workspace, summaries = self._listing(backend, "(previews)")
        previews = []
        for summary in summaries:
            env, number = plan.parse_stack_name(summary.name)
            if env != "preview" or number is None:
                continue
            tags = _stack_tags(workspace, summary.name) if expired else {}
            previews.append(
                plan.PreviewStack(
                    name=summary.name,
                    pr=number,
                    expires_at=plan.parse_time(tags.get(plan.TAG_EXPIRES_AT)),
                    last_update=summary.last_update.replace(tzinfo=UTC) if summary.last_update else None,
                )
            )
        removals = plan.previews_to_remove(
            previews, open_prs=wanted, expired=expired, now=datetime.now(UTC), ttl_hours=cfg.preview.ttl_hours
        )
        if not removals:
            self.say(f"no preview to remove ({len(previews)} found)")
            return 0
        self.say(f"removing {len(removals)} of {len(previews)} previews")

        def remove(removal: plan.Removal) -> str | None:
            try:
                self.destroy_stack(removal.name, backend, cfg)
                return None
            except EcsDeliveryError as err:
                return str(err).replace("\n", "; ")

        with self._emulator(), ThreadPoolExecutor(max_workers=min(parallel, len(removals))) as pool:
            self._check_account(plan.Target(env="preview", stack="previews"), cfg)
            results = list(pool.map(remove, removals))
        failed = 0
        for removal, error in zip(removals, results, strict=True):
            if error is None:
                self.say(f"removed {removal.name} ({removal.reason})")
            else:
                failed += 1
                self.say(f"FAILED  {removal.name} ({removal.reason}): {error}")
        github.append_summary(
            self.settings.environ,
            "\n".join(
                ["### Preview cleanup", "", "| stack | reason | result |", "|---|---|---|"]
                + [
                    f"| {r.name} | {r.reason} | {'removed' if e is None else 'failed: ' + e} |"
                    for r, e in zip(removals, results, strict=True)
                ]
            ),
        )
        if failed:
            raise DeploymentError(f"{failed} of {len(removals)} previews could not be removed")
        return 0


def _check_image(image: str | None) -> None:
    """Refuse a malformed `--image` (exit 2) before any stack is opened or created."""
    if image:
        from ecsdelivery.images import parse_image_ref

        parse_image_ref(image)


def _check_writable(path: str, option: str) -> None:
    """Refuse (exit 2), before the preview runs, an output file that cannot be written."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{option} {path} is a directory; give a file name")
    if not target.parent.is_dir():
        raise UsageError(f"{option} {path}: directory {target.parent} does not exist")


def _stack_tags(workspace: Any, stack_name: str) -> dict[str, str]:
    """A stack's tags; {} for backends without stack tags."""
    try:
        return dict(workspace.list_tags(stack_name))
    except Exception:  # tags are a convenience: the update history stays authoritative
        return {}


def _preview_url(cfg: StackConfig, target: plan.Target) -> str | None:
    template = getattr(cfg.preview, "host_template", None)
    if target.pr is None or not template:
        return None
    return "https://" + str(template).replace("{pr}", str(target.pr))


def diff_markdown(
    stack: str,
    image: str | None,
    url: str | None,
    per_type: Mapping[str, Mapping[str, int]],
    totals: Mapping[str, int],
    rollout: str = "",
) -> str:
    """A PR-comment body: what would change, per resource type, with the image and URL, then `rollout` (the
    markdown of `ecsdelivery.rollout.markdown`: each service's worst-case rollout time) when there is one."""
    ops = [op for op in ("create", "update", "replace", "delete") if any(op in c for c in per_type.values())]
    lines = [
        f"### `{stack}`: {_changes_text(totals)}",
        "",
        f"- image: `{image or '-'}`",
        f"- url: {url or '-'}",
        "",
    ]
    changed = {t: c for t, c in per_type.items() if any(c.get(op) for op in ops)}
    if changed:
        lines += ["| resource type | " + " | ".join(ops) + " |", "|---|" + "---|" * len(ops)]
        for type_ in sorted(changed):
            lines.append(f"| `{type_}` | " + " | ".join(str(changed[type_].get(op, 0) or "") for op in ops) + " |")
    else:
        lines.append("No resource changes.")
    if rollout.strip():
        lines += ["", rollout.strip()]
    return "\n".join(lines) + "\n"
