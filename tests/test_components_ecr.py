"""EcrRepository under the recording mocks."""

from __future__ import annotations

import json

from components_support import LABEL, policy, run

from ecsdelivery.components.ecr import EcrRepository, EcrRepositoryArgs


def test_repository_is_immutable_scanned_encrypted_with_lifecycle() -> None:
    recording = run(lambda: EcrRepository("app", EcrRepositoryArgs(label=LABEL.with_attributes("images"))))
    assert [(r["type"], r["name"]) for r in recording.children_of("app")] == [
        ("aws:ecr/lifecyclePolicy:LifecyclePolicy", "app-lifecycle"),
        ("aws:ecr/repository:Repository", "app-repo"),
    ]
    assert recording.named("app")["type"] == "ecsdelivery:index:EcrRepository"
    repo = recording.named("app-repo")["inputs"]
    assert repo["name"] == "acme-dev-web-images"
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo["encryptionConfigurations"] == [{"encryptionType": "AES256"}]
    assert repo["forceDelete"] is False
    assert repo["tags"]["ManagedBy"] == "ecsdelivery"
    lifecycle = json.loads(recording.named("app-lifecycle")["inputs"]["policy"])
    assert [r["rulePriority"] for r in lifecycle["rules"]] == [1, 2, 3]
    assert recording.named("app-lifecycle")["inputs"]["repository"] == "acme-dev-web-images"


def test_kms_and_cross_account_pull() -> None:
    args = EcrRepositoryArgs(
        label=LABEL, name="acme/web", kms_key_arn="arn:aws:kms:us-east-1:1:key/k", pull_account_ids=["210987654321"]
    )
    recording = run(lambda: EcrRepository("app", args))
    repo = recording.named("app-repo")["inputs"]
    assert repo["name"] == "acme/web"
    assert repo["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": "arn:aws:kms:us-east-1:1:key/k"}]
    (statement,) = policy(recording.named("app-pull"))["Statement"]
    assert statement["Principal"] == {"AWS": ["arn:aws:iam::210987654321:root"]}
    assert not any(action.startswith(("ecr:Put", "ecr:Delete")) for action in statement["Action"])


def test_outputs() -> None:
    import pulumi

    def program() -> None:
        repo = EcrRepository("app", EcrRepositoryArgs(label=LABEL))
        pulumi.export("url", repo.repository_url)
        pulumi.export("arn", repo.repository_arn)
        pulumi.export("name", repo.repository_name)

    outputs = run(program).outputs
    assert outputs == {
        "url": "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-dev-web",
        "arn": "arn:aws:ecr:us-east-1:123456789012:repository/acme-dev-web",
        "name": "acme-dev-web",
    }
