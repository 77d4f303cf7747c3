"""`up bootstrap --for ENV` end to end: our CLI -> real `pulumi.automation` -> the CLI double in tests/fake_pulumi,
with STS and IAM answered by a moto server; and the rendered documents accepted by moto's IAM, S3 and KMS."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError

from ecsdelivery.bootstrap import resolve_bootstrap, synthesize_bootstrap
from ecsdelivery.cli import main
from ecsdelivery.driver import workspace
from ecsdelivery.driver.aws import AwsAccess
from ecsdelivery.synth.mocks import EcsMocks

sys.path.insert(0, str(Path(__file__).parent))
from fake_pulumi import FakePulumiCommand, FakeState

ROOT = Path(__file__).resolve().parent.parent
MOTO_ACCOUNT = "123456789012"  # the account moto's STS answers with
PROVIDER_URL = "https://token.actions.githubusercontent.com"


def _remove_providers(endpoint: str) -> None:
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint)
    for provider in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider["Arn"])


@pytest.fixture
def moto(fake_aws: None, moto_server: str) -> Iterator[str]:
    """The shared moto server, with no OIDC provider before and after the test (moto's state is per process)."""
    _remove_providers(moto_server)
    yield moto_server
    _remove_providers(moto_server)


def write_stacks(root: Path, accounts: dict[str, str] | None = None, github: Any = None) -> None:
    stacks = root / "stacks"
    shutil.copytree(ROOT / "stacks", stacks)
    for path in stacks.rglob("*.yaml"):
        text = path.read_text()
        for old, new in (accounts or {}).items():
            text = text.replace(f'"{old}"', f'"{new}"')
        path.write_text(text)
    if github is not None:
        defaults = stacks / "catalog" / "defaults.yaml"
        data = yaml.safe_load(defaults.read_text())
        data["github"] = github
        defaults.write_text(yaml.safe_dump(data))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moto: str) -> FakeState:
    """The stack files in tmp_path, the CLI double with EcsMocks as its engine, STS and IAM from moto."""
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "PULUMI_BACKEND_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CI", "true")
    state = FakeState(mocks_factory=lambda: EcsMocks(region="us-east-1", account_id=MOTO_ACCOUNT))
    monkeypatch.setattr(workspace.HOOKS, "pulumi_command", lambda: FakePulumiCommand(state))
    monkeypatch.setattr(workspace.HOOKS, "aws", lambda endpoint: AwsAccess(moto))
    return state


def types_of(state: FakeState, stack: str) -> list[str]:
    return sorted(r["type"] for r in state.stacks[stack].resources.values())


def test_up_bootstrap_deploys_the_roles_and_prints_the_variables(
    project: FakeState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_stacks(tmp_path, {"222222222222": MOTO_ACCOUNT})
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "out.txt"))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    assert main(["up", "bootstrap", "--for", "dev", "--yes"]) == 0
    types = types_of(project, "bootstrap-dev")
    assert types.count("aws:iam/role:Role") == 2
    assert "aws:iam/openIdConnectProvider:OpenIdConnectProvider" in types
    out = capsys.readouterr().out
    dev = f"arn:aws:iam::{MOTO_ACCOUNT}:role/acme-web-dev"
    assert f"gh variable set AWS_ROLE_DEV --body {dev} --repo acme/web" in out
    assert f"gh variable set AWS_ROLE_PREVIEW --body arn:aws:iam::{MOTO_ACCOUNT}:role/acme-web-preview" in out
    assert f"AWS_ROLE_DEV={dev}" in (tmp_path / "out.txt").read_text().splitlines()
    summary = (tmp_path / "summary.md").read_text()
    assert "### Bootstrapped `bootstrap-dev`" in summary and f"| `AWS_ROLE_DEV` | `{dev}` |" in summary


