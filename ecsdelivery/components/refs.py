"""`PlatformRef`: what a service needs from the platform it runs on, however the platform was made."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi


@dataclass
class PlatformRef:
    """The shared platform a service joins: from `Platform.ref()`, a `StackReference`, or existing ids.

    Attributes:
        vpc_id: the VPC.
        private_subnet_ids: subnets the tasks run in (no public IPs are ever assigned).
        cluster_arn: the ECS cluster's ARN.
        cluster_name: the ECS cluster's name.
        listener_arn: the listener services add rules to (HTTPS, or HTTP when the platform has no certificate).
        alb_security_group_id: the load balancer's security group; the only source tasks accept traffic from.
        alb_dns_name: the load balancer's DNS name (alias target, and the URL when there is no host).
        alb_zone_id: the load balancer's hosted zone id (alias target).
        protocol: "https" or "http": the scheme of service URLs; default "https".
        alb_arn_suffix: `app/<name>/<id>` for request-count scaling; default None: derived from `listener_arn`.
        standby_listener_arn: the platform's standby listener (`Platform` makes one), where a service keeps a rule
            for its target group so that a replaced group and service take traffic only once healthy; default
            None: no standby rule, and a replaced target group takes traffic before its tasks are healthy.
    """

    vpc_id: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    cluster_arn: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    listener_arn: pulumi.Input[str]
    alb_security_group_id: pulumi.Input[str]
    alb_dns_name: pulumi.Input[str]
    alb_zone_id: pulumi.Input[str]
    protocol: pulumi.Input[str] = "https"
    alb_arn_suffix: pulumi.Input[str] | None = None
    standby_listener_arn: pulumi.Input[str] | None = None

    @classmethod
    def from_stack_reference(cls, ref: pulumi.StackReference, *, standby: bool = False) -> PlatformRef:
        """Read the platform outputs (vpcId, privateSubnetIds, clusterArn, ..., protocol) another stack exports;
        with `standby`, also `standbyListenerArn` (a stack whose `Platform` this version created exports it)."""

        def get(key: str) -> pulumi.Output:
            return ref.require_output(key)

        return cls(
            vpc_id=get("vpcId"),
            private_subnet_ids=get("privateSubnetIds"),
            cluster_arn=get("clusterArn"),
            cluster_name=get("clusterName"),
            listener_arn=get("listenerArn"),
            alb_security_group_id=get("albSecurityGroupId"),
            alb_dns_name=get("albDnsName"),
            alb_zone_id=get("albZoneId"),
            protocol=get("protocol"),
            standby_listener_arn=get("standbyListenerArn") if standby else None,
        )
