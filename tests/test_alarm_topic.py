"""The stack's alarm topic: stack-file checks, what prod synthesises, who may publish, payload checks, cost."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from ecsdelivery.components.alarm_topic import subscription_name
from ecsdelivery.config import load_stack
from ecsdelivery.errors import ConfigError
from ecsdelivery.iam import Request, evaluate
from ecsdelivery.reports.cost import estimate
from ecsdelivery.synth import synthesize
from ecsdelivery.synth.awsshapes import check_resource
from tests.config_helpers import write_stacks

ROOT = Path(__file__).resolve().parents[1]
IMAGE = "111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web@sha256:" + "ab" * 32
ACCOUNT = "444444444444"
ALARM = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:acme-prod-web-5xx"
CLOUDWATCH = "cloudwatch.amazonaws.com"


def _of(resources: list[dict], type_: str) -> list[dict]:
    return [r for r in resources if r["type"] == type_]


@pytest.fixture(scope="module")
def prod() -> list[dict]:
    return synthesize("prod", image=IMAGE, stacks_dir=str(ROOT / "stacks")).resources


def _problems(tmp_path: Path, body: str) -> list[str]:
    stacks = write_stacks(tmp_path, {"env.yaml": "import: [catalog/base.yaml]\n" + textwrap.dedent(body)})
    with pytest.raises(ConfigError) as info:
        load_stack("env", stacks_dir=stacks)
    return info.value.problems


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "log_encryption: true\nalarm_topic: {create: true, email: [oncall]}\n",
            "stacks/env.yaml:3: alarm_topic.email[0]: 'oncall' is not an e-mail address",
        ),
        (
            "log_encryption: true\nalarm_topic: {create: true, https: ['http://hooks.example.com/a']}\n",
            "stacks/env.yaml:3: alarm_topic.https[0]: 'http://hooks.example.com/a' is not an https:// URL with a host",
        ),
        (
            "log_encryption: true\nalarm_topic: {create: true, email: [a@example.com, a@example.com]}\n",
            "stacks/env.yaml:3: alarm_topic.email[1]: 'a@example.com' is listed twice",
        ),
        (
            "alarm_topic: {email: [a@example.com]}\n",
            "stacks/env.yaml:2: alarm_topic.email: subscriptions need a topic; set alarm_topic.create: true",
        ),
        (
            "alarm_topic: {create: true}\n",
            "stacks/env.yaml:2: alarm_topic.create: the topic is encrypted with the stack's KMS key and "
            "log_encryption is off; set log_encryption: true (CloudWatch alarms cannot publish to a topic under the "
            "AWS-managed alias/aws/sns key)",
        ),
        (
            """\
            log_encryption: true
            alarm_topic: {create: true}
            services:
              web:
                deployment:
                  alarms: {notification_topic_arn: "arn:aws:sns:us-east-1:222222222222:oncall"}
            """,
            "stacks/env.yaml:7: services.web.deployment.alarms.notification_topic_arn: alarm_topic.create is true, so "
            "the alarms notify the stack's topic; remove one of the two",
        ),
    ],
    ids=["bad-email", "plain-http", "duplicate", "subscription-without-topic", "no-key", "arn-and-create"],
)
def test_bad_alarm_topic_settings_are_one_line_naming_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _problems(tmp_path, body) == [expected]


def test_no_topic_where_no_alarm_could_notify_it(tmp_path: Path) -> None:
    worker = """\
    log_encryption: true
    alarm_topic: {create: true}
    services:
      web:
        containers: [{name: web}]
        routing: null
    """
    stacks = write_stacks(tmp_path, {"env.yaml": "import: [catalog/base.yaml]\n" + textwrap.dedent(worker)})
    assert load_stack("env", stacks_dir=stacks).alarm_topic.create is False


def test_prod_alarms_notify_the_stacks_encrypted_topic(prod: list[dict]) -> None:
    (topic,) = _of(prod, "aws:sns/topic:Topic")
    assert topic["inputs"]["name"] == "acme-prod-web-alarms"
    # The key of the log groups, not the AWS-managed alias/aws/sns (which admits no CloudWatch).
    log_keys = {g["inputs"]["kmsKeyId"] for g in _of(prod, "aws:cloudwatch/logGroup:LogGroup")}
    assert log_keys == {topic["inputs"]["kmsMasterKeyId"]}
    assert topic["inputs"]["kmsMasterKeyId"].startswith(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/")
    arn = f"arn:aws:sns:us-east-1:{ACCOUNT}:acme-prod-web-alarms"
    alarms = _of(prod, "aws:cloudwatch/metricAlarm:MetricAlarm")
    assert len(alarms) == 3
    for alarm in alarms:
        assert alarm["inputs"]["alarmActions"] == [arn] and alarm["inputs"]["okActions"] == [arn]
    assert synthesize("prod", image=IMAGE, stacks_dir=str(ROOT / "stacks")).outputs["alarmTopicArn"] == arn


def _publish(principal: str, source: str, *, tls: bool = True) -> Request:
    context = {"aws:SourceAccount": source.split(":")[4], "aws:SourceArn": source}
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:acme-prod-web-alarms"
    return Request(principal, "sns:Publish", topic, context={**context, "aws:SecureTransport": str(tls).lower()})


def test_only_this_accounts_alarms_may_publish_and_only_over_tls(prod: list[dict]) -> None:
    (policy,) = _of(prod, "aws:sns/topicPolicy:TopicPolicy")
    document = json.loads(policy["inputs"]["policy"])
    assert evaluate(_publish(CLOUDWATCH, ALARM), [], document).allowed
    assert not evaluate(_publish(CLOUDWATCH, ALARM, tls=False), [], document).allowed
    assert not evaluate(_publish(CLOUDWATCH, ALARM.replace(ACCOUNT, "999999999999")), [], document).allowed
    other_stack = ALARM.replace("acme-prod-web-5xx", "acme-prod-shop-5xx")
    assert not evaluate(_publish(CLOUDWATCH, other_stack), [], document).allowed
    assert not evaluate(_publish("events.amazonaws.com", ALARM), [], document).allowed


def test_the_log_key_lets_cloudwatch_encrypt_for_these_alarms_only(prod: list[dict]) -> None:
    (key,) = _of(prod, "aws:kms/key:Key")
    document = json.loads(key["inputs"]["policy"])
    context = {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": ALARM}
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert evaluate(Request(CLOUDWATCH, action, "*", context=context), [], document).allowed
    assert not evaluate(Request(CLOUDWATCH, "kms:Encrypt", "*", context=context), [], document).allowed
    foreign = {"aws:SourceAccount": "999999999999", "aws:SourceArn": ALARM.replace(ACCOUNT, "999999999999")}
    assert not evaluate(Request(CLOUDWATCH, "kms:GenerateDataKey", "*", context=foreign), [], document).allowed


def test_dev_and_previews_have_no_topic() -> None:
    for env, pr in (("dev", None), ("preview", 7)):
        resources = synthesize(env, pr=pr, image=IMAGE, stacks_dir=str(ROOT / "stacks")).resources
        assert not _of(resources, "aws:sns/topic:Topic")


def test_payload_checks_refuse_what_sns_would() -> None:
    topic = {"name": "acme-prod-web-alarms", "kmsMasterKeyId": "alias/aws/sns"}
    assert check_resource("aws:sns/topic:Topic", "t", topic) == [
        "resources[t].Attributes.KmsMasterKeyId: CloudWatch alarms cannot publish to a topic under alias/aws/sns"
    ]
    assert check_resource("aws:sns/topic:Topic", "t", {"name": "has space"}) == [
        "resources[t].Name: 'has space' must be 1-256 letters, digits, hyphens or underscores"
    ]
    good = {"topic": "arn:aws:sns:us-east-1:1:t", "protocol": "email", "endpoint": "a@example.com"}
    assert check_resource("aws:sns/topicSubscription:TopicSubscription", "s", good) == []
    bad = {**good, "endpoint": "https://example.com"}
    assert check_resource("aws:sns/topicSubscription:TopicSubscription", "s", bad) == [
        "resources[s].Endpoint: 'https://example.com' is not an endpoint of protocol email"
    ]
    policy = {"arn": "arn:aws:sns:us-east-1:1:t", "policy": json.dumps({"Statement": []})}
    assert any("Version" in p for p in check_resource("aws:sns/topicPolicy:TopicPolicy", "p", policy))


def test_cost_counts_each_subscriptions_deliveries(tmp_path: Path) -> None:
    body = """\
    log_encryption: true
    alarm_topic: {create: true, email: [a@example.com, b@example.com], https: ['https://hooks.example.com/x']}
    """
    stacks = write_stacks(tmp_path, {"env.yaml": "import: [catalog/base.yaml]\n" + textwrap.dedent(body)})
    resources = synthesize("env", image=IMAGE, stacks_dir=str(stacks)).resources
    assert len(_of(resources, "aws:sns/topicSubscription:TopicSubscription")) == 3
    items = {i.kind: i for i in estimate(resources, region="us-east-1").items if i.kind.startswith("sns-")}
    # 100 notifications: 1e-4 million publishes at 0.50, 200 e-mails at 2.00 per 100k, 100 HTTPS at 0.60 per million.
    got = {kind: (item.quantity, item.unit, item.unit_price_usd) for kind, item in items.items()}
    assert got == {
        "sns-publishes": (1e-4, "million", 0.5),
        "sns-email": (2e-3, "100k e-mails", 2.0),
        "sns-https": (1e-4, "million", 0.6),
    }


def test_subscription_names_follow_the_endpoint_not_its_position() -> None:
    first = subscription_name("alarms", "email", "a@example.com")
    assert first == subscription_name("alarms", "email", "a@example.com")
    assert first.startswith("alarms-email-") and first != subscription_name("alarms", "email", "b@example.com")


def test_a_deploy_role_manages_its_own_subscriptions_only_as_far_as_sns_allows() -> None:
    from ecsdelivery.bootstrap.permissions import Scope, derive_statements

    scope = Scope(
        region="us-east-1",
        account=ACCOUNT,
        environment="prod",
        prefix="acme-prod-web",
        cluster="acme-prod-web",
        load_balancer="acme-prod-web",
    )
    types = {"aws:sns/topic:Topic", "aws:sns/topicSubscription:TopicSubscription"}
    policy = {"Version": "2012-10-17", "Statement": derive_statements(types, scope)}
    role = f"arn:aws:iam::{ACCOUNT}:role/acme-web-prod"
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:acme-prod-web-alarms"
    assert evaluate(Request(role, "sns:Subscribe", topic), [policy]).allowed
    assert not evaluate(Request(role, "sns:Subscribe", topic.replace("acme-prod-web", "other")), [policy]).allowed
    # SNS authorizes a subscription's own actions on no resource: IAM sees `*`.
    assert evaluate(Request(role, "sns:Unsubscribe", "*"), [policy]).allowed
    without = {"Version": "2012-10-17", "Statement": derive_statements({"aws:sns/topic:Topic"}, scope)}
    assert not evaluate(Request(role, "sns:Unsubscribe", "*"), [without]).allowed
