"""Prod's edge and rollback resources, replayed against a moto server and read back.

What `synth prod` renders is sent as the create calls the provider makes (`tests/moto_replay.py`), in dependency
order, to a moto server on 127.0.0.1; the tests then read the resources back through the AWS API and check
what they do: the rollback alarms read both target groups and notify the topic, the weighted listener rule sends
100/0, the access-log bucket refuses plain HTTP, the web ACL guards the load balancer, the log key lets CloudWatch
Logs (and the alarms) use it, the topic is encrypted and admits only the stack's alarms; dev's rolling service
alarms on its one target group.

What moto 5.2.5 does not emulate, and so is checked elsewhere (tests/test_alarm_topic.py, the payload checks):

- `AttachRolePolicy` of the AWS managed `AmazonECSInfrastructureRolePolicyForLoadBalancers`: moto's list of
  AWS managed policies lacks it (NoSuchEntity), so the infrastructure role is created and read back without it;
- resource policies are stored, never enforced (bucket, key and topic policies are judged by
  `ecsdelivery.iam.evaluate` on what moto returns);
- alarm evaluation, WAF rule evaluation and ECS moving listener-rule weights: moto stores the settings only;
- subscription confirmation: moto confirms e-mail and HTTPS subscriptions at once (SNS waits for the endpoint).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecsdelivery.iam import Request, evaluate
from ecsdelivery.synth.api_requests import api_request
from tests.moto_replay import Replay, record_synth

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto.server")

ROOT = Path(__file__).resolve().parents[1]
IMAGE = "111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web@sha256:" + "ab" * 32
PROD_ACCOUNT, MOTO_ACCOUNT = "444444444444", "123456789012"
#: The order the engine creates them in (each type's inputs come from the types before it).
ORDER = (
    "aws:kms/key:Key",
    "aws:kms/alias:Alias",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:lb/targetGroup:TargetGroup",
    "aws:lb/listener:Listener",
    "aws:lb/listenerRule:ListenerRule",
    "aws:wafv2/webAcl:WebAcl",
    "aws:wafv2/webAclAssociation:WebAclAssociation",
    "aws:iam/role:Role",
    "aws:sns/topic:Topic",
    "aws:sns/topicPolicy:TopicPolicy",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
)


def _certificate_pem() -> tuple[bytes, bytes]:
    """A self-signed certificate for the HTTPS listener (moto's ACM parses what it imports)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "example.com")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), private


def _seed_platform(replay: Replay, result: Any) -> None:
    """What the replay does not create itself: the awsx VPC (a remote component) and the imported certificate."""
    ec2, acm = replay.client("ec2"), replay.client("acm")
    (vpc,) = [r for r in result.resources if r["type"] == "awsx:ec2:Vpc"]
    mocked = replay.answered[vpc["name"]]
    real_vpc = ec2.create_vpc(CidrBlock=vpc["inputs"]["cidrBlock"])["Vpc"]["VpcId"]
    replay.swaps[mocked["vpcId"]] = real_vpc
    zones = [f"us-east-1{letter}" for letter in "abcdef"]
    subnets = [*mocked["publicSubnetIds"], *mocked["privateSubnetIds"]]
    for index, subnet in enumerate(subnets):
        zone = zones[index % len(mocked["publicSubnetIds"])]
        block = f"{vpc['inputs']['cidrBlock'].rsplit('.', 2)[0]}.{index}.0/24"
        replay.swaps[subnet] = ec2.create_subnet(VpcId=real_vpc, CidrBlock=block, AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
    placeholder = result.resolved.config.platform.certificate_arn
    if placeholder is not None:
        certificate, private_key = _certificate_pem()
        imported = acm.import_certificate(Certificate=certificate, PrivateKey=private_key)
        replay.swaps[placeholder] = imported["CertificateArn"]


@pytest.fixture(scope="module")
def prod() -> Iterator[tuple[Replay, dict[str, dict]]]:
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as patch:
        for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
            patch.setenv(name, value)
        result, answered = record_synth(patch, "prod", image=IMAGE, stacks_dir=str(ROOT / "stacks"))
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:

            def client(service: str) -> Any:
                return boto3.client(service, endpoint_url=f"http://{host}:{port}", region_name="us-east-1")

            replay = Replay(client, answered, late_swaps={PROD_ACCOUNT: MOTO_ACCOUNT})
            _seed_platform(replay, result)
            by_name = {r["name"]: r for r in result.resources}
            for type_ in ORDER:
                for resource in (r for r in result.resources if r["type"] == type_):
                    replay.create(resource)
            yield replay, by_name
        finally:
            server.stop()


def test_every_prod_resource_of_the_edge_was_replayed(prod: tuple[Replay, dict[str, dict]]) -> None:
    replay, by_name = prod
    replayed = {by_name[name]["type"] for name in replay.real}
    # Every type of ORDER that prod renders went through moto, and only the attachment was left out.
    left = {r["type"] for r in by_name.values() if api_request(r["type"], {}) is not None} - replayed
    assert left == {"aws:iam/rolePolicyAttachment:RolePolicyAttachment"}


def test_alarms_read_both_target_groups_and_notify_the_topic(prod: tuple[Replay, dict[str, dict]]) -> None:
    replay, _ = prod
    topic = replay.real["alarms-topic"]["arn"]
    groups = {replay.real[name]["arnSuffix"] for name in ("web-service-tg", "web-service-tg-alt")}
    alarms = replay.client("cloudwatch").describe_alarms(AlarmNamePrefix="acme-prod-web-")["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in alarms) == [
        "acme-prod-web-5xx",
        "acme-prod-web-latency",
        "acme-prod-web-unhealthy",
    ]
    for alarm in alarms:
        assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic]
        metrics = [m for m in alarm["Metrics"] if "MetricStat" in m]
        read = {
            d["Value"] for m in metrics for d in m["MetricStat"]["Metric"]["Dimensions"] if d["Name"] == "TargetGroup"
        }
        assert read == groups, alarm["AlarmName"]
        (returned,) = [m for m in alarm["Metrics"] if m.get("ReturnData")]
        assert returned["Expression"].startswith("MAX([")


def test_the_production_rule_forwards_all_traffic_to_the_primary_group(prod: tuple[Replay, dict[str, dict]]) -> None:
    replay, _ = prod
    elbv2 = replay.client("elbv2")
    (rule,) = elbv2.describe_rules(RuleArns=[replay.real["web-service-rule"]["arn"]])["Rules"]
    (action,) = rule["Actions"]
    weights = {g["TargetGroupArn"]: g["Weight"] for g in action["ForwardConfig"]["TargetGroups"]}
    assert weights == {replay.real["web-service-tg"]["arn"]: 100, replay.real["web-service-tg-alt"]["arn"]: 0}
    groups = elbv2.describe_target_groups(TargetGroupArns=list(weights))["TargetGroups"]
    checks = {(g["HealthCheckPath"], g["HealthCheckIntervalSeconds"], g["HealthyThresholdCount"]) for g in groups}
    assert checks == {("/healthz", 10, 3)}  # the alternate group checks health exactly as the primary does


ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


def _s3(policy: dict, principal: str, action: str, resource: str, *, tls: bool = True) -> bool:
    """Would S3 let `principal` (whose own policies allow all of S3) do `action` under the bucket `policy`?"""
    request = Request(
        principal, action, resource, resource_account=MOTO_ACCOUNT, context={"aws:SecureTransport": str(tls).lower()}
    )
    return evaluate(request, [ALLOW_ALL], policy).allowed


def test_access_log_bucket_takes_only_log_delivery_over_tls(prod: tuple[Replay, dict[str, dict]]) -> None:
    replay, _ = prod
    s3, bucket = replay.client("s3"), "acme-prod-web-alb-logs"
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    logs = f"arn:aws:s3:::{bucket}/alb/AWSLogs/{MOTO_ACCOUNT}/elasticloadbalancing/x.log.gz"
    # us-east-1's load balancers deliver their logs as Elastic Load Balancing's account there.
    delivery = "arn:aws:iam::127311923021:root"
    assert _s3(policy, delivery, "s3:PutObject", logs)
    assert not _s3(policy, delivery, "s3:PutObject", logs, tls=False)
    assert not _s3(policy, delivery, "s3:PutObject", f"arn:aws:s3:::{bucket}/other.gz")
    assert not _s3(policy, delivery, "s3:GetObject", logs)
    reader = f"arn:aws:iam::{MOTO_ACCOUNT}:role/reader"
    assert _s3(policy, reader, "s3:GetObject", logs)
    assert not _s3(policy, reader, "s3:GetObject", logs, tls=False)
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert (rule["Status"], rule["Expiration"]["Days"]) == ("Enabled", 90)
    (encryption,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert encryption["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    attributes = replay.client("elbv2").describe_load_balancer_attributes(
        LoadBalancerArn=replay.real["platform-alb"]["arn"]
    )
    values = {a["Key"]: a["Value"] for a in attributes["Attributes"]}
    assert (values["access_logs.s3.enabled"], values["access_logs.s3.bucket"]) == ("true", bucket)


def test_the_web_acl_guards_the_load_balancer(prod: tuple[Replay, dict[str, dict]]) -> None:
    replay, _ = prod
    acl = replay.client("wafv2").get_web_acl_for_resource(ResourceArn=replay.real["platform-alb"]["arn"])["WebACL"]
    assert acl["ARN"] == replay.real["platform-waf"]["arn"] and acl["DefaultAction"] == {"Allow": {}}
    groups = [r["Statement"]["ManagedRuleGroupStatement"]["Name"] for r in acl["Rules"]]
    assert groups == [
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    ]
    assert all(r["OverrideAction"] == {"None": {}} for r in acl["Rules"])


def test_the_log_key_serves_cloudwatch_logs_and_the_alarms_only(prod: tuple[Replay, dict[str, dict]]) -> None:
    replay, _ = prod
    kms, key = replay.client("kms"), replay.real["logs-key"]["keyId"]
    policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    group = f"arn:aws:logs:us-east-1:{MOTO_ACCOUNT}:log-group:/ecs/acme-prod-web"
    logs = "logs.us-east-1.amazonaws.com"
    context = {"kms:EncryptionContext:aws:logs:arn": group}
    assert evaluate(Request(logs, "kms:GenerateDataKey", "*", context=context), [], policy).allowed
    foreign = {"kms:EncryptionContext:aws:logs:arn": group.replace(MOTO_ACCOUNT, "999999999999")}
    assert not evaluate(Request(logs, "kms:Decrypt", "*", context=foreign), [], policy).allowed
    alarm = {
        "aws:SourceAccount": MOTO_ACCOUNT,
        "aws:SourceArn": f"arn:aws:cloudwatch:us-east-1:{MOTO_ACCOUNT}:alarm:acme-prod-web-5xx",
    }
    assert evaluate(Request("cloudwatch.amazonaws.com", "kms:GenerateDataKey", "*", context=alarm), [], policy).allowed
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases(KeyId=key)["Aliases"]}
    assert aliases == {"alias/acme-prod-web-logs": key}
    (group_info,) = replay.client("logs").describe_log_groups(logGroupNamePrefix="/ecs/acme-prod-web")["logGroups"]
    assert group_info["kmsKeyId"] == replay.real["logs-key"]["arn"]


def test_the_infrastructure_role_is_for_ecs_alone(prod: tuple[Replay, dict[str, dict]]) -> None:
    replay, by_name = prod
    name = by_name["web-service-ecs-lb-role"]["inputs"]["name"]
    role = replay.client("iam").get_role(RoleName=name)["Role"]
    trust = role["AssumeRolePolicyDocument"]
    ecs = evaluate(Request("ecs.amazonaws.com", "sts:AssumeRole", role["Arn"]), [], trust)
    tasks = evaluate(Request("ecs-tasks.amazonaws.com", "sts:AssumeRole", role["Arn"]), [], trust)
    assert ecs.allowed and not tasks.allowed


def test_the_alarm_topic_is_encrypted_and_takes_only_the_stacks_alarms(prod: tuple[Replay, dict[str, dict]]) -> None:
    replay, _ = prod
    topic = replay.real["alarms-topic"]["arn"]
    attributes = replay.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["KmsMasterKeyId"] == replay.real["logs-key"]["arn"]
    policy = json.loads(attributes["Policy"])
    source = f"arn:aws:cloudwatch:us-east-1:{MOTO_ACCOUNT}:alarm:acme-prod-web-latency"
    context = {"aws:SourceAccount": MOTO_ACCOUNT, "aws:SourceArn": source, "aws:SecureTransport": "true"}
    assert evaluate(Request("cloudwatch.amazonaws.com", "sns:Publish", topic, context=context), [], policy).allowed
    plain = {**context, "aws:SecureTransport": "false"}
    assert not evaluate(Request("cloudwatch.amazonaws.com", "sns:Publish", topic, context=plain), [], policy).allowed


def test_subscriptions_reach_the_topic(
    prod: tuple[Replay, dict[str, dict]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.config_helpers import write_stacks

    body = (
        "import: [catalog/base.yaml]\nnamespace: subs\nlog_encryption: true\n"
        "alarm_topic: {create: true, email: [oncall@example.com], https: ['https://hooks.example.com/alarms']}\n"
    )
    stacks = write_stacks(tmp_path, {"env.yaml": body})
    result, answered = record_synth(monkeypatch, "env", image=IMAGE, stacks_dir=str(stacks))
    replay = Replay(prod[0].client, answered, late_swaps={"222222222222": MOTO_ACCOUNT})
    wanted = ("aws:kms/key:Key", "aws:sns/topic:Topic", "aws:sns/topicPolicy:TopicPolicy")
    for type_ in (*wanted, "aws:sns/topicSubscription:TopicSubscription"):
        for resource in (r for r in result.resources if r["type"] == type_):
            replay.create(resource)
    topic = replay.real["alarms-topic"]["arn"]
    listed = replay.client("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert sorted((s["Protocol"], s["Endpoint"]) for s in listed) == [
        ("email", "oncall@example.com"),
        ("https", "https://hooks.example.com/alarms"),
    ]
    for subscription in listed:
        attributes = replay.client("sns").get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])
        assert attributes["Attributes"]["TopicArn"] == topic


def test_a_rolling_service_alarms_on_its_one_target_group(
    prod: tuple[Replay, dict[str, dict]], monkeypatch: pytest.MonkeyPatch
) -> None:
    result, answered = record_synth(monkeypatch, "dev", image=IMAGE, stacks_dir=str(ROOT / "stacks"))
    replay = Replay(prod[0].client, answered, late_swaps={"222222222222": MOTO_ACCOUNT})
    _seed_platform(replay, result)
    kinds = (
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:lb/targetGroup:TargetGroup",
    )
    for type_ in (*kinds, "aws:cloudwatch/metricAlarm:MetricAlarm"):
        for resource in (r for r in result.resources if r["type"] == type_):
            replay.create(resource)
    group = replay.real["web-service-tg"]["arnSuffix"]
    alarms = replay.client("cloudwatch").describe_alarms(AlarmNamePrefix="acme-dev-web-")["MetricAlarms"]
    assert len(alarms) == 3
    for alarm in alarms:
        read = {
            d["Value"] for m in alarm["Metrics"] if "MetricStat" in m for d in m["MetricStat"]["Metric"]["Dimensions"]
        }
        assert read == {group, replay.real["platform-alb"]["arnSuffix"]}, alarm["AlarmName"]
        assert not any("MAX(" in m.get("Expression", "") for m in alarm["Metrics"])
        assert alarm["AlarmActions"] == [] and alarm["OKActions"] == []  # dev has no alarm topic
