"""The bootstrap program under Pulumi's mocks, and `synth bootstrap --for ENV` as a process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ecsdelivery.bootstrap import resolve_bootstrap, synthesize_bootstrap
from ecsdelivery.components.bootstrap import policy_documents, policy_size

ROOT = Path(__file__).resolve().parent.parent
STACKS = ROOT / "stacks"


def inputs_of(result, type_: str) -> list[dict]:
    return [r["inputs"] for r in result.of_type(type_)]


def test_the_shared_account_gets_provider_build_role_bucket_and_key() -> None:
    result = synthesize_bootstrap(resolve_bootstrap("shared", stacks_dir=STACKS))
    (provider,) = inputs_of(result, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider["url"] == "https://token.actions.githubusercontent.com"
    assert provider["clientIdLists"] == ["sts.amazonaws.com"]
    (role,) = inputs_of(result, "aws:iam/role:Role")
    assert role["name"] == "acme-web-build"
    trust = json.loads(role["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {
        "Federated": "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
    }
    assert trust["Condition"]["StringEquals"] == {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
    (bucket,) = inputs_of(result, "aws:s3/bucket:Bucket")
    assert bucket["bucket"] == "acme-web-pulumi-state-111111111111"
    (block,) = inputs_of(result, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    (versioning,) = inputs_of(result, "aws:s3/bucketVersioning:BucketVersioning")
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    (encryption,) = inputs_of(
        result, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    (key,) = result.of_type("aws:kms/key:Key")
    rule = encryption["rules"][0]["applyServerSideEncryptionByDefault"]
    assert rule["sseAlgorithm"] == "aws:kms" and rule["kmsMasterKeyId"].startswith(
        "arn:aws:kms:us-east-1:111111111111:key/"
    )
    assert key["inputs"]["enableKeyRotation"] is True
    assert result.options["state-bucket"]["protect"] and result.options["state-key"]["protect"]
    (lifecycle,) = inputs_of(result, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert lifecycle["rules"][0]["noncurrentVersionExpiration"] == {"noncurrentDays": 90}
    (policy,) = inputs_of(result, "aws:s3/bucketPolicy:BucketPolicy")
    tls = json.loads(policy["policy"])["Statement"][0]
    assert tls["Effect"] == "Deny" and tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert result.outputs["backendUrl"] == "s3://acme-web-pulumi-state-111111111111?region=us-east-1"
    assert result.outputs["secretsProvider"].startswith("awskms://arn:aws:kms:us-east-1:111111111111:key/")


def test_the_dev_account_gets_dev_and_preview_roles_with_their_policies_attached() -> None:
    plan = resolve_bootstrap("dev", stacks_dir=STACKS)
    result = synthesize_bootstrap(plan)
    assert not result.of_type("aws:s3/bucket:Bucket")
    roles = {r["inputs"]["name"]: r for r in result.of_type("aws:iam/role:Role")}
    assert set(roles) == {"acme-web-dev", "acme-web-preview"}
    subjects = json.loads(roles["acme-web-preview"]["inputs"]["assumeRolePolicy"])["Statement"][0]["Condition"]
    assert subjects["StringEquals"]["token.actions.githubusercontent.com:sub"] == ["repo:acme/web:environment:preview"]
    policies = {p["inputs"]["name"]: json.loads(p["inputs"]["policy"]) for p in result.of_type("aws:iam/policy:Policy")}
    rendered = [s for name, doc in policies.items() if name.startswith("acme-web-dev-") for s in doc["Statement"]]
    assert rendered == [dict(s) for s in next(r for r in plan.roles if r.key == "dev").statements]
    attachments = result.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert len(attachments) == len(policies)
    assert all(policy_size(doc) <= 6144 for doc in policies.values())


def test_policy_documents_split_in_order_under_the_limit() -> None:
    statements = [
        {"Sid": f"S{i}", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["x" * 50]} for i in range(40)
    ]
    documents = policy_documents(statements, limit=1000)
    assert [s for d in documents for s in d["Statement"]] == statements
    assert all(policy_size(d) <= 1000 for d in documents) and len(documents) > 1
    with pytest.raises(ValueError, match="alone exceeds"):
        policy_documents([{"Sid": "Big", "Resource": "y" * 2000}], limit=1000)


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "ecsdelivery", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_synth_bootstrap_json_has_the_synth_shape() -> None:
    done = run("synth", "bootstrap", "--for", "prod", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert set(document) == {"stack", "resources", "outputs"}
    assert document["stack"] == "bootstrap-prod"
    assert document["outputs"]["roles"] == {"prod": "arn:aws:iam::444444444444:role/acme-web-prod"}


@pytest.mark.parametrize(
    ("github", "args", "message"),
    [
        ({"owner": "acme", "repository": "web"}, ("--for", "qa"), "bootstrap --for 'qa': no stack file"),
        ({"owner": "ac me", "repository": "web"}, ("--for", "dev"), "is not a GitHub user or organisation name"),
        ({"owner": "acme", "repository": "web/x"}, ("--for", "dev"), "is not a GitHub repository name"),
        ({"owner": "acme", "repository": "web"}, (), "synth bootstrap needs --for ENV"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, github: dict, args: tuple[str, ...], message: str) -> None:
    stacks = tmp_path / "stacks"
    shutil.copytree(STACKS, stacks)
    defaults = stacks / "catalog" / "defaults.yaml"
    data = yaml.safe_load(defaults.read_text())
    data["github"] = github
    defaults.write_text(yaml.safe_dump(data))
    done = run("synth", "bootstrap", *args, "--stacks-dir", str(stacks))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr
    assert done.stdout == ""


def test_users_compose_the_bootstrap_components_in_their_own_program() -> None:
    import ecsdelivery as ecs
    from ecsdelivery.synth.mocks import EcsMocks, run_program

    def program() -> None:
        label = ecs.Label("acme", "bootstrap", "api")
        provider = ecs.GithubOidcProvider(
            "github", ecs.GithubOidcProviderArgs(label=label, create=False, account="555555555555")
        )
        ecs.GithubDeployRole(
            "deployer",
            ecs.GithubDeployRoleArgs(
                label=label,
                name="acme-api-deployer",
                provider_arn=provider.arn,
                subjects=["repo:acme/api:environment:prod"],
                statements=[
                    {
                        "Effect": "Allow",
                        "Action": ["ecs:UpdateService"],
                        "Resource": ["arn:aws:ecs:*:555555555555:service/acme-*"],
                    }
                ],
            ),
        )
        ecs.StateBackend(
            "state",
            ecs.StateBackendArgs(
                label=label, account="555555555555", bucket="acme-api-state", key_alias="alias/acme-api"
            ),
        )

    recording = run_program(program, project="user", stack="prod", mocks=EcsMocks(account_id="555555555555"))
    by_name = {r["name"]: r for r in recording.resources}
    assert "github-provider" not in by_name  # referenced, not created
    trust = json.loads(by_name["deployer-role"]["inputs"]["assumeRolePolicy"])["Statement"][0]
    assert (
        trust["Principal"]["Federated"] == "arn:aws:iam::555555555555:oidc-provider/token.actions.githubusercontent.com"
    )
    assert by_name["deployer-policy-0"]["parent"] == "deployer"
    assert (
        by_name["state-bucket"]["parent"] == "state" and by_name["state-bucket"]["inputs"]["bucket"] == "acme-api-state"
    )
    with pytest.raises(ValueError, match="must name one repository"):
        from ecsdelivery.components.bootstrap import github_trust_policy

        github_trust_policy("arn:aws:iam::1:oidc-provider/x", ["repo:acme/*:environment:prod"])
