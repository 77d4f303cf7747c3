"""Image references: every form the workflows and the driver pass, and one-line errors for bad ones."""

from __future__ import annotations

import pytest

from ecsdelivery import images
from ecsdelivery.errors import UsageError
from ecsdelivery.images import ImageRef, is_digest, parse_image_ref

DIGEST = "sha256:" + "ab" * 32
ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("app", ImageRef("app")),
        ("app:v1.4.0", ImageRef("app", tag="v1.4.0")),
        (f"app@{DIGEST}", ImageRef("app", digest=DIGEST)),
        (f"app:sha-abc1234@{DIGEST}", ImageRef("app", tag="sha-abc1234", digest=DIGEST)),
        ("team/app:latest", ImageRef("team/app", tag="latest")),
        (f"{ECR}/app", ImageRef("app", registry=ECR)),
        (f"{ECR}/team/app:sha-1", ImageRef("team/app", registry=ECR, tag="sha-1")),
        (f"{ECR}/app@{DIGEST}", ImageRef("app", registry=ECR, digest=DIGEST)),
        ("localhost:5000/app:dev", ImageRef("app", registry="localhost:5000", tag="dev")),
        ("localhost/app", ImageRef("app", registry="localhost")),
    ],
)
def test_parse_forms(text: str, expected: ImageRef) -> None:
    ref = parse_image_ref(text)
    assert ref == expected
    assert str(ref) == text


def test_ecr_host_gives_account_and_region() -> None:
    ref = parse_image_ref(f"{ECR}/app:v1")
    assert (ref.is_ecr, ref.account_id, ref.region) == (True, "123456789012", "eu-west-1")
    assert ref.repository_url == f"{ECR}/app"
    china = parse_image_ref("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app")
    assert china.region == "cn-north-1"


def test_non_ecr_registry_has_no_account() -> None:
    ref = parse_image_ref("ghcr.io/org/app:v1")
    assert (ref.is_ecr, ref.account_id, ref.region, ref.repository) == (False, None, None, "org/app")


def test_with_digest_drops_tag() -> None:
    ref = parse_image_ref(f"{ECR}/app:sha-1").with_digest(DIGEST)
    assert str(ref) == f"{ECR}/app@{DIGEST}"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("app@sha256:short", "bad digest"),
        (f"app@md5:{'a' * 64}", "bad digest"),
        ("App:v1", "bad repository"),
        ("-app:v1", "bad repository"),
        ("team//app", "bad repository"),
        ("app:-v1", "bad tag"),
        ("app:" + "x" * 129, "bad tag"),
        ("app::v1", "bad"),
    ],
)
def test_bad_references_raise_usage_errors(text: str, fragment: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_image_ref(text)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_is_digest() -> None:
    assert is_digest(DIGEST)
    assert not is_digest("sha256:" + "AB" * 32)
    assert not is_digest("v1.0.0")
    with pytest.raises(UsageError):
        ImageRef("app").with_digest("v1")


@pytest.mark.parametrize(
    ("source", "image_id"),
    [
        ("sha-abc1234", {"imageTag": "sha-abc1234"}),
        ("v1.4.0", {"imageTag": "v1.4.0"}),
        ("sha256:" + "a" * 64, {"imageDigest": "sha256:" + "a" * 64}),
    ],
)
def test_image_id_of_a_tag_or_a_digest(source: str, image_id: dict[str, str]) -> None:
    assert images.image_id(source) == image_id


@pytest.mark.parametrize("source", ["x@sha256:zz", "sha256:zz", "bad tag", "", "-v1", "repo:tag"])
def test_image_id_refuses_anything_else(source: str) -> None:
    with pytest.raises(UsageError, match=r"give a tag .* or a digest"):
        images.image_id(source)


@pytest.mark.parametrize(("region", "endpoint"), [("us east", None), ("us-east-1", "notaurl")])
def test_a_malformed_region_or_endpoint_is_a_usage_error(region: str, endpoint: str | None) -> None:
    with pytest.raises(UsageError, match="cannot make an ECR client"):
        images.ecr_client(region=region, endpoint=endpoint)
