"""AlarmTopic: the SNS topic a stack's rollback alarms notify, encrypted, with optional subscriptions."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ecsdelivery.components import _policies
from ecsdelivery.components._common import child, to_json
from ecsdelivery.naming import Label


@dataclass(frozen=True)
class AlarmTopicArgs:
    """Arguments of `AlarmTopic`.

    Attributes:
        label: names and tags; the topic is `<label id>-alarms`.
        kms_key_arn: the customer-managed key that encrypts the topic; its policy must let CloudWatch use it for
            these alarms (`LogEncryptionKeyArgs.alarm_prefix`). The AWS-managed `alias/aws/sns` key would not:
            CloudWatch cannot publish to a topic under it.
        alarm_prefix: name prefix of the alarms that may publish; default `<label id>-`.
        email: e-mail addresses to subscribe; default none.
        https: HTTPS endpoints to subscribe; default none.
    """

    label: Label
    kms_key_arn: pulumi.Input[str]
    alarm_prefix: str | None = None
    email: Sequence[str] = ()
    https: Sequence[str] = ()

    @property
    def source_prefix(self) -> str:
        """The alarm-name prefix the topic and key admit."""
        return self.alarm_prefix if self.alarm_prefix is not None else f"{self.label.id}-"


def subscription_name(name: str, protocol: str, endpoint: str) -> str:
    """`<name>-<protocol>-<hash of the endpoint>`: a subscription keeps its logical name when others come and go."""
    return f"{name}-{protocol}-{hashlib.sha256(endpoint.encode()).hexdigest()[:8]}"


class AlarmTopic(pulumi.ComponentResource):
    """An SNS topic only this account's alarms (named with the prefix) may publish to, over TLS only, encrypted
    with a customer-managed key; plus e-mail and HTTPS subscriptions.

    Children: `<name>-topic`, `<name>-policy`, `<name>-email-<hash>`, `<name>-https-<hash>`.

        topic = AlarmTopic("alarms", AlarmTopicArgs(label=Label("acme", "prod", "web"), kms_key_arn=key.key_arn))
    """

    topic_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlarmTopicArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsdelivery:index:AlarmTopic", name, None, opts)
        label = args.label.with_attributes("alarms")
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region
        partition = aws.get_partition_output(opts=invoke).partition
        topic = aws.sns.Topic(
            f"{name}-topic",
            name=label.name_for("sns_topic"),
            kms_master_key_id=args.kms_key_arn,
            tags=label.tags,
            opts=child(self),
        )
        policy = pulumi.Output.all(topic.arn, account, region, partition).apply(
            lambda parts: _policies.alarm_topic_policy(
                topic_arn=parts[0],
                account_id=parts[1],
                source_arn=_policies.alarm_source_arn(
                    account_id=parts[1], region=parts[2], partition=parts[3], alarm_prefix=args.source_prefix
                ),
            )
        )
        aws.sns.TopicPolicy(f"{name}-policy", arn=topic.arn, policy=to_json(policy), opts=child(self))
        for protocol, endpoints in (("email", args.email), ("https", args.https)):
            for endpoint in endpoints:
                aws.sns.TopicSubscription(
                    subscription_name(name, protocol, endpoint),
                    topic=topic.arn,
                    protocol=protocol,
                    endpoint=endpoint,
                    opts=child(self),
                )
        self.topic_arn = topic.arn
        self.register_outputs({"topicArn": self.topic_arn})


__all__ = ["AlarmTopic", "AlarmTopicArgs", "subscription_name"]
