"""Every physical name and tag comes from here, in the manner of Cloud Posse's null-label.

A `Label` joins namespace, environment, name and attributes with `-`. Names longer than an AWS limit are cut
deterministically and end in a short hash of the full name, so two long names that differ only past the cut
stay different. A preview is the same label with the attribute `pr-<N>`, and its Pulumi stack is named `pr-<N>`
too: `StackId` is the one place that formats and parses that name.

    label = Label(namespace="acme", environment="dev", name="web")
    label.id                           # "acme-dev-web"
    label.with_attributes("pr-42").id  # "acme-dev-web-pr-42"
    label.name_for("target_group")     # cut to 32 characters when longer
    label.name_for("target_group", replace_on={"port": 8080, "vpcId": "vpc-1"})   # "acme-dev-web-<6 hex>"

`replace_on` takes the inputs AWS sets only at creation (`ecsdelivery.replace_only`): their short hash ends the
name, so an edit that makes the engine replace the resource also gives the replacement a new name, and the
create-before-delete replacement never collides with the resource it replaces.
    StackId.parse("org/project/pr-42") # StackId(environment="preview", pr=42); .name == "pr-42"
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

MANAGED_BY = "ecsdelivery"
#: The tag that marks a standby listener rule: it keeps a target group attached and never gets traffic.
STANDBY_TAG = ("Purpose", "standby")
# A service's test-traffic rule (on the standby listener): ECS points it at the new tasks before production moves.
TEST_TAG = ("Purpose", "test")

# AWS name-length limits by resource kind.
LIMITS: dict[str, int] = {
    "load_balancer": 32,
    "target_group": 32,
    "iam_role": 64,
    "iam_policy": 128,
    "security_group": 255,
    "ecs_cluster": 255,
    "ecs_service": 255,
    "task_family": 255,
    "log_group": 512,
    "ecr_repository": 256,
    "autoscaling_policy": 256,
    "container": 255,
    "s3_bucket": 63,
    "cloudwatch_alarm": 255,
    "sns_topic": 256,
    "waf_web_acl": 128,
    "waf_metric": 100,
}

HASH_LENGTH = 6
_INVALID = re.compile(r"[^a-z0-9-]+")

PREVIEW = "preview"
#: `pr-<digits>`: names kept for previews. Pull request N's is `pr-<N>`, N from 1 without leading zeros.
PREVIEW_PATTERN = re.compile(r"pr-([0-9]+)")


def preview_name(pr: int) -> str:
    """`pr-<N>`: the stack name and label attribute of pull request N's preview."""
    return f"pr-{pr}"


def is_preview_name(name: str) -> bool:
    """True for any `pr-<digits>` name: previews own them all, so no stack file or service may take one."""
    return PREVIEW_PATTERN.fullmatch(name) is not None


def preview_number(name: str) -> int | None:
    """N for pull request N's `pr-<N>`; None for anything else (`pr-0` and `pr-07` name no pull request)."""
    match = PREVIEW_PATTERN.fullmatch(name)
    if match is None:
        return None
    number = int(match.group(1))
    return number if number >= 1 and preview_name(number) == name else None


@dataclass(frozen=True)
class StackId:
    """A Pulumi stack of this project: its environment and, for a preview, the pull request.

    `StackId("preview", 42).name` is `pr-42`; `StackId.parse("pr-42")` gives it back.
    """

    environment: str
    pr: int | None = None

    @property
    def name(self) -> str:
        """`dev`, `staging`, `prod`, `shared`, or `pr-<N>` for a preview."""
        return preview_name(self.pr) if self.pr is not None else self.environment

    @property
    def is_preview(self) -> bool:
        return self.pr is not None

    @classmethod
    def parse(cls, name: str) -> StackId:
        """The inverse of `name`; accepts fully-qualified names (`org/project/pr-7`)."""
        short = name.rsplit("/", 1)[-1]
        number = preview_number(short)
        return cls(PREVIEW, number) if number is not None else cls(short)


def service_url(protocol: str, address: str) -> str:
    """A service's URL: `<protocol>://<host>` (the host, or the load balancer's DNS name when it has none)."""
    return f"{protocol}://{address}"


