"""Pure decisions of the driver: which stack, which image, which previews go, whether a step is allowed.

Nothing here talks to Pulumi, AWS or the file system (except reading the GitHub event payload whose path is
given): the operations (`ecsdelivery.driver.operations`) gather facts, call these functions, and carry out what
they decide. Tests call them directly with tables.

Image history: every `up` records the deployed digest in the stack tag `ecsdelivery:image-history` (newest
first, at most `HISTORY_LIMIT` digests, comma-separated: three 71-character digests fit in a 256-character tag
value). Backends that keep no stack tags still record each update's config, so the operations also read
`ecsdelivery:image` from the stack's update history; `rollback_target` takes whichever list it was given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ecsdelivery.driver import rollbacks
from ecsdelivery.errors import DeploymentError, MissingRequirementError, UsageError
from ecsdelivery.events import pr_from_event
from ecsdelivery.facts import is_digest
from ecsdelivery.naming import StackId

#: Environments a command accepts. `preview` needs a PR number; `shared` holds what outlives environments.
ENVIRONMENTS = ("dev", "staging", "prod", "preview", "shared")
DEFAULT_PROMOTION_ORDER = ("dev", "staging", "prod")
HISTORY_LIMIT = 3

TAG_ENVIRONMENT = "ecsdelivery:environment"
TAG_PR = "ecsdelivery:pr"
TAG_IMAGE = "ecsdelivery:image"
TAG_GIT_SHA = "ecsdelivery:git-sha"
TAG_EXPIRES_AT = "ecsdelivery:expires-at"
TAG_HISTORY = "ecsdelivery:image-history"


@dataclass(frozen=True)
class Target:
    """The stack a command acts on: environment name, PR number (previews only) and stack name."""

    env: str
    stack: str
    pr: int | None = None


def stack_name(env: str, pr: int | None = None) -> str:
    """`dev`, `staging`, `prod`, `shared`, or `pr-<N>` for a preview."""
    if env == "preview" and pr is None:
        raise UsageError("preview needs a pull request number: pass --pr N")
    return StackId(env, pr if env == "preview" else None).name


def parse_stack_name(name: str) -> tuple[str, int | None]:
    """The inverse of `stack_name`; accepts fully-qualified names (`org/project/pr-7`)."""
    stack = StackId.parse(name)
    return stack.environment, stack.pr


def resolve_target(
    env: str,
    pr: int | None = None,
    environ: Mapping[str, str] | None = None,
    environments: Sequence[str] = ENVIRONMENTS,
) -> Target:
    """Validate ENV and --pr and name the stack. Usage errors exit 2.

    `environments` are the stack files there are (`config.list_environments`); default: the standard five.
    `preview` takes its PR from `--pr`, else from the GitHub event payload; other environments refuse `--pr`.
    """
    if env not in environments:
        raise UsageError(f"unknown environment {env!r}; use one of: {', '.join(environments) or 'none'}")
    if env != "preview":
        if pr is not None:
            raise UsageError(f"--pr is for previews only, not {env}")
        return Target(env=env, stack=env)
    if pr is None:
        pr = pr_from_event(environ or {})
    if pr is None:
        raise UsageError("preview needs a pull request number: pass --pr N (or run on a pull_request event)")
    if pr <= 0:
        raise UsageError(f"--pr must be a positive number, not {pr}")
    return Target(env=env, stack=stack_name(env, pr), pr=pr)


def stack_row(summary: Any, tags: Mapping[str, str]) -> dict[str, Any]:
    """One row of `list`: a stack summary (`pulumi.automation.StackSummary`) and its tags (`rollback`: the last
    rollback the stack recorded, from its tag alone, so a listing asks AWS nothing)."""
    env, pr = parse_stack_name(summary.name)
    rollback = rollbacks.decode(tags.get(rollbacks.TAG_ROLLBACK))
    return {
        "stack": summary.name,
        "environment": tags.get(TAG_ENVIRONMENT, env),
        "pr": pr,
        "image": tags.get(TAG_IMAGE),
        "lastUpdate": format_time(summary.last_update.replace(tzinfo=UTC)) if summary.last_update else None,
        "updateInProgress": bool(summary.update_in_progress),
        "resourceCount": summary.resource_count,
        "rollback": rollback.to_json() if rollback else None,
    }


# --- previews -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewStack:
    """What the cleanup knows of one preview stack."""

    name: str
    pr: int
    expires_at: datetime | None = None
    last_update: datetime | None = None


@dataclass(frozen=True)
class Removal:
    """A preview stack to destroy, and why."""

    name: str
    pr: int
    reason: str


def parse_open_prs(text: str | None) -> set[int] | None:
    """`"1, 2,3"` -> {1, 2, 3}; None stays None (no PR list given); an empty string means no PR is open."""
    if text is None:
        return None
    numbers: set[int] = set()
    if not text.strip():
        return numbers  # no PR is open: every preview goes
    for part in text.split(","):
        # Each part names one PR: `#`, `,` or a stray space must not read as "no PR open" and remove every preview.
        number = part.strip().removeprefix("#")
        if not re.fullmatch(r"[0-9]{1,18}", number) or int(number) <= 0:
            raise UsageError(f"--open-prs takes comma-separated PR numbers, not {part.strip()!r} (in {text!r})")
        numbers.add(int(number))
    return numbers


def parse_time(value: str | None) -> datetime | None:
    """An ISO-8601 time as an aware UTC datetime (naive times are taken as UTC); None or garbage -> None."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def expiry(now: datetime, ttl_hours: float | None) -> datetime | None:
    """When a preview deployed at `now` expires; None when previews never expire."""
    if not ttl_hours or ttl_hours <= 0:
        return None
    return now + timedelta(hours=ttl_hours)


