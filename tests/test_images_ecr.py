"""ECR tag operations against a moto server on 127.0.0.1: resolve, retag, index copy, immutability, errors."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from typing import Any

import pytest

from ecsdelivery.errors import MissingRequirementError
from ecsdelivery.images import (
    DOCKER_MANIFEST_V2,
    OCI_INDEX,
    ImmutableTagError,
    ecr_client,
    resolve_digest,
    tag_image,
)

pytestmark = pytest.mark.usefixtures("fake_aws")


def _manifest(seed: str) -> str:
    """A docker v2 manifest whose layer digests are unique to `seed` (moto derives digests from layers)."""
    layer = hashlib.sha256(seed.encode()).hexdigest()
    config = hashlib.sha256(f"config-{seed}".encode()).hexdigest()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST_V2,
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 7,
                "digest": f"sha256:{config}",
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 9,
                    "digest": f"sha256:{layer}",
                }
            ],
        }
    )


def _index(*children: str) -> str:
    """An OCI index over two platforms: no layers of its own, so moto gives it an arbitrary digest."""
    platforms = [("amd64", "linux"), ("arm64", "linux")]
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "size": 500,
                    "digest": child,
                    "platform": {"architecture": arch, "os": os_name},
                }
                for child, (arch, os_name) in zip(children, platforms, strict=True)
            ],
        }
    )


@pytest.fixture
def ecr(moto_server: str) -> Any:
    return ecr_client(region="us-east-1", endpoint=moto_server)


def _repo(ecr: Any, mutability: str = "MUTABLE") -> str:
    name = f"app-{uuid.uuid4().hex[:8]}"
    ecr.create_repository(repositoryName=name, imageTagMutability=mutability)
    return name


def _push(ecr: Any, repo: str, tag: str, manifest: str, media_type: str = DOCKER_MANIFEST_V2) -> str:
    image = ecr.put_image(repositoryName=repo, imageTag=tag, imageManifest=manifest, imageManifestMediaType=media_type)
    return image["image"]["imageId"]["imageDigest"]


def _tags_of(ecr: Any, repo: str, digest: str) -> set[str]:
    details = ecr.describe_images(repositoryName=repo, imageIds=[{"imageDigest": digest}])["imageDetails"]
    return set(details[0].get("imageTags", []))


def test_resolve_tag_to_digest(ecr: Any) -> None:
    repo = _repo(ecr)
    first = _push(ecr, repo, "sha-1", _manifest("one"))
    second = _push(ecr, repo, "sha-2", _manifest("two"))
    assert first != second
    assert resolve_digest(ecr, repo, "sha-1") == first
    assert resolve_digest(ecr, repo, "sha-2") == second
    # A full ECR URL names the same repository (moto's account is 123456789012).
    url = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{repo}"
    assert resolve_digest(ecr, url, "sha-2") == second
    # A digest resolves to itself without a call.
    assert resolve_digest(ecr, repo, second) == second


def test_resolve_missing_tag_and_repository_exit_4(ecr: Any) -> None:
    repo = _repo(ecr)
    with pytest.raises(MissingRequirementError) as info:
        resolve_digest(ecr, repo, "nope")
    assert info.value.exit_code == 4
    with pytest.raises(MissingRequirementError):
        resolve_digest(ecr, "no-such-repo", "v1")


def test_tag_by_digest_and_by_tag_copies_manifest(ecr: Any) -> None:
    repo = _repo(ecr)
    digest = _push(ecr, repo, "sha-1", _manifest("retag"))
    assert tag_image(ecr, repo, digest, "v1.0.0") == digest
    assert tag_image(ecr, repo, "sha-1", "v1.0.1") == digest
    assert _tags_of(ecr, repo, digest) == {"sha-1", "v1.0.0", "v1.0.1"}
    assert resolve_digest(ecr, repo, "v1.0.1") == digest


def test_tag_is_idempotent(ecr: Any) -> None:
    repo = _repo(ecr, "IMMUTABLE")
    digest = _push(ecr, repo, "sha-1", _manifest("idem"))
    assert tag_image(ecr, repo, digest, "v2.0.0") == digest
    # moto (like ECR) rejects a PutImage that changes nothing; the second call must not even try.
    assert tag_image(ecr, repo, digest, "v2.0.0") == digest
    assert tag_image(ecr, repo, "sha-1", "sha-1") == digest


def test_mutable_tag_moves(ecr: Any) -> None:
    repo = _repo(ecr)
    old = _push(ecr, repo, "latest", _manifest("old"))
    ecr.put_image(repositoryName=repo, imageTag="sha-old", imageManifest=_manifest("old"))
    new = _push(ecr, repo, "sha-new", _manifest("new"))
    assert tag_image(ecr, repo, new, "latest") == new
    assert resolve_digest(ecr, repo, "latest") == new
    assert "latest" not in _tags_of(ecr, repo, old)


def test_immutable_tag_is_never_moved(ecr: Any) -> None:
    repo = _repo(ecr, "IMMUTABLE")
    released = _push(ecr, repo, "v1.0.0", _manifest("released"))
    other = _push(ecr, repo, "sha-other", _manifest("other"))
    with pytest.raises(ImmutableTagError) as info:
        tag_image(ecr, repo, other, "v1.0.0")
    message = str(info.value)
    assert info.value.exit_code == 2
    assert "immutable" in message and released in message and other in message
    assert resolve_digest(ecr, repo, "v1.0.0") == released


def test_multi_arch_index_is_copied_intact(ecr: Any) -> None:
    repo = _repo(ecr)
    amd = _push(ecr, repo, "sha-1-amd64", _manifest("amd64"))
    arm = _push(ecr, repo, "sha-1-arm64", _manifest("arm64"))
    index = _index(amd, arm)
    digest = _push(ecr, repo, "sha-1", index, OCI_INDEX)
    assert tag_image(ecr, repo, "sha-1", "v3.0.0") == digest
    copied = ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v3.0.0"}])["images"][0]
    assert copied["imageId"]["imageDigest"] == digest
    assert copied["imageManifestMediaType"] == OCI_INDEX
    assert json.loads(copied["imageManifest"]) == json.loads(index)


def test_tag_missing_image_or_repository_exit_4(ecr: Any) -> None:
    repo = _repo(ecr)
    with pytest.raises(MissingRequirementError, match="not found"):
        tag_image(ecr, repo, "sha-missing", "v1")
    with pytest.raises(MissingRequirementError, match="cannot"):
        tag_image(ecr, "no-such-repo", "sha-1", "v1")


def test_no_credentials_exit_4(monkeypatch: pytest.MonkeyPatch, moto_server: str) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    client = ecr_client(region="us-east-1", endpoint=moto_server)
    with pytest.raises(MissingRequirementError, match="credentials"):
        resolve_digest(client, "app", "v1")


def test_no_region_exit_4(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    with pytest.raises(MissingRequirementError, match="region"):
        ecr_client()


def _cli(*args: str, endpoint: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecsdelivery", "image", *args, "--endpoint", endpoint],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )


def test_cli_resolve_and_tag(ecr: Any, moto_server: str) -> None:
    repo = _repo(ecr, "IMMUTABLE")
    digest = _push(ecr, repo, "sha-cli", _manifest("cli"))
    other = _push(ecr, repo, "sha-other", _manifest("cli-other"))
    url = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{repo}"

    done = _cli("resolve", url, "sha-cli", endpoint=moto_server)
    assert (done.returncode, done.stdout.strip()) == (0, digest), done.stderr

    done = _cli("tag", repo, digest, "v9.9.9", endpoint=moto_server)
    assert (done.returncode, done.stdout.strip()) == (0, digest), done.stderr
    assert resolve_digest(ecr, repo, "v9.9.9") == digest

    done = _cli("tag", repo, other, "v9.9.9", endpoint=moto_server)
    assert done.returncode == 2
    assert done.stderr.startswith("ecsdelivery: error: tag ") and "immutable" in done.stderr
    assert "Traceback" not in done.stderr

    done = _cli("resolve", repo, "missing", endpoint=moto_server)
    assert done.returncode == 4
    assert done.stderr.startswith("ecsdelivery: error: cannot resolve")

    done = _cli("resolve", f"{repo}:v1", "v1", endpoint=moto_server)
    assert done.returncode == 2