def test_an_existing_provider_is_referenced_not_created(
    project: FakeState, tmp_path: Path, moto: str, capsys: pytest.CaptureFixture[str]
) -> None:
    write_stacks(tmp_path, {"222222222222": MOTO_ACCOUNT})
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=moto)
    iam.create_open_id_connect_provider(Url=PROVIDER_URL, ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40])
    assert main(["up", "bootstrap", "--for", "dev", "--yes"]) == 0
    assert "aws:iam/openIdConnectProvider:OpenIdConnectProvider" not in types_of(project, "bootstrap-dev")
    assert "referencing it" in capsys.readouterr().out
    outputs = project.stacks["bootstrap-dev"].outputs
    assert (
        outputs["oidcProviderArn"] == f"arn:aws:iam::{MOTO_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
    )


def test_a_provider_this_stack_created_stays_managed_on_the_next_run(
    project: FakeState, tmp_path: Path, moto: str
) -> None:
    write_stacks(tmp_path, {"222222222222": MOTO_ACCOUNT})
    assert main(["up", "bootstrap", "--for", "dev", "--yes"]) == 0
    # the real engine would have created it in the account now
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=moto)
    iam.create_open_id_connect_provider(Url=PROVIDER_URL, ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40])
    assert main(["up", "bootstrap", "--for", "dev", "--yes"]) == 0
    assert "aws:iam/openIdConnectProvider:OpenIdConnectProvider" in types_of(project, "bootstrap-dev")


@pytest.mark.parametrize(
    ("accounts", "github", "args", "code", "message"),
    [
        ({}, None, ("--for", "dev"), 2, f"account {MOTO_ACCOUNT}, which no stack file lists"),
        ({"333333333333": MOTO_ACCOUNT}, None, ("--for", "dev"), 4, f"account {MOTO_ACCOUNT} (staging)"),
        ({"222222222222": MOTO_ACCOUNT}, {"owner": "acme", "repository": "we b"}, ("--for", "dev"), 2, "'we b'"),
        ({"222222222222": MOTO_ACCOUNT}, None, ("--for", "preview"), 2, "previews share dev's account"),
        ({"222222222222": MOTO_ACCOUNT}, None, (), 2, "up bootstrap needs --for ENV"),
    ],
)
def test_bad_input_is_one_line_and_creates_nothing(
    project: FakeState,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    accounts: dict[str, str],
    github: Any,
    args: tuple[str, ...],
    code: int,
    message: str,
) -> None:
    write_stacks(tmp_path, accounts, github)
    assert main(["up", "bootstrap", *args, "--yes"]) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert project.stacks == {}
    assert not any(call[:1] == ["up"] for call in project.calls)


def test_bootstrap_without_yes_in_ci_is_refused(project: FakeState, tmp_path: Path) -> None:
    write_stacks(tmp_path, {"222222222222": MOTO_ACCOUNT})
    assert main(["up", "bootstrap", "--for", "dev"]) == 2
    assert project.stacks == {}


# --- what the program renders, as moto's IAM, S3 and KMS take it ----------------------------------------------