def format_time(moment: datetime) -> str:
    """UTC, second precision, `Z` suffix: `2024-05-01T12:00:00Z`."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def previews_to_remove(
    stacks: Iterable[PreviewStack],
    *,
    open_prs: set[int] | None,
    expired: bool,
    now: datetime,
    ttl_hours: float | None = None,
) -> list[Removal]:
    """Which previews a cleanup destroys, in PR order.

    A preview goes when `open_prs` is given and its PR is not in it, or, with `expired`, when its
    `expires_at` has passed (without that tag: its last update plus `ttl_hours`). At least one criterion is
    required, so a bare `cleanup-previews` can never remove everything.
    """
    if open_prs is None and not expired:
        raise UsageError("cleanup-previews needs --open-prs N,N,... and/or --expired")
    removals: list[Removal] = []
    for stack in sorted(stacks, key=lambda s: s.pr):
        if open_prs is not None and stack.pr not in open_prs:
            removals.append(Removal(stack.name, stack.pr, f"PR #{stack.pr} is not open"))
            continue
        if not expired:
            continue
        deadline = stack.expires_at
        if deadline is None and stack.last_update is not None:
            deadline = expiry(stack.last_update, ttl_hours)
        if deadline is not None and deadline <= now:
            removals.append(Removal(stack.name, stack.pr, f"expired at {format_time(deadline)}"))
    return removals


# --- promotion --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeployedState:
    """What an environment runs, as read from its outputs, tags or last update."""

    image: str | None
    last_result: str | None = None  # "succeeded", "failed", "in-progress" or None (never updated)


def digest_of(image: str | None) -> str | None:
    """The `sha256:...` part of `repo@sha256:...` (or a bare digest); None when there is none."""
    if not image:
        return None
    candidate = image.rsplit("@", 1)[-1]
    return candidate if is_digest(candidate) else None


def repository_of(image: str) -> str:
    """`registry/repo` of `registry/repo:tag@sha256:...` (drops the tag and the digest)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    return name


def check_promotion(src: str, dst: str, order: Sequence[str] = DEFAULT_PROMOTION_ORDER, *, force: bool = False) -> None:
    """Refuse (exit 2) a promotion that does not follow `order` one step forward; `force` allows skips and
    going backwards, never promoting onto itself or outside the order."""
    order = list(order) or list(DEFAULT_PROMOTION_ORDER)
    for env in (src, dst):
        if env not in order:
            raise UsageError(
                f"cannot promote {'from' if env == src else 'to'} {env}: the order is {' -> '.join(order)}"
            )
    if src == dst:
        raise UsageError(f"cannot promote {src} to itself")
    step = order.index(dst) - order.index(src)
    if step == 1 or force:
        return
    if step > 1:
        skipped = ", ".join(order[order.index(src) + 1 : order.index(dst)])
        raise UsageError(f"promoting {src} -> {dst} skips {skipped}; promote step by step or pass --force")
    raise UsageError(f"{dst} comes before {src} in {' -> '.join(order)}; use rollback, or pass --force")


def promotion_image(src: str, state: DeployedState) -> str:
    """The exact image (`repo@sha256:...`) a promotion from `src` deploys.

    Refused when `src` runs no digest (exit 4) or its last update failed (exit 1): promoting what did not
    deploy cleanly would spread a broken release.
    """
    if state.last_result == "failed":
        raise DeploymentError(f"the last update of {src} failed; fix {src} before promoting from it")
    if state.last_result == "in-progress":
        raise DeploymentError(f"an update of {src} is in progress; promote once it has finished")
    digest = digest_of(state.image)
    if state.image is None or digest is None:
        raise MissingRequirementError(f"{src} runs no image digest to promote; deploy {src} first")
    return f"{repository_of(state.image)}@{digest}"


