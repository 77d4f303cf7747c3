"""Operations over stacks: up, diff, destroy, outputs, list, promote, rollback and preview cleanup.

One `Driver` per command run. Each operation loads the stack file, guards (confirmation, account), resolves the
image, and carries out `plan`'s decisions on the stacks of its `Workspace` (backend, CLI, stacks, tags, errors),
streaming the engine's output; its `Reporter` prints the result and writes GitHub's outputs and summary. Every
failure becomes an `EcsDeliveryError` with its exit code; Ctrl-C cancels the running update and exits 130.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ecsdelivery.config import list_environments, load_stack
from ecsdelivery.driver import plan, rollbacks
from ecsdelivery.driver.local import provider_config
from ecsdelivery.driver.report import Reporter, UpReport
from ecsdelivery.driver.watch import EcsWatch
from ecsdelivery.driver.workspace import HOOKS, Hooks, Settings, Workspace, error_lines, locked_error, stack_tags
from ecsdelivery.errors import (
    DeploymentError,
    EcsDeliveryError,
    MissingRequirementError,
    RolledBackError,
    UsageError,
)
from ecsdelivery.images import check_tag, parse_image_ref, resolve_digest, tag_image
from ecsdelivery.stack import ResolvedStack, resolve_stack

if TYPE_CHECKING:
    from pulumi.automation import Stack

    from ecsdelivery.config import StackConfig

#: `up --local` without `--image`: the emulator runs no containers, so any well-formed digest reference will do.
LOCAL_PLACEHOLDER_IMAGE = "localhost/ecsdelivery-placeholder@sha256:" + "0" * 64


class Driver:
    """One command run. Example::

    Driver(Settings(stacks_dir=Path("stacks"))).up("dev", image="repo:tag")
    """

    def __init__(self, settings: Settings, hooks: Hooks | None = None, out: TextIO | None = None) -> None:
        self.settings = settings
        self.report = Reporter(out or sys.stdout, settings.environ)
        self.workspace = Workspace(settings, hooks or HOOKS, self.report.say)
        self.watch = EcsWatch(self.workspace, self.report.warn)

    def say(self, line: str = "") -> None:
        self.report.say(line)

    # -- guards ----------------------------------------------------------------------------------------------

    def _environments(self, env: str) -> list[str]:
        """The environments there are: a stack file each (`qa.yaml` makes `qa` one)."""
        if not Path(self.settings.stacks_dir).is_dir():
            raise UsageError(f"unknown environment {env!r} ({self.settings.stacks_dir} does not exist)")
        return list_environments(self.settings.stacks_dir)

    def _resolve(self, target: plan.Target, image: str | None = None) -> ResolvedStack:
        """The target's stack, resolved once for the whole command; `image` (as given) is `${IMAGE}`."""
        environ = {**self.settings.environ, **({"IMAGE": image} if image else {})}
        return resolve_stack(
            target.env,
            pr=target.pr,
            stacks_dir=self.settings.stacks_dir,
            environ=environ,
            local=self.settings.local,
            git_sha=self.settings.git_sha,
        )

    def _start(
        self, env: str, pr: int | None, confirm: str | None = None, image: str | None = None
    ) -> tuple[plan.Target, ResolvedStack]:
        """Check ENV and --pr, resolve the stack, and for an action (`confirm`) on a protected environment make
        sure it is confirmed. Every single-stack command begins here."""
        target = plan.resolve_target(env, pr, self.settings.environ, self._environments(env))
        _check_image(image)
        resolved = self._resolve(target, image)
        if confirm:
            self._confirm(target, resolved.config, confirm)
        return target, resolved

    def _confirm(self, target: plan.Target, cfg: StackConfig, action: str) -> None:
        if plan.confirm_needed(
            target.stack, protected=cfg.protected, yes=self.settings.yes, interactive=self.settings.is_interactive()
        ):
            try:
                answer = input(f"{target.stack} is protected. Type its name to {action} it: ").strip()
            except EOFError:  # Ctrl-D, or a closed stdin
                raise UsageError(f"not confirmed (end of input); {target.stack} left unchanged") from None
            if answer != target.stack:
                raise UsageError(f"not confirmed; {target.stack} left unchanged")

    def _check_account(self, target: plan.Target, cfg: StackConfig) -> None:
        if self.settings.local or not cfg.accounts:
            return
        plan.check_account(target.stack, self.workspace.aws().caller_account(cfg.region), list(cfg.accounts))

    # -- facts about deployed stacks -------------------------------------------------------------------------

    def resolve_image(self, ref: str, cfg: StackConfig) -> str:
        """`repo@sha256:...` for a reference: a tag is resolved through ECR, a digest looked up there (missing
        image: exit 4); with `--local` a digest is taken as given."""
        parsed = parse_image_ref(ref)
        if parsed.registry is None:
            # A bare name (acme/web) lives in the stack's registry account, not the caller's own registry.
            registry = cfg.repository_url.split("/", 1)[0]
            parsed = parse_image_ref(f"{registry}/{ref}")
        if parsed.digest and self.settings.local:
            return f"{parsed.repository_url}@{parsed.digest}"  # the emulator holds no images and runs no tasks
        client = self.workspace.aws().ecr(parsed.region or cfg.ecr.region or cfg.region)
        if parsed.digest:
            # A digest is deployed only when the repository holds it: a typo would otherwise reach ECS and fail
            # there, minutes later, as tasks that cannot pull their image.
            resolve_digest(client, parsed.repository_url, parsed.digest)
            return f"{parsed.repository_url}@{parsed.digest}"
        digest = resolve_digest(client, parsed.repository_url, parsed.tag or "latest")
        self.say(f"image {ref} -> {digest}")
        return f"{parsed.repository_url}@{digest}"

    # -- up --------------------------------------------------------------------------------------------------

    def up(self, env: str, pr: int | None = None, image: str | None = None) -> UpReport:
        """Deploy ENV: validate, guard, resolve the image, set config and tags, run `up`, report."""
        return self._up(env, pr, image, confirmed=False)

    def _up(
        self, env: str, pr: int | None, image: str | None, *, confirmed: bool, rolling_back: str | None = None
    ) -> UpReport:
        """`up`; `confirmed` when the calling command has asked for the protected environment's confirmation;
        `rolling_back` (the image deployed until now) when `rollback` runs it, to record the rollback."""
        target, resolved = self._start(env, pr, confirm=None if confirmed else "deploy", image=image)
        cfg = resolved.config
        backend = self.workspace.backend(cfg)
        self.workspace.pulumi()
        with self.workspace.emulator():
            self._check_account(target, cfg)
            # Every input is checked before the stack is created: a refused image leaves nothing behind.
            requested = self.resolve_image(image, cfg) if image else None
            existing = self._existing(target.stack, backend)
            current = self.workspace.deployed(existing).image if existing is not None else None
            if requested:
                deploy_image: str | None = requested
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
            stack = existing or self.workspace.open(target.stack, backend, create=True)
            report = self._update(target, resolved.with_image(deploy_image), stack, rolling_back)
        self.report.deployed(report)
        return report

    def _remove_empty(self, stack: Stack, stack_name: str) -> None:
        try:
            stack.workspace.remove_stack(stack_name)
        except Exception as err:  # the preview's result stands; say what is left behind
            self.say(f"warning: could not remove the empty stack {stack_name}: {error_lines(err)[0]}")

    def _existing(self, stack_name: str, backend: plan.Backend) -> Stack | None:
        """The stack when it exists; None (creating nothing) when it does not."""
        from pulumi.automation.errors import StackNotFoundError

        try:
            return self.workspace.open(stack_name, backend, create=False)
        except StackNotFoundError:
            return None

    def _update(
        self, target: plan.Target, resolved: ResolvedStack, stack: Stack, rolling_back: str | None = None
    ) -> UpReport:
        workspace = self.workspace
        image = resolved.image.reference if resolved.image else None
        tags = {plan.TAG_ENVIRONMENT: target.env, plan.TAG_PR: str(target.pr or "")}
        if self.settings.git_sha:
            tags[plan.TAG_GIT_SHA] = self.settings.git_sha
        if resolved.expires_at:
            tags[plan.TAG_EXPIRES_AT] = resolved.expires_at
        # Another update running: refuse before this run writes anything (the config is what it would deploy).
        if workspace.update_in_progress(stack):
            raise locked_error(target.stack)
        with workspace.mapped(target.stack, "configuring the stack"):
            workspace.apply_config(stack, workspace.program_config(resolved))
        self.say(f"deploying {target.stack}" + (f" with {image}" if image else ""))
        started = datetime.now(UTC)
        try:
            with workspace.mapped(target.stack, "the update", stack), self.report.stream(f"pulumi up {target.stack}"):
                result = stack.up(on_output=self.say, refresh=workspace.ephemeral_emulator() or None)
        except DeploymentError as err:
            self._after_failed_update(target.stack, resolved.config.region, stack, started, err)
            raise
        # Tags describe what is deployed: written once this run's update has held the lock and succeeded.
        digest = plan.digest_of(image) if image else None
        known = workspace.tags(stack)
        if image and digest:
            history = plan.push_history(plan.parse_history(known.get(plan.TAG_HISTORY)), digest)
            tags.update({plan.TAG_IMAGE: image, plan.TAG_HISTORY: ",".join(history)})
        outputs = {k: v.value for k, v in result.outputs.items()}
        # What ECS made of the update: a rollback it made is recorded and fails the command (exit 5).
        check = self.watch.after_update(target.stack, resolved.config.region, outputs, known, digest, rolling_back)
        if check.record is not None:
            tags[rollbacks.TAG_ROLLBACK] = rollbacks.encode(check.record)
        elif rollbacks.TAG_ROLLBACK in known:
            workspace.remove_tag(stack, rollbacks.TAG_ROLLBACK)
        workspace.set_tags(stack, {k: v for k, v in tags.items() if v})
        if check.rolled_back:
            raise RolledBackError("\n".join(check.rolled_back))
        for note in check.notes:
            self.say(note)
        changes = dict(result.summary.resource_changes or {})
        return UpReport(stack=target.stack, env=target.env, image=image, outputs=outputs, changes=changes)

    def _after_failed_update(
        self, stack_name: str, region: str, stack: Stack, started: datetime, err: DeploymentError
    ) -> None:
        """When ECS rolled back the deployment a failed update started: record it and raise `RolledBackError`
        (exit 5) with the engine's lines, then one line per service. Otherwise return (the error stands)."""
        try:
            outputs = {k: v.value for k, v in stack.outputs().items()}
        except Exception:  # the previous outputs name the services; without them there is nothing to ask
            return
        record, lines = self.watch.after_failed_update(stack_name, region, outputs, started)
        if not lines:
            return
        if record is not None:
            self.workspace.set_tags(stack, {rollbacks.TAG_ROLLBACK: rollbacks.encode(record)})
        raise RolledBackError("\n".join([*str(err).splitlines(), *lines])) from None

    # -- diff ------------------------------------------------------------------------------------------------

    def diff(self, env: str, pr: int | None = None, image: str | None = None, markdown: str | None = None) -> int:
        """Preview ENV and state each service's worst-case rollout; with `markdown`, write a PR-comment body
        (changes per type, URL, image, rollout). See `ecsdelivery.driver.diffing`."""
        from ecsdelivery.driver.diffing import preview_diff

        return preview_diff(self, env, pr, image, markdown)

    # -- destroy, outputs, list ------------------------------------------------------------------------------

    def destroy(self, env: str, pr: int | None = None) -> int:
        """Destroy ENV's resources and remove its stack; a stack that does not exist is not an error."""
        target, resolved = self._start(env, pr, confirm="destroy")
        cfg = resolved.config
        backend = self.workspace.backend(cfg)
        self.workspace.pulumi()
        with self.workspace.emulator():
            self._check_account(target, cfg)
            if not self.destroy_stack(target.stack, backend, cfg):
                self.say(f"no stack {target.stack}: nothing to destroy")
                return 0
        self.say(f"destroyed and removed {target.stack}")
        return 0

    def destroy_stack(self, stack_name: str, backend: plan.Backend, cfg: StackConfig) -> bool:
        """Destroy and remove one stack; False when it does not exist, or stopped existing meanwhile (another
        cleanup removed it first): either way it is gone, which is what was asked."""
        from pulumi.automation.errors import StackNotFoundError

        workspace = self.workspace
        try:
            stack = workspace.open(stack_name, backend, create=False)
            if self.settings.local and workspace.endpoint:
                with workspace.mapped(stack_name, "configuring the stack"):
                    workspace.apply_config(stack, provider_config(workspace.endpoint, cfg.region))
            title = f"pulumi destroy {stack_name}"
            with workspace.mapped(stack_name, "the destroy", stack), self.report.stream(title):
                stack.destroy(on_output=self.say, refresh=workspace.ephemeral_emulator() or None)
            with workspace.mapped(stack_name, "removing the stack"):
                stack.workspace.remove_stack(stack_name)
        except StackNotFoundError:
            return False
        return True

    def outputs(self, env: str, pr: int | None = None, as_json: bool = False) -> int:
        """Print a deployed stack's outputs (URL first), or all of them as JSON, with each service's last rollback
        (manual or by ECS) and a warning when ECS runs another revision than the stack says."""
        target, resolved = self._start(env, pr)
        cfg = resolved.config
        missing = f"no stack {target.stack}: deploy it first"
        stack = self.workspace.open_existing(target.stack, self.workspace.backend(cfg), missing)
        with self.workspace.mapped(target.stack, "reading outputs"):
            values = {k: v.value for k, v in stack.outputs().items()}
        view = self.watch.view(target.stack, cfg.region, values, self.workspace.tags(stack))
        for line in view.warnings:
            self.report.warn(line)
        self.report.outputs(values, as_json, view.last_rollbacks, view.states)
        return 0

    def _stack_file(self, env: str, pr: int | None = None) -> StackConfig:
        """Only the stack file, for commands over many stacks (backend, preview TTL, accounts): a broken file of
        another stack (the platform's) must not stop a cleanup."""
        return load_stack(env, stacks_dir=self.settings.stacks_dir, pr=pr)

    def _any_config(self) -> StackConfig | None:
        """A stack file to take the backend from for commands over many stacks (dev, else preview)."""
        for env in ("dev", "preview"):
            try:
                return self._stack_file(env, pr=1 if env == "preview" else None)
            except EcsDeliveryError:
                continue
        return None

    def list_stacks(self, as_json: bool = False) -> int:
        """Stacks of the backend with environment, PR, image and last update."""
        backend = self.workspace.backend(self._any_config())
        workspace, summaries = self.workspace.listing(backend, "(all)")
        rows = [plan.stack_row(summary, stack_tags(workspace, summary.name)) for summary in summaries]
        rows.sort(key=lambda r: (r["pr"] is not None, r["pr"] or 0, r["stack"]))
        self.report.stacks(rows, as_json, backend.url)
        return 0

    # -- promote, rollback -----------------------------------------------------------------------------------

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
            check_tag(release)
        src_target = plan.resolve_target(src, None, self.settings.environ, self._environments(src))
        dst_target = plan.resolve_target(dst, None, self.settings.environ, self._environments(dst))
        dst_cfg = self._resolve(dst_target).config
        plan.check_promotion(src, dst, dst_cfg.promotion.order, force=force)
        src_cfg = self._resolve(src_target).config
        expected_ref = plan.expected_reference(expect_image, src_cfg.repository_url) if expect_image else None
        _check_image(expected_ref)
        self._confirm(dst_target, dst_cfg, "deploy")
        self.workspace.pulumi()
        src_stack = self.workspace.open_existing(
            src_target.stack, self.workspace.backend(src_cfg), f"{src} has never been deployed: nothing to promote"
        )
        with self.workspace.mapped(src, "reading the deployed image"):
            image = plan.promotion_image(src, self.workspace.deployed(src_stack))
            plan.check_not_rolled_back(
                src, rollbacks.decode(self.workspace.tags(src_stack).get(rollbacks.TAG_ROLLBACK))
            )
        if expect_image and expected_ref:
            plan.check_expected_image(src, dst, image, self.resolve_image(expected_ref, src_cfg), expect_image)
            self.say(f"{src} runs {expect_image}, as expected")
        self.say(f"promoting {src} -> {dst}: {image}")
        report = self._up(dst, None, image, confirmed=True)
        if release:
            # Only a deploy that went through is released: a refused or failed one leaves no release tag behind.
            ref = parse_image_ref(image)
            client = self.workspace.aws().ecr(ref.region or dst_cfg.ecr.region or dst_cfg.region)
            tag_image(client, ref.repository_url, ref.digest or "", release)
            self.say(f"tagged {ref.repository_url}@{ref.digest} as {release}")
        return report

    def rollback(self, env: str, pr: int | None = None, to: str | None = None) -> UpReport:
        """Redeploy `to` (digest, tag, reference) or the digest deployed before the current one. When ECS has
        rolled the stack's services back already, say so, and without `to` redeploy the image ECS went back to,
        so the stack agrees with what runs."""
        target, resolved = self._start(env, pr, confirm="roll back")
        cfg = resolved.config
        self.workspace.pulumi()
        missing = f"no stack {target.stack}: nothing to roll back"
        stack = self.workspace.open_existing(target.stack, self.workspace.backend(cfg), missing)
        with self.workspace.mapped(target.stack, "reading the image history"):
            current = self.workspace.deployed(stack).image
            history = self.workspace.image_history(stack)
            outputs = {k: v.value for k, v in stack.outputs().items()}
        lines, ecs_image = self.watch.rolled_back_to(target.stack, cfg.region, outputs)
        for line in lines:
            self.say(line)
        if ecs_image and not to and plan.digest_of(ecs_image) != plan.digest_of(current):
            to = ecs_image
            self.say(f"redeploying {ecs_image}, the image ECS went back to, so that the stack agrees with ECS")
        decision = plan.rollback_target(target.stack, current, history, to)
        # `acme/web@sha256:...` is the stack's registry's; a digest the repository no longer holds (a typo, or one
        # its lifecycle expired) is exit 4 before anything is deployed.
        reference = decision.image or f"{decision.repository}:{decision.tag}"
        image = self.resolve_image(reference, cfg)
        self.say(f"rolling {target.stack} back from {current or '-'} to {image}")
        return self._up(env, pr, image, confirmed=True, rolling_back=current or "")

    # -- cleanup ---------------------------------------------------------------------------------------------

    def cleanup_previews(self, open_prs: str | None, expired: bool, parallel: int = 4) -> int:
        """Destroy and remove previews whose PR is closed or whose time is up; report each; 1 if any failed.
        See `ecsdelivery.driver.cleanup`."""
        from ecsdelivery.driver.cleanup import cleanup_previews

        return cleanup_previews(self, open_prs, expired, parallel)


def _check_image(image: str | None) -> None:
    """Refuse a malformed `--image` (exit 2) before any stack is opened or created."""
    if image:
        parse_image_ref(image)
