"""Image references and ECR tag operations that move manifests, never layers.

Promotion deploys digests. Adding a release tag copies the image's manifest with `BatchGetImage` and writes it
back under the new tag with `PutImage`: a few kilobytes whatever the image's size, no docker daemon, and a
multi-arch index keeps its media type (and so its digest) because `imageManifestMediaType` is passed through.

Example::

    from ecsdelivery.images import ecr_client, parse_image_ref, resolve_digest, tag_image

    ref = parse_image_ref("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:sha-abc1234")
    client = ecr_client(region=ref.region)
    digest = resolve_digest(client, ref.repository_url, ref.tag)
    tag_image(client, ref.repository_url, digest, "v1.4.0")

boto3 is imported only by `ecr_client`, so importing this module stays cheap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ecsdelivery.errors import EcsDeliveryError, MissingRequirementError, UsageError
from ecsdelivery.facts import is_digest

#: Manifest media types asked for and copied. Without `acceptedMediaTypes` ECR may convert an OCI manifest or
#: refuse a manifest list; naming all four returns each image exactly as it was pushed.
DOCKER_MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
ACCEPTED_MEDIA_TYPES = (DOCKER_MANIFEST_V2, DOCKER_MANIFEST_LIST, OCI_MANIFEST, OCI_INDEX)

_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_REPOSITORY = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*")
_ECR_HOST = re.compile(r"(?P<account>[0-9]{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?")

# Error codes that mean "the caller's AWS credentials are missing, wrong or expired".
_CREDENTIAL_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "ExpiredTokenException",
        "ExpiredToken",
        "InvalidClientTokenId",
        "AccessDeniedException",
        "AccessDenied",
    }
)


class ImmutableTagError(UsageError):
    """The tag already names another image in a repository whose tags are immutable (exit 2)."""


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference: `[registry/]repository[:tag][@digest]`.

    `registry` is None for a bare repository name. For ECR registries `account_id` and `region` come from the
    host name (`<account>.dkr.ecr.<region>.amazonaws.com`).
    """

    repository: str
    registry: str | None = None
    tag: str | None = None
    digest: str | None = None

    @property
    def is_ecr(self) -> bool:
        """True when the registry is an ECR private registry host."""
        return self.registry is not None and _ECR_HOST.fullmatch(self.registry) is not None

    @property
    def account_id(self) -> str | None:
        """The registry's AWS account, for ECR hosts."""
        match = _ECR_HOST.fullmatch(self.registry or "")
        return match["account"] if match else None

    @property
    def region(self) -> str | None:
        """The registry's AWS region, for ECR hosts."""
        match = _ECR_HOST.fullmatch(self.registry or "")
        return match["region"] if match else None

    @property
    def repository_url(self) -> str:
        """`registry/repository` (or just the repository when no registry was given)."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    def with_digest(self, digest: str) -> ImageRef:
        """The same repository pinned to `digest` (the tag is dropped: a digest reference is exact)."""
        if not is_digest(digest):
            raise UsageError(f"not an image digest: {digest!r} (expected sha256: and 64 hex digits)")
        return ImageRef(repository=self.repository, registry=self.registry, digest=digest)

    def __str__(self) -> str:
        text = self.repository_url
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def parse_image_ref(ref: str) -> ImageRef:
    """Parse `repo`, `repo:tag`, `repo@sha256:...`, `repo:tag@sha256:...`, with or without a registry host.

    A first path component is a registry when it contains a dot or a colon or is `localhost` (docker's rule).
    Raises `UsageError` (exit 2) with one line naming what is wrong.

    >>> parse_image_ref("123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1").region
    'us-east-1'
    """
    text = ref.strip()
    if not text:
        raise UsageError("empty image reference")
    rest, digest = text, None
    if "@" in rest:
        rest, digest = rest.split("@", 1)
        if not is_digest(digest):
            raise UsageError(f"bad digest in image reference {ref!r}: expected sha256: and 64 lowercase hex digits")
    registry = None
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, rest = first, remainder
    tag = None
    name, colon, maybe_tag = rest.rpartition(":")
    if colon:
        rest, tag = name, maybe_tag
        if not _TAG.fullmatch(tag):
            raise UsageError(f"bad tag {tag!r} in image reference {ref!r}: use letters, digits, '_', '.', '-'")
    if not _REPOSITORY.fullmatch(rest):
        raise UsageError(
            f"bad repository name {rest!r} in image reference {ref!r}: "
            "use lowercase letters, digits, '.', '_', '-', '/'"
        )
    return ImageRef(repository=rest, registry=registry, tag=tag, digest=digest)


def ecr_client(region: str | None = None, endpoint: str | None = None) -> Any:
    """A boto3 ECR client. `endpoint` points it at an emulator; `AWS_ENDPOINT_URL_ECR` works too (botocore).

    Raises `MissingRequirementError` (exit 4) when no region is configured, `UsageError` (exit 2) for a
    malformed region or endpoint URL.
    """
    import boto3
    from botocore.exceptions import NoRegionError

    try:
        # A fresh session per client: boto3's default session caches credentials for the whole process.
        return boto3.session.Session().client("ecr", region_name=region, endpoint_url=endpoint)
    except NoRegionError as err:
        raise MissingRequirementError(
            "no AWS region: pass --region, set AWS_REGION, or use a full ECR repository URL"
        ) from err
    except ValueError as err:  # botocore: "Invalid endpoint: ...", InvalidRegionError
        raise UsageError(f"cannot make an ECR client: {err} (check the region and the endpoint URL)") from None


def image_id(source: str) -> dict[str, str]:
    """ECR's `imageId` for a digest (`sha256:...`) or a tag; `UsageError` (exit 2) for anything else."""
    if is_digest(source):
        return {"imageDigest": source}
    if _TAG.fullmatch(source):
        return {"imageTag": source}
    raise UsageError(
        f"bad image {source!r}: give a tag (letters, digits, '_', '.', '-'; at most 128) "
        "or a digest (sha256: and 64 lowercase hex digits)"
    )


def check_tag(tag: str) -> str:
    """`tag` when ECR accepts it as a new tag; `UsageError` (exit 2) otherwise."""
    if not _TAG.fullmatch(tag):
        raise UsageError(f"bad tag {tag!r}: use letters, digits, '_', '.', '-' (at most 128)")
    return tag


def _target(repository: str) -> tuple[str, dict[str, str]]:
    """Repository name and the `registryId` argument for a repository given by name or by URL."""
    ref = parse_image_ref(repository)
    if ref.tag or ref.digest:
        raise UsageError(f"expected a repository without tag or digest, got {repository!r}")
    return ref.repository, ({"registryId": ref.account_id} if ref.account_id else {})


def _aws_error(err: Exception, what: str) -> EcsDeliveryError:
    """Map a botocore exception to the error a user should see."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError

    if isinstance(err, NoCredentialsError | PartialCredentialsError):
        return MissingRequirementError(
            f"{what}: no usable AWS credentials (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "or configure OIDC in CI)"
        )
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = str(error.get("Message", "")).strip()
        if code in ("RepositoryNotFoundException", "ImageNotFoundException"):
            return MissingRequirementError(f"{what}: {message or code}")
        if code in _CREDENTIAL_CODES:
            return MissingRequirementError(f"{what}: AWS refused the credentials ({code}: {message})")
        return EcsDeliveryError(f"{what}: {code}: {message}")
    if isinstance(err, BotoCoreError):
        return MissingRequirementError(f"{what}: {err}")
    return EcsDeliveryError(f"{what}: {err}")


def _call(client: Any, operation: str, what: str, **kwargs: Any) -> dict[str, Any]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return getattr(client, operation)(**kwargs)
    except (ClientError, BotoCoreError) as err:
        raise _aws_error(err, what) from err


def resolve_digest(ecr_client: Any, repository: str, tag: str) -> str:
    """The digest (`sha256:...`) that `tag` points to in `repository` (a name or an ECR URL).

    A digest is looked up too: it is returned only when the repository holds that image.

    Raises `MissingRequirementError` (exit 4) when the repository, the tag or the digest does not exist.
    """
    name, registry = _target(repository)
    what = f"cannot resolve {name}:{tag}"
    response = _call(ecr_client, "describe_images", what, repositoryName=name, imageIds=[image_id(tag)], **registry)
    details = response.get("imageDetails") or []
    if not details:
        raise MissingRequirementError(f"{what}: image not found")
    return str(details[0]["imageDigest"])


def _get_image(ecr_client: Any, name: str, registry: dict[str, str], image_id: dict[str, str]) -> dict[str, Any] | None:
    """BatchGetImage for one image id: the image (with manifest and media type) or None when absent."""
    label = image_id.get("imageDigest") or image_id.get("imageTag")
    response = _call(
        ecr_client,
        "batch_get_image",
        f"cannot read {name}:{label}",
        repositoryName=name,
        imageIds=[image_id],
        acceptedMediaTypes=list(ACCEPTED_MEDIA_TYPES),
        **registry,
    )
    images = response.get("images") or []
    return images[0] if images else None


def _tag_is_immutable(ecr_client: Any, name: str, registry: dict[str, str], tag: str) -> bool:
    """Whether the repository refuses to move `tag` (IMMUTABLE, or IMMUTABLE_WITH_EXCLUSION not excluding it)."""
    response = _call(ecr_client, "describe_repositories", f"cannot describe {name}", repositoryNames=[name], **registry)
    repo = (response.get("repositories") or [{}])[0]
    mutability = str(repo.get("imageTagMutability", "MUTABLE"))
    filters = [str(f.get("filter", "")) for f in repo.get("imageTagMutabilityExclusionFilters") or []]
    excluded = any(_wildcard(pattern).fullmatch(tag) for pattern in filters)
    if mutability == "IMMUTABLE_WITH_EXCLUSION":
        return not excluded
    if mutability == "MUTABLE_WITH_EXCLUSION":
        return excluded
    return mutability == "IMMUTABLE"


def _wildcard(pattern: str) -> re.Pattern[str]:
    """ECR exclusion filters use `*` wildcards."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


def tag_image(ecr_client: Any, repository: str, source: str, new_tag: str) -> str:
    """Add `new_tag` to the image `source` (a digest or a tag) in `repository`; returns the image's digest.

    The manifest is copied through the ECR API with its media type, so docker v2, OCI manifests and multi-arch
    indexes keep their digest. Idempotent: when `new_tag` already names this digest nothing is written.
    Raises `ImmutableTagError` (exit 2) when `new_tag` names another image and the repository's tags are
    immutable, `MissingRequirementError` (exit 4) when the repository or source image does not exist or the
    AWS credentials are unusable.
    """
    check_tag(new_tag)
    name, registry = _target(repository)
    image = _get_image(ecr_client, name, registry, image_id(source))
    if image is None:
        raise MissingRequirementError(f"cannot tag {name}: image {source} not found")
    digest = str(image["imageId"]["imageDigest"])

    current = _get_image(ecr_client, name, registry, {"imageTag": new_tag})
    if current is not None:
        current_digest = str(current["imageId"]["imageDigest"])
        if current_digest == digest:
            return digest
        if _tag_is_immutable(ecr_client, name, registry, new_tag):
            raise _immutable(name, new_tag, current_digest, digest)

    from botocore.exceptions import BotoCoreError, ClientError

    kwargs: dict[str, Any] = {
        "repositoryName": name,
        "imageManifest": image["imageManifest"],
        "imageTag": new_tag,
        # ECR checks the copied manifest hashes to this digest: a tag can never land on a different image.
        "imageDigest": digest,
        **registry,
    }
    if image.get("imageManifestMediaType"):
        kwargs["imageManifestMediaType"] = image["imageManifestMediaType"]
    try:
        ecr_client.put_image(**kwargs)
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code")
        if code == "ImageAlreadyExistsException":
            # Raced with another writer that added the same tag to the same image: the outcome we wanted.
            return digest
        if code == "ImageTagAlreadyExistsException":
            raise _immutable(name, new_tag, "another image", digest) from err
        raise _aws_error(err, f"cannot tag {name}@{digest} as {new_tag}") from err
    except BotoCoreError as err:
        raise _aws_error(err, f"cannot tag {name}@{digest} as {new_tag}") from err
    return digest


def _immutable(name: str, tag: str, current: str, wanted: str) -> ImmutableTagError:
    return ImmutableTagError(
        f"tag {name}:{tag} already points to {current} and the repository's tags are immutable; "
        f"refusing to move it to {wanted} (choose a new tag)"
    )