def test_moto_accepts_the_rendered_roles_policies_bucket_and_key(moto: str) -> None:
    plan = resolve_bootstrap("shared", stacks_dir=ROOT / "stacks")
    result = synthesize_bootstrap(plan)
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=moto)
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=moto)
    kms = boto3.client("kms", region_name="us-east-1", endpoint_url=moto)

    def inputs(type_: str) -> list[dict[str, Any]]:
        return [r["inputs"] for r in result.of_type(type_)]

    (provider,) = inputs("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    iam.create_open_id_connect_provider(Url=provider["url"], ClientIDList=provider["clientIdLists"])
    for role in inputs("aws:iam/role:Role"):
        iam.create_role(RoleName=role["name"], AssumeRolePolicyDocument=role["assumeRolePolicy"])
        for policy in inputs("aws:iam/policy:Policy"):
            created = iam.create_policy(PolicyName=policy["name"], PolicyDocument=policy["policy"])
            iam.attach_role_policy(RoleName=role["name"], PolicyArn=created["Policy"]["Arn"])
    attached = iam.list_attached_role_policies(RoleName="acme-web-build")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["acme-web-build-0"]

    (key,) = inputs("aws:kms/key:Key")
    key_arn = kms.create_key(Policy=key["policy"], Description=key["description"])["KeyMetadata"]["Arn"]
    (alias,) = inputs("aws:kms/alias:Alias")
    kms.create_alias(AliasName=alias["name"], TargetKeyId=key_arn)
    kms.enable_key_rotation(KeyId=key_arn)
    assert kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"]

    (bucket,) = inputs("aws:s3/bucket:Bucket")
    name = bucket["bucket"]
    s3.create_bucket(Bucket=name)
    (block,) = inputs("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    configuration = {
        k[0].upper() + k[1:]: block[k]
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    }
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=configuration)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    (meta,) = inputs("aws:s3/bucketObjectv2:BucketObjectv2")
    s3.put_object(Bucket=name, Key=meta["key"], Body=meta["content"].encode())
    assert s3.get_object(Bucket=name, Key=".pulumi/meta.yaml")["Body"].read() == b"version: 1\n"
    (policy,) = inputs("aws:s3/bucketPolicy:BucketPolicy")
    s3.put_bucket_policy(Bucket=name, Policy=policy["policy"])
    (lifecycle,) = inputs("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    rule = lifecycle["rules"][0]
    s3.put_bucket_lifecycle_configuration(
        Bucket=name,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": rule["id"],
                    "Status": rule["status"],
                    "Filter": {},
                    "NoncurrentVersionExpiration": {
                        "NoncurrentDays": rule["noncurrentVersionExpiration"]["noncurrentDays"]
                    },
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                }
            ]
        },
    )
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    stored = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
    assert stored["Statement"][0]["Sid"] == "TlsOnly"
    # moto evaluates bucket policies: over its plain-HTTP endpoint the TLS-only statement now refuses reads
    with pytest.raises(ClientError, match=r"Forbidden|AccessDenied"):
        s3.get_object(Bucket=name, Key=".pulumi/meta.yaml")


def test_aws_access_finds_the_provider_in_moto(moto: str) -> None:
    access = AwsAccess(moto)
    assert access.oidc_provider_exists("us-east-1", PROVIDER_URL) is False
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=moto)
    iam.create_open_id_connect_provider(Url=PROVIDER_URL, ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40])
    assert access.oidc_provider_exists("us-east-1", PROVIDER_URL) is True
    assert AwsAccess("http://127.0.0.1:9").oidc_provider_exists("us-east-1", PROVIDER_URL) is None


def test_local_bootstrap_points_the_provider_at_the_emulator_for_iam_s3_kms_and_sts(
    project: FakeState, tmp_path: Path
) -> None:
    write_stacks(tmp_path)  # the real accounts: --local checks no credentials
    assert main(["up", "bootstrap", "--for", "shared", "--yes", "--local"]) == 0
    config = project.stacks["bootstrap-shared"].config
    endpoints = {key.rsplit(".", 1)[1] for key in config if key.startswith("aws:endpoints[0].")}
    assert {"iam", "s3", "kms", "sts"} <= endpoints
    assert len({config[f"aws:endpoints[0].{key}"] for key in ("iam", "s3", "kms")}) == 1
    assert "aws:s3/bucket:Bucket" in types_of(project, "bootstrap-shared")


def test_the_shared_account_prints_backend_secrets_provider_and_build_role(
    project: FakeState, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_stacks(tmp_path, {"111111111111": MOTO_ACCOUNT})
    assert main(["up", "bootstrap", "--for", "shared", "--yes"]) == 0
    out = capsys.readouterr().out
    bucket = f"acme-web-pulumi-state-{MOTO_ACCOUNT}"
    assert f"gh variable set AWS_ROLE_BUILD --body arn:aws:iam::{MOTO_ACCOUNT}:role/acme-web-build" in out
    assert f"gh variable set PULUMI_BACKEND_URL --body 's3://{bucket}?region=us-east-1'" in out
    assert "gh variable set ECR_REPOSITORY --body acme/web" in out
    provider = next(line for line in out.splitlines() if "PULUMI_SECRETS_PROVIDER" in line)
    assert f"awskms://arn:aws:kms:us-east-1:{MOTO_ACCOUNT}:key/" in provider
    assert "stack files: set state.backend_url to" in out
    types = types_of(project, "bootstrap-shared")
    assert "aws:kms/key:Key" in types and "aws:s3/bucketPolicy:BucketPolicy" in types
