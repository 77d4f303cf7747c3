"""One resolved stack: everything a stack, a pull request and an image come to, worked out once.

`resolve_stack(environment, pr=..., image=..., stacks_dir=..., environ=...)` loads and validates the stack file
(`StackConfig`, the schema of the file) with `${IMAGE}` and `${PR}` filled in, and decides every value the
consumers read: the stack id (`pr-<N>` for a preview), the labels, each service's host, listener priority,
protocol, URL and hosted zone, the preview's expiry, the ECR repository's URL and ARN, and the deploy image by
digest. The driver, `synth`, `check`, `cost`, the rollout report and the Pulumi program all take a
`ResolvedStack`; none of them derives a name, host, priority or URL again.

    stack = resolve_stack("preview", pr=42, image="111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web@sha256:...")
    stack.id.name                    # "pr-42"
    stack.services["web"].url        # "https://pr-42.preview.example.com" (http without a certificate)
    stack.services["web"].priority   # 10168

Pure: no pulumi, no AWS; reading the stack files is its only I/O.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from ecsdelivery.config import CreatePlatform, ServiceConfig, StackConfig, StackPlatform, load_stack
from ecsdelivery.errors import UsageError
from ecsdelivery.images import ImageRef, parse_image_ref
from ecsdelivery.naming import Label, StackId, service_url


@dataclass(frozen=True)
class DeployImage:
    """The image containers without their own `image` run: the full reference and its digest (None for a tag)."""

    reference: str
    digest: str | None


@dataclass(frozen=True)
class ResolvedService:
    """One service of a resolved stack.

    Attributes:
        name: the service's key in the stack file.
        config: its settings (a preview's already carry the preview's size, capacity and routing).
        label: its naming label (with `pr-<N>` in a preview).
        host: the host header its listener rule matches; None for any host or a worker.
        priority: its listener rule priority; None for a worker (no load balancer).
        path_patterns: the path patterns its rule matches (a preview drops a lone `/*`: the host suffices).
        protocol: `https` or `http`, the scheme of its platform's listener.
        url: `<protocol>://<host>`; None for a worker, or when only the load balancer's DNS name (known once
            deployed) can say.
        zone: the hosted zone of its alias record; None without a host or without a zone.
    """

    name: str
    config: ServiceConfig
    label: Label
    host: str | None
    priority: int | None
    path_patterns: tuple[str, ...]
    protocol: str
    url: str | None
    zone: str | None

    @property
    def routed(self) -> bool:
        """True when the service sits behind the load balancer (it has routing)."""
        return self.priority is not None


@dataclass(frozen=True)
class ResolvedStack:
    """A stack file, a pull request and an image, resolved. Build one with `resolve_stack`.

    Attributes:
        id: the stack (`StackId`; `.name` is `dev` or `pr-<N>`).
        config: the validated stack file (its schema: `StackConfig`). Read it; never change it.
        label: the stack's naming label (with the `GitSha` tag when a commit is given).
        services: each service, resolved, in stack-file order.
        protocol: the scheme of the platform's listener (`http` for a local emulator or without a certificate).
        zone: the platform's hosted zone for alias records; None locally, or without one.
        expires_at: a preview's expiry, `2024-05-01T12:00:00Z`; None for other stacks.
        repository_url, repository_arn: the ECR repository the images come from.
        image: the deploy image; None when none was given.
        stacks_dir: the directory of the stack files.
        local: resolved for a local AWS emulator.
        git_sha: the commit being deployed, if given.
        platform_stack: the file of the stack whose platform this one uses (`platform.mode: stack`).
        warnings: what the caller should warn about (a deploy by tag).
    """

    id: StackId
    config: StackConfig
    label: Label
    services: Mapping[str, ResolvedService]
    protocol: str
    zone: str | None
    expires_at: str | None
    repository_url: str
    repository_arn: str
    image: DeployImage | None
    stacks_dir: str
    local: bool = False
    git_sha: str | None = None
    platform_stack: StackConfig | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        """The Pulumi stack name."""
        return self.id.name

    @property
    def pr(self) -> int | None:
        return self.id.pr

    @property
    def is_preview(self) -> bool:
        return self.id.is_preview

    @property
    def primary(self) -> ResolvedService | None:
        """The service whose outputs are exported first-class (`url`, `serviceName`, ...): the app's, else the
        first."""
        return self.services.get(self.config.app) or next(iter(self.services.values()), None)

    @property
    def url(self) -> str | None:
        """The primary service's URL, when it can be told before deploying."""
        primary = self.primary
        return primary.url if primary is not None else None

    def with_image(self, image: str | None) -> ResolvedStack:
        """The same stack deploying `image` (e.g. once the driver has resolved a tag to its digest)."""
        deploy, warnings = _deploy_image(self.config, image, self.repository_url)
        return replace(self, image=deploy, warnings=warnings)


