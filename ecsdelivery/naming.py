"""Every physical name and tag comes from here, in the manner of Cloud Posse's null-label.

A `Label` joins namespace, environment, name and attributes with `-`. Names longer than an AWS limit are cut
deterministically and end in a short hash of the full name, so two long names that differ only past the cut
stay different. A preview is the same label with the attribute `pr-<N>`.

    label = Label(namespace="acme", environment="dev", name="web")
    label.id                           # "acme-dev-web"
    label.with_attributes("pr-42").id  # "acme-dev-web-pr-42"
    label.name_for("target_group")     # cut to 32 characters when longer
    label.name_for("target_group", replace_on={"port": 8080, "vpcId": "vpc-1"})   # "acme-dev-web-<6 hex>"

`replace_on` takes the inputs AWS sets only at creation (`ecsdelivery.replace_only`): their short hash ends the
name, so an edit that makes the engine replace the resource also gives the replacement a new name, and the
create-before-delete replacement never collides with the resource it replaces.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

MANAGED_BY = "ecsdelivery"

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
}

HASH_LENGTH = 6
_INVALID = re.compile(r"[^a-z0-9-]+")
_PR_ATTRIBUTE = re.compile(r"pr-([0-9]+)")


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
            match = _PR_ATTRIBUTE.fullmatch(attribute)
            if match:
                return int(match.group(1))
        return None

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
