"""LogEncryptionKey: a customer-managed KMS key for a stack's log groups."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ecsdelivery.components import _policies
from ecsdelivery.components._common import child, to_json
from ecsdelivery.naming import Label


@dataclass(frozen=True)
class LogEncryptionKeyArgs:
    """Arguments of `LogEncryptionKey`.

    Attributes:
        label: names and tags; the alias is `alias/<label id>-logs`.
        deletion_window_days: days a deleted key can still be restored, 7-30; default 30.
        alarm_prefix: when the key also encrypts the stack's alarm topic (`AlarmTopic`), the name prefix of the
            alarms that publish to it; CloudWatch may then use the key for those alarms only. Default None.
    """

    label: Label
    deletion_window_days: int = 30
    alarm_prefix: str | None = None


class LogEncryptionKey(pulumi.ComponentResource):
    """A symmetric KMS key, rotated yearly, that CloudWatch Logs may use for this account's log groups in the
    region (and nothing else may, beyond the account's own IAM grants); with an alias.

    Children: `<name>-key`, `<name>-alias`. Pass `key_arn` as `LoggingArgs(kms_key_arn=...)`.

        key = LogEncryptionKey("logs", LogEncryptionKeyArgs(label=Label("acme", "prod", "web")))
    """

    key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: LogEncryptionKeyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsdelivery:index:LogEncryptionKey", name, None, opts)
        if not 7 <= args.deletion_window_days <= 30:
            raise ValueError(f"deletion_window_days {args.deletion_window_days} is outside 7-30")
        label = args.label.with_attributes("logs")
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        region = aws.get_region_output(opts=invoke).region
        partition = aws.get_partition_output(opts=invoke).partition
        policy = pulumi.Output.all(account, region, partition).apply(
            lambda parts: _policies.log_key_policy(
                account_id=parts[0], region=parts[1], partition=parts[2], alarm_prefix=args.alarm_prefix
            )
        )
        key = aws.kms.Key(
            f"{name}-key",
            description=f"Encrypts the log groups of {args.label.id}",
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_days,
            policy=to_json(policy),
            tags=label.tags,
            opts=child(self),
        )
        aws.kms.Alias(f"{name}-alias", name=f"alias/{label.id}", target_key_id=key.key_id, opts=child(self))
        self.key_arn = key.arn
        self.register_outputs({"keyArn": self.key_arn})


__all__ = ["LogEncryptionKey", "LogEncryptionKeyArgs"]