def check_not_rolled_back(src: str, record: rollbacks.RollbackRecord | None) -> None:
    """Refuse (exit 1) to promote from an environment whose last deploy ECS rolled back: its stack says an image
    that ECS refused to keep running (the record stays until ECS runs what the stack says again)."""
    if record is None or record.by != rollbacks.ECS:
        return
    cause = rollbacks.cause_text(record.trigger, record.alarms)
    raise DeploymentError(
        f"ECS rolled back the last deploy of {src} ({record.service or '-'}: {cause}) at {record.at}, so ECS does "
        f"not run what {src}'s stack says; `rollback {src}` or deploy a fix before promoting from it"
    )


def expected_reference(ref: str, repository: str) -> str:
    """The image reference `promote --expect-image REF` names, for the operations to resolve to a digest.

    A bare digest or a bare tag (`sha-<commit>`, as main's builds are tagged) is looked up in `repository` (the
    source stack's ECR repository URL); `repo:tag` and `repo@sha256:...` are taken as given. A reference with
    neither tag nor digest is refused (exit 2): an implicit `latest` is never what a guard means.
    """
    text = ref.strip()
    if is_digest(text):
        return f"{repository}@{text}"
    if not text or text.startswith("sha256:"):
        raise UsageError(f"--expect-image {ref!r} is not a tag, image reference or sha256 digest")
    if "@" in text or ":" in text.rsplit("/", 1)[-1]:
        return text
    if "/" in text:
        raise UsageError(f"--expect-image {ref!r} names no tag or digest; give repo:tag or repo@sha256:...")
    return f"{repository}:{text}"


def check_expected_image(src: str, dst: str, running: str, expected: str, ref: str) -> None:
    """Refuse (exit 1) a promotion unless SRC runs exactly the digest that `--expect-image REF` resolved to.

    `running` is the image SRC runs (`promotion_image`), `expected` the resolved `repo@sha256:...`. Guards the
    race where SRC moved on (or its deploy of REF has not finished, or failed) between a release and its
    promotion: the refusal names both digests and the two ways forward.
    """
    have, want = digest_of(running), digest_of(expected)
    if want is None:
        raise UsageError(f"--expect-image {ref!r} did not resolve to a sha256 digest")
    if have == want:
        return
    raise DeploymentError(
        f"{src} runs {have}, not {want} ({ref}); nothing tagged or deployed: wait for {src}'s deploy of {ref} "
        f"and promote again, or deploy it directly with `up {dst} --image {repository_of(expected)}@{want}`"
    )


# --- rollback ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RollbackTarget:
    """What a rollback deploys: `image` when known, else `repository` + `tag` to resolve through ECR."""

    image: str | None = None
    repository: str | None = None
    tag: str | None = None


def push_history(history: Sequence[str], digest: str, limit: int = HISTORY_LIMIT) -> list[str]:
    """New history with `digest` first, no duplicates, at most `limit` entries."""
    return [digest, *[d for d in history if d != digest]][:limit]


def parse_history(tag_value: str | None) -> list[str]:
    """The digests of an `ecsdelivery:image-history` tag value (bad entries dropped)."""
    return [d for d in (part.strip() for part in (tag_value or "").split(",")) if is_digest(d)]


def rollback_target(
    env: str, current_image: str | None, history: Sequence[str], to: str | None = None
) -> RollbackTarget:
    """Decide what `rollback ENV [--to REF]` deploys.

    `history` lists images or digests deployed to ENV, newest first (it may start with the current one).
    Without `to`: the newest entry whose digest differs from the current one. With `to`: a digest is deployed
    from the current repository; a full `repo@sha256:` reference as is; `repo:tag` or a bare tag (a release
    version) is resolved through ECR by the caller.
    """
    if to:
        if "@" in to:
            if digest_of(to) is None:
                raise UsageError(f"--to {to!r} has no valid sha256 digest")
            return RollbackTarget(image=to)
        if is_digest(to):
            if not current_image:
                raise MissingRequirementError(f"{env} runs no image: give --to as repo@{to}")
            return RollbackTarget(image=f"{repository_of(current_image)}@{to}")
        last = to.rsplit("/", 1)[-1]
        if ":" in last:
            return RollbackTarget(repository=repository_of(to), tag=last.split(":", 1)[1])
        if "/" in to:
            raise UsageError(f"--to {to!r} names no tag or digest")
        if not current_image:
            raise MissingRequirementError(f"{env} runs no image: give --to as repo:{to}")
        return RollbackTarget(repository=repository_of(current_image), tag=to)
    current = digest_of(current_image)
    if not current_image or current is None:
        raise MissingRequirementError(f"{env} runs no image digest; nothing to roll back from")
    for entry in history:
        digest = digest_of(entry)
        if digest and digest != current:
            repository = repository_of(entry) if "@" in entry else repository_of(current_image)
            return RollbackTarget(image=f"{repository}@{digest}")
    raise MissingRequirementError(f"{env} has no earlier image in its history; pass --to REF")