def resolve_stack(
    environment: str,
    *,
    pr: int | None = None,
    image: str | None = None,
    stacks_dir: str | os.PathLike[str] = "stacks",
    environ: Mapping[str, str] | None = None,
    local: bool = False,
    git_sha: str | None = None,
    now: dt.datetime | None = None,
) -> ResolvedStack:
    """Load `stacks/<environment>.yaml` for `pr` and `image`, and resolve every value its consumers read.

    Args:
        environment: dev, staging, prod, shared, preview (needs `pr`) or `pr-<N>`.
        pr: the pull request of a preview.
        image: the deploy image (`repo@sha256:...`; `sha256:...` alone means that digest in the stack's
            repository; a tag is accepted with a warning, and refused in a protected environment). It is also
            `${IMAGE}` in the stack file.
        stacks_dir: the directory of the stack files.
        environ: the variables `${VAR}` reads; default the process environment.
        local: for a local AWS emulator: plain HTTP, no hosted zone.
        git_sha: the commit being deployed: the `GitSha` tag on every resource.
        now: the time of the deploy (a preview expires `preview.ttl_hours` after the start of its hour).

    Raises:
        UsageError, ConfigError: a bad environment, PR number, image or stack file (exit code 2).
    """
    variables = {**(environ if environ is not None else os.environ)}
    if image:
        variables["IMAGE"] = image
    config = load_stack(environment, stacks_dir=stacks_dir, pr=pr, variables=variables)
    if git_sha:
        config.tags = {**config.tags, "GitSha": git_sha}
    platform_stack = None
    if isinstance(config.platform, StackPlatform):
        platform_stack = load_stack(config.platform.stack, stacks_dir=stacks_dir, variables=variables)
    protocol = _protocol(config, platform_stack, local=local)
    zone = None if local else _zone(platform_stack or config)
    services = {
        name: _service(config, name, service, protocol=protocol, zone=zone) for name, service in config.services.items()
    }
    repository_url = config.repository_url
    deploy, warnings = _deploy_image(config, image, repository_url)
    return ResolvedStack(
        id=StackId(config.environment if config.pr is not None else config.stack_name, config.pr),
        config=config,
        label=config.label,
        services=services,
        protocol=protocol,
        zone=zone,
        expires_at=_expiry(now, config.preview.ttl_hours) if config.pr is not None else None,
        repository_url=repository_url,
        repository_arn=_repository_arn(config),
        image=deploy,
        stacks_dir=str(Path(stacks_dir)),
        local=local,
        git_sha=git_sha,
        platform_stack=platform_stack,
        warnings=warnings,
    )


def platform_protocol(config: StackConfig) -> str:
    """`https` when the stack's own platform has a certificate (given, or created from a domain and a zone);
    `http` otherwise. An existing platform is assumed to be HTTPS."""
    platform = config.platform
    if isinstance(platform, CreatePlatform):
        certified = platform.certificate_arn is not None or (
            platform.domain is not None and platform.hosted_zone_id is not None
        )
        return "https" if certified else "http"
    return "https"


def _protocol(config: StackConfig, platform_stack: StackConfig | None, *, local: bool) -> str:
    """The scheme of the listener the services join: always `http` locally; for `mode: stack`, the platform
    stack's (what that stack exports as `protocol`)."""
    if local:
        return "http"
    return platform_protocol(platform_stack or config)


def _zone(config: StackConfig) -> str | None:
    """The hosted zone of the services' alias records: a created platform's `hosted_zone_id`."""
    return config.platform.hosted_zone_id if isinstance(config.platform, CreatePlatform) else None


def _service(
    config: StackConfig, name: str, service: ServiceConfig, *, protocol: str, zone: str | None
) -> ResolvedService:
    routing = service.routing  # None: a worker, with no load balancer
    host = routing.host if routing is not None else None
    patterns = tuple(routing.path_patterns) if routing is not None else ()
    if config.pr is not None:
        patterns = tuple(p for p in patterns if p != "/*")  # the host already tells previews apart
    return ResolvedService(
        name=name,
        config=service,
        label=config.service_label(name),
        host=host,
        priority=routing.priority if routing is not None else None,
        path_patterns=patterns,
        protocol=protocol,
        url=service_url(protocol, host) if host else None,
        zone=zone if host else None,
    )


def _expiry(now: dt.datetime | None, ttl_hours: int) -> str:
    """Counted from the start of the hour of the deploy, so deploys within one hour leave the tags unchanged."""
    hour = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return (hour + dt.timedelta(hours=ttl_hours)).isoformat().replace("+00:00", "Z")


def _repository_arn(config: StackConfig) -> str:
    account = config.ecr.registry_account or config.accounts[0]
    return f"arn:aws:ecr:{config.ecr.region or config.region}:{account}:repository/{config.ecr.name}"


def _deploy_image(
    config: StackConfig, value: str | None, repository_url: str
) -> tuple[DeployImage | None, tuple[str, ...]]:
    """The deploy image from a reference, and the warnings it calls for.

    `sha256:...` alone (or `@sha256:...`) means that digest in the stack's repository; a reference without a
    registry whose repository is the stack's gets the stack's registry. A tag without a digest is refused in a
    protected environment (prod deploys what was promoted, by digest) and warned about elsewhere.
    """
    if value is None or not value.strip():
        return None, ()
    text = value.strip()
    if text.startswith(("sha256:", "@sha256:")):
        text = f"{repository_url}@{text.lstrip('@')}"
    ref: ImageRef = parse_image_ref(text)
    if ref.registry is None and ref.repository == config.ecr.name:
        ref = parse_image_ref(f"{repository_url.split('/', 1)[0]}/{text}")
    if ref.digest is not None:
        ref = ref.with_digest(ref.digest)  # `repo:tag@sha256:...` -> `repo@sha256:...`: the digest is what runs
        return DeployImage(reference=str(ref), digest=ref.digest), ()
    if config.protected:
        raise UsageError(
            f"{config.stack_name} is protected and deploys by digest only; got the tag reference {value!r} "
            "(python -m ecsdelivery image resolve REPO TAG prints its digest)"
        )
    warning = (
        f"deploying the tag reference {value!r}: a tag can move, so this deploy is not pinned; pass a digest "
        "(repo@sha256:...), as `python -m ecsdelivery up` does"
    )
    return DeployImage(reference=str(ref), digest=None), (warning,)
