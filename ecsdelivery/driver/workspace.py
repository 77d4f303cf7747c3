"""Where stacks live and how the engine is reached: settings, backend, Pulumi CLI, stacks, tags, errors.

`Workspace` is what every driver operation stands on (as Pulumi's `LocalWorkspace` is for its `Stack`): it
picks the backend (`plan.choose_backend`), finds the Pulumi CLI, opens or lists stacks with the program as an
inline program, sets config and tags, runs the local emulator, and maps the Automation API's errors to ours.

Workspace directory: `<project>/.ecsdelivery/workspace` (git-ignored) holds the per-stack settings files the CLI
writes; config is set again on every run, so a fresh checkout in CI loses nothing. With the passphrase secrets
provider and the default local backend, `PULUMI_CONFIG_PASSPHRASE` defaults to the empty string (nothing secret
is stored there); any other backend must be given a passphrase or a KMS provider.

Tests substitute the CLI, the program and AWS through `Hooks` (in-process only; nothing in the environment
switches them).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ecsdelivery.driver import plan
from ecsdelivery.driver.aws import AwsAccess
from ecsdelivery.driver.local import emulator, provider_config
from ecsdelivery.driver.pulumi_cli import find_pulumi_command
from ecsdelivery.errors import DeploymentError, MissingRequirementError, StackLockedError, UsageError
from ecsdelivery.program import delivery_program

if TYPE_CHECKING:
    from pulumi.automation import PulumiCommand, Stack

    from ecsdelivery.config import StackConfig
    from ecsdelivery.stack import ResolvedStack

DEFAULT_PROJECT = "ecsdelivery"
MAX_ERROR_LINES = 12


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


def error_lines(err: Exception) -> list[str]:
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


def stack_tags(workspace: Any, stack_name: str) -> dict[str, str]:
    """A stack's tags; {} for backends without stack tags."""
    try:
        return dict(workspace.list_tags(stack_name))
    except Exception:  # tags are a convenience: the update history stays authoritative
        return {}


def locked_error(stack_name: str, holder: str | None = None) -> StackLockedError:
    """Exit 3: another update holds the stack's lock; how to wait or clear a stale lock."""
    return StackLockedError(
        f"stack {stack_name} is locked by another update"
        + (f": {holder}" if holder else "")
        + f"\nwait for it to finish and retry; if none is running, run `pulumi cancel --stack {stack_name}` "
        "(Pulumi Cloud) or remove the stale lock from the backend's .pulumi/locks, then retry"
    )