# --- guards -----------------------------------------------------------------------------------------------------


def confirm_needed(env: str, *, protected: bool, yes: bool, interactive: bool) -> bool:
    """True when the user must confirm interactively; refuses (exit 2) a protected env without --yes in CI."""
    if not protected or yes:
        return False
    if not interactive:
        raise UsageError(f"{env} is protected: pass --yes to change it from a non-interactive session")
    return True


def check_account(env: str, caller_account: str | None, allowed: Sequence[str]) -> None:
    """Refuse (exit 4) credentials of an account the environment does not allow; an empty list allows any."""
    if not allowed:
        return
    if caller_account is None:
        raise MissingRequirementError(f"no AWS credentials: {env} deploys only to account(s) {', '.join(allowed)}")
    if caller_account not in allowed:
        raise MissingRequirementError(
            f"the AWS credentials are for account {caller_account}, but {env} allows only {', '.join(allowed)}; "
            "use credentials for the right account"
        )


# --- backend ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backend:
    """Where state lives and how secrets are encrypted."""

    url: str
    secrets_provider: str | None
    is_default: bool = False

    @property
    def is_local_file(self) -> bool:
        return self.url.startswith("file://")


#: URL schemes of the Pulumi backends: local files, S3, Google Cloud Storage, Azure Blob, Pulumi Cloud (or a
#: self-hosted service) over HTTP(S).
BACKEND_SCHEMES = ("file", "s3", "gs", "azblob", "https", "http")


def check_backend_url(url: str, source: str) -> str:
    """`url` when it names a Pulumi backend (`scheme://something`); else `UsageError` (exit 2) naming `source`."""
    scheme, separator, rest = url.strip().partition("://")
    if not separator or scheme not in BACKEND_SCHEMES or not rest.strip("/"):
        raise UsageError(
            f"{source} {url!r} is not a Pulumi backend URL; use file://PATH, s3://BUCKET, gs://BUCKET, "
            "azblob://CONTAINER or https://api.pulumi.com"
        )
    return url.strip()


def _absolute_file_url(url: str, environ: Mapping[str, str], project_dir: Path) -> str:
    """`file://~/state` -> `file://<home>/state`, `file://state` -> `file://<project>/state`.

    The directory is made here and the engine runs elsewhere (its own work directory), so both must read the
    same absolute path; a `~` is the user's home directory, as Pulumi reads it.
    """
    path, separator, query = url.removeprefix("file://").partition("?")
    if path == "~" or path.startswith("~/"):
        path = (environ.get("HOME") or str(Path.home())) + path[1:]
    if not Path(path).is_absolute():
        path = (project_dir / path).as_posix()
    return f"file://{path}{separator}{query}"


def choose_backend(
    *,
    cli: str | None,
    environ: Mapping[str, str],
    stack_file_url: str | None,
    stack_file_secrets: str | None,
    project_dir: Path,
    local: bool = False,
) -> Backend:
    """`--backend` > `PULUMI_BACKEND_URL` > stack file `state.backend_url` > `file://<project>/.ecsdelivery/state`.

    `--local` always uses the default local file backend (an emulator's resources must never mix with real
    state) unless `--backend` names one explicitly. The default backend gets the passphrase secrets provider.
    A URL that names no backend is refused (exit 2) with where it came from.
    """
    default = f"file://{(project_dir / '.ecsdelivery' / 'state').as_posix()}"
    if cli:
        url, is_default = check_backend_url(cli, "--backend"), False
    elif local:
        url, is_default = default, True
    elif environ.get("PULUMI_BACKEND_URL"):
        url, is_default = check_backend_url(environ["PULUMI_BACKEND_URL"], "PULUMI_BACKEND_URL"), False
    elif stack_file_url:
        url, is_default = check_backend_url(stack_file_url, "state.backend_url"), False
    else:
        url, is_default = default, True
    if url.startswith("file://"):
        url = _absolute_file_url(url, environ, project_dir)
    secrets = stack_file_secrets if not is_default else None
    if secrets is None and url.startswith("file://"):
        secrets = "passphrase"
    return Backend(url=url, secrets_provider=secrets, is_default=is_default)