def _normalise(part: str) -> str:
    return _INVALID.sub("-", part.lower()).strip("-")


def shorten(name: str, limit: int) -> str:
    """Cut `name` to `limit` characters, ending in a hash of the full name when cut."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:HASH_LENGTH]
    head = name[: limit - HASH_LENGTH - 1].rstrip("-")
    return f"{head}-{digest}"


def replacement_hash(values: Mapping[str, object]) -> str:
    """A short hash of replacement-only inputs: stable key order, and inputs left unset (None) leave it unchanged."""
    present = {key: value for key, value in values.items() if value is not None}
    text = json.dumps(present, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_LENGTH]


@dataclass(frozen=True)
class Label:
    """Namespace, environment, name and attributes: the parts of every name ecsdelivery makes.

    Attributes:
        namespace: organisation or team prefix, e.g. "acme".
        environment: the stage, e.g. "dev", "staging", "prod" or "preview".
        name: the application, e.g. "web".
        attributes: extra parts appended in order, e.g. ("pr-42",) or ("exec",).
        extra_tags: tags added to every resource besides the standard ones.
    """

    namespace: str
    environment: str
    name: str
    attributes: tuple[str, ...] = ()
    extra_tags: Mapping[str, str] = field(default_factory=dict)

    def with_attributes(self, *attributes: str) -> Label:
        """A label for a sub-resource: the same parts plus `attributes`."""
        return replace(self, attributes=(*self.attributes, *attributes))

    @property
    def id(self) -> str:
        """The full name: the non-empty normalised parts joined by `-`."""
        parts = [self.namespace, self.environment, self.name, *self.attributes]
        return "-".join(p for p in (_normalise(part) for part in parts) if p)

    def name_for(
        self,
        kind: str,
        *,
        replace_on: Mapping[str, object] | None = None,
        baseline: Mapping[str, object] | None = None,
    ) -> str:
        """The name for a resource kind from `LIMITS`, cut to that kind's limit.

        With `replace_on` (the resource's replacement-only inputs), the name ends in `-<hash of them>` and the
        label part is cut to leave room for it: `acme-dev-web-1a2b3c`. With `baseline` too, a `replace_on`
        equal to it keeps the plain name: for inputs every existing resource was created with, so adopting the
        hash renames (and so replaces) nothing until one of them changes.
        """
        try:
            limit = LIMITS[kind]
        except KeyError:
            raise ValueError(f"unknown resource kind {kind!r}; known: {', '.join(sorted(LIMITS))}") from None
        if replace_on is None or (baseline is not None and dict(replace_on) == dict(baseline)):
            return shorten(self.id, limit)
        suffix = replacement_hash(replace_on)
        return f"{shorten(self.id, limit - len(suffix) - 1)}-{suffix}"

    @property
    def pr_number(self) -> int | None:
        """The pull request number when an attribute is `pr-<N>`."""
        for attribute in self.attributes:
            number = preview_number(attribute)
            if number is not None:
                return number
        return None

    def without_preview(self) -> Label:
        """The label minus its `pr-<N>` attribute."""
        return replace(self, attributes=tuple(a for a in self.attributes if preview_number(a) is None))

    @property
    def tags(self) -> dict[str, str]:
        """Standard tags (Namespace, Environment, App, Name, ManagedBy, PullRequest for previews) + extras."""
        tags = {
            "Namespace": self.namespace,
            "Environment": self.environment,
            "App": self.name,
            "Name": self.id,
            "ManagedBy": MANAGED_BY,
        }
        if self.pr_number is not None:
            tags["PullRequest"] = str(self.pr_number)
        return {**tags, **dict(self.extra_tags)}


def deploy_role_name(namespace: str, app: str, job: str) -> str:
    """The IAM role a GitHub job identity assumes: `<namespace>-<app>-<job>` (`acme-web-prod`, `acme-web-build`).

    Outside every stack's name prefix (`<namespace>-<environment>-<app>`), so no stack's permissions reach it.
    """
    return shorten(
        "-".join(p for p in (_normalise(namespace), _normalise(app), _normalise(job)) if p), LIMITS["iam_role"]
    )