class Workspace:
    """The backend, the Pulumi CLI and the stacks of one command run. `say` prints a line for the user."""

    def __init__(self, settings: Settings, hooks: Hooks, say: Callable[[str], None]) -> None:
        self.settings = settings
        self.hooks = hooks
        self.say = say
        self._command: PulumiCommand | None = None
        self.endpoint: str | None = None  # the emulator's URL while --local runs

    def aws(self) -> AwsAccess:
        """AWS access; with `--local`, at the emulator running for this command or the `--endpoint` given."""
        factory = self.hooks.aws or AwsAccess
        return factory(self.endpoint or (self.settings.endpoint if self.settings.local else None))

    def pulumi(self) -> PulumiCommand:
        """The Pulumi CLI (found once; `MissingRequirementError` with the install hint when there is none)."""
        if self._command is None:
            factory = self.hooks.pulumi_command or (lambda: find_pulumi_command(self.settings.environ))
            self._command = factory()
        return self._command

    def program(self) -> Callable[[], None]:
        return self.hooks.program or delivery_program

    def project_name(self) -> str:
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

    def _options(self, backend: plan.Backend) -> Any:
        from pulumi import automation as auto

        if backend.is_local_file:
            state_dir = Path(backend.url.removeprefix("file://").partition("?")[0])
            try:
                state_dir.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                why = f"cannot use {state_dir} as the state directory ({err.strerror or err})"
                if backend.is_default:
                    raise MissingRequirementError(
                        f"{why}; move away whatever holds that path (a file named .ecsdelivery?)"
                    ) from None
                raise UsageError(f"backend {backend.url}: {why}; give a directory you can write") from None
        work_dir = self.settings.project_dir.resolve() / ".ecsdelivery" / "workspace"
        try:
            work_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise MissingRequirementError(
                f"cannot create the workspace directory {work_dir} ({err.strerror or err}); ecsdelivery keeps "
                "per-stack settings there: move away whatever holds that path (a file named .ecsdelivery?)"
            ) from None
        env = {"PULUMI_BACKEND_URL": backend.url, "PULUMI_SKIP_UPDATE_CHECK": "true"}
        passphrase_given = any(
            k in self.settings.environ for k in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
        )
        if backend.secrets_provider == "passphrase" and backend.is_local_file and not passphrase_given:
            env["PULUMI_CONFIG_PASSPHRASE"] = ""  # local state only: nothing secret is stored
        secrets = backend.secrets_provider if backend.secrets_provider not in (None, "default") else None
        return auto.LocalWorkspaceOptions(
            work_dir=str(work_dir),
            pulumi_command=self.pulumi(),
            project_settings=auto.ProjectSettings(
                name=self.project_name(), runtime="python", main=str(self.settings.project_dir.resolve())
            ),
            env_vars=env,
            secrets_provider=secrets,
        )

    def open(self, stack_name: str, backend: plan.Backend, *, create: bool) -> Stack:
        """Select (or with `create`, create or select) a stack that runs the program inline."""
        from pulumi import automation as auto

        opts = self._options(backend)
        open_stack = auto.create_or_select_stack if create else auto.select_stack
        with self.mapped(stack_name, "opening the stack"):
            return open_stack(stack_name, project_name=self.project_name(), program=self.program(), opts=opts)

    def open_existing(self, stack_name: str, backend: plan.Backend, missing: str) -> Stack:
        """Select a stack that must exist; `MissingRequirementError(missing)` (exit 4) when it does not."""
        from pulumi.automation.errors import StackNotFoundError

        try:
            return self.open(stack_name, backend, create=False)
        except StackNotFoundError:
            raise MissingRequirementError(missing) from None

    def listing(self, backend: plan.Backend, what: str) -> tuple[Any, list[Any]]:
        """A workspace on `backend` and the summaries of its stacks."""
        from pulumi import automation as auto

        workspace = auto.LocalWorkspace(**self._options(backend).__dict__)
        with self.mapped(what, "listing stacks"):
            return workspace, workspace.list_stacks()

    @contextmanager
    def mapped(self, stack_name: str, what: str, stack: Stack | None = None) -> Iterator[None]:
        """Map automation errors to ours; on Ctrl-C cancel the running update, then exit 130."""
        from pulumi.automation.errors import CommandError, ConcurrentUpdateError, StackNotFoundError

        try:
            yield
        except ConcurrentUpdateError as err:
            holder = [line for line in error_lines(err) if "lock" in line]
            raise locked_error(stack_name, holder[0] if holder else None) from None
        except StackNotFoundError:
            raise
        except CommandError as err:
            raise DeploymentError("\n".join([f"{what} of {stack_name} failed:", *error_lines(err)])) from None
        except KeyboardInterrupt:
            if stack is not None:
                self.say(f"interrupted: cancelling the update of {stack_name}")
                try:
                    stack.cancel()
                except Exception as cancel_error:  # the CLI may have stopped on the same signal already
                    self.say(f"cancel: {error_lines(cancel_error)[0]}")
            raise

    def update_in_progress(self, stack: Stack) -> bool:
        """Whether the backend reports an update of `stack` running (Pulumi Cloud does; file backends may not)."""
        try:
            summaries = stack.workspace.list_stacks()
        except Exception:  # a listing is best effort; the update itself still takes the lock
            return False
        return any(s.name.rsplit("/", 1)[-1] == stack.name and s.update_in_progress for s in summaries)

    def tags(self, stack: Stack) -> dict[str, str]:
        return stack_tags(stack.workspace, stack.name)

    def set_tags(self, stack: Stack, tags: Mapping[str, str]) -> None:
        for key, value in tags.items():
            try:
                stack.set_tag(key, value)
            except Exception as err:  # tags are a convenience; the update history stays authoritative
                self.say(f"warning: cannot set stack tag {key}: {error_lines(err)[0]}")
                return

    def remove_tag(self, stack: Stack, key: str) -> None:
        try:
            stack.remove_tag(key)
        except Exception as err:  # tags are a convenience; the update history stays authoritative
            self.say(f"warning: cannot remove stack tag {key}: {error_lines(err)[0]}")

    def program_config(self, resolved: ResolvedStack) -> dict[str, str]:
        """The stack config the program reads (`ecsdelivery:*`: what `current_stack` resolves the same stack from)
        and the provider's (`aws:*`, the emulator's endpoints with `--local`)."""
        cfg, image = resolved.config, resolved.image.reference if resolved.image else None
        config = {
            "ecsdelivery:stacksDir": str(self.settings.stacks_dir.resolve()),
            "ecsdelivery:local": "true" if self.settings.local else "false",
            "aws:region": cfg.region,
        }
        if image:
            config["ecsdelivery:image"] = image
        if self.settings.git_sha:
            config["ecsdelivery:gitSha"] = self.settings.git_sha
        endpoint = self.endpoint
        if self.settings.local and endpoint:
            config.update(provider_config(endpoint, cfg.region))
        return config

    def apply_config(self, stack: Stack, config: Mapping[str, str]) -> None:
        """Set the stack's config to `config`, removing keys this run no longer sets."""
        from pulumi.automation import ConfigValue

        stale = [k for k in ("ecsdelivery:gitSha",) if k not in config]
        values = {k: ConfigValue(value=v) for k, v in config.items()}
        stack.set_all_config(values, path=True)
        for key in stale:
            with suppress(Exception):  # absent already
                stack.remove_config(key)

    @contextmanager
    def emulator(self) -> Iterator[None]:
        """With `--local`, a moto server (or the `--endpoint` given) for the duration; otherwise nothing."""
        if not self.settings.local:
            yield
            return
        with emulator(self.settings.endpoint) as url:
            self.endpoint = url
            self.say(f"local AWS emulator: {url}")
            try:
                yield
            finally:
                self.endpoint = None

    def ephemeral_emulator(self) -> bool:
        """A moto server started for this run knows nothing of earlier runs: refresh drops what it forgot."""
        return self.settings.local and not self.settings.endpoint

    # -- facts about deployed stacks -------------------------------------------------------------------------

    def deployed(self, stack: Stack) -> plan.DeployedState:
        """The image a stack runs (outputs, else tags) and the result of its last operation."""
        outputs = {k: v.value for k, v in stack.outputs().items()}
        image = outputs.get("image") if plan.digest_of(str(outputs.get("image") or "")) else None
        if image is None:
            image = self.tags(stack).get(plan.TAG_IMAGE)
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
        tagged = plan.parse_history(self.tags(stack).get(plan.TAG_HISTORY))
        images.extend(d for d in tagged if d not in images)
        return images

    def previews(self, backend: plan.Backend, *, with_tags: bool) -> list[plan.PreviewStack]:
        """The `pr-<N>` stacks of the backend (with their expiry tag when `with_tags`)."""
        workspace, summaries = self.listing(backend, "(previews)")
        previews = []
        for summary in summaries:
            env, number = plan.parse_stack_name(summary.name)
            if env != "preview" or number is None:
                continue
            tags = stack_tags(workspace, summary.name) if with_tags else {}
            previews.append(
                plan.PreviewStack(
                    name=summary.name,
                    pr=number,
                    expires_at=plan.parse_time(tags.get(plan.TAG_EXPIRES_AT)),
                    last_update=summary.last_update.replace(tzinfo=UTC) if summary.last_update else None,
                )
            )
        return previews
