"""FargateService: an ECS service behind a rule on the platform's shared load balancer listener."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ecsdelivery.components import _policies
from ecsdelivery.components._common import child
from ecsdelivery.components.autoscaling import create_autoscaling
from ecsdelivery.components.deployment import (
    create_infrastructure_role,
    deployment_configuration,
    weighted_forward,
)
from ecsdelivery.components.refs import PlatformRef
from ecsdelivery.components.rollback_alarms import KINDS, alarm_name, create_rollback_alarms
from ecsdelivery.components.task_definition import FargateTaskDefinition
from ecsdelivery.naming import STANDBY_TAG, TEST_TAG, Label, service_url
from ecsdelivery.replace_only import hashed_inputs
from ecsdelivery.settings import AutoscalingArgs, CapacityArgs, DeploymentArgs

TARGET_PROTOCOL = "HTTP"
TARGET_TYPE = "ip"
# A target group's own port is only the default for targets registered without one. ECS registers each task
# under its container port and the health check uses the traffic port, so the group keeps one fixed port: a new
# container port is then an in-place service update (ECS moves the tasks, for every strategy) instead of a
# replaced group, which a traffic-shifting service cannot follow.
TARGET_GROUP_PORT = 80


@dataclass
class FargateServiceArgs:
    """Arguments of `FargateService`.

    The settings come in the groups of `ecsdelivery.settings` (the stack file's sections): `capacity`,
    `deployment` (with its `health_check`) and `autoscaling`, with the defaults decided there; the health-check
    and draining defaults hold the dev/preview rollout target of 15 s. For prod pass e.g.
    `DeploymentArgs(health_check=HealthCheckArgs(interval=10, healthy_threshold=3), deregistration_delay=30)`
    (60 s).

    Attributes:
        label: names and tags.
        platform: the shared VPC, cluster and listener (`Platform.ref()` or `PlatformRef.from_stack_reference`).
        task_definition: what to run; its first container with a port receives traffic.
        host: host header the listener rule matches, e.g. "api.example.com"; default None (paths only).
        path_patterns: path patterns the rule matches, e.g. ["/api/*"]; default none. With neither a host nor
            paths the service has no load balancer (a worker): no target group, listener rule or alias record,
            and its security group admits nothing.
        listener_rule_priority: unique priority on the listener (1-50000, lower wins); default 100.
        desired_count: tasks to run (initial count under autoscaling); default 1.
        capacity: the on-demand/Spot split; default `CapacityArgs()` (all on-demand).
        deployment: deployment, health check and draining; default `DeploymentArgs()`.
        autoscaling: target-tracking autoscaling; default None (fixed `desired_count`).
        wait_for_steady_state: `up` waits until the deployment is stable; default True.
        enable_execute_command: allow ECS Exec (the task definition must grant it too); default False.
        route53_zone_id: create an alias `host` -> load balancer in this zone; default None.
        egress_cidr: where tasks may connect (ECR, AWS APIs, databases); default "0.0.0.0/0".
    """

    label: Label
    platform: PlatformRef
    task_definition: FargateTaskDefinition
    host: pulumi.Input[str] | None = None
    path_patterns: Sequence[str] = field(default_factory=tuple)
    listener_rule_priority: pulumi.Input[int] = 100
    desired_count: int = 1
    capacity: CapacityArgs = field(default_factory=CapacityArgs)
    deployment: DeploymentArgs = field(default_factory=DeploymentArgs)
    autoscaling: AutoscalingArgs | None = None
    wait_for_steady_state: bool = True
    enable_execute_command: bool = False
    route53_zone_id: pulumi.Input[str] | None = None
    egress_cidr: str = "0.0.0.0/0"


def capacity_provider_strategy(capacity: CapacityArgs) -> list[dict[str, object]]:
    """The service's capacity provider strategy, weights and base as given.

    FARGATE is listed when it has a weight or a base (ECS places the base there first), FARGATE_SPOT when it has
    a weight: `(1, 0, 0)` -> all on-demand; `(0, 1, 1)` -> one on-demand task, the rest on Spot; `(1, 3, 2)` ->
    two on-demand tasks, then one in four on-demand.
    """
    on_demand_weight, spot_weight, on_demand_base = (
        capacity.on_demand_weight,
        capacity.spot_weight,
        capacity.on_demand_base,
    )
    if on_demand_weight < 0 or spot_weight < 0 or on_demand_base < 0:
        raise ValueError("capacity weights and base must not be negative")
    if on_demand_weight == 0 and spot_weight == 0:
        raise ValueError("at least one of on_demand_weight and spot_weight must be above 0")
    strategy: list[dict[str, object]] = []
    if on_demand_weight or on_demand_base:
        strategy.append({"capacity_provider": "FARGATE", "weight": on_demand_weight, "base": on_demand_base})
    if spot_weight:
        strategy.append({"capacity_provider": "FARGATE_SPOT", "weight": spot_weight, "base": 0})
    return strategy


def target_group_name(
    label: Label, *, port: int | None, protocol: str, target_type: str, vpc_id: pulumi.Input[str]
) -> pulumi.Output[str]:
    """The target group's name: the label, then a hash of every input AWS sets only at creation (`replace_only`).

    A new port, protocol, target type or VPC replaces the group; the new name lets the engine create the new
    group before deleting the old one instead of failing on a duplicate name.
    """
    return pulumi.Output.from_input(vpc_id).apply(
        lambda vpc: label.name_for(
            "target_group",
            replace_on=hashed_inputs(
                "aws:lb/targetGroup:TargetGroup",
                {
                    "port": port,
                    "protocol": protocol,
                    "protocolVersion": None,
                    "targetType": target_type,
                    "vpcId": vpc,
                    "ipAddressType": None,
                },
            ),
        )
    )


def security_group_name(label: Label, *, description: str, vpc_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """A security group's name: the label, then a hash of its description and VPC (AWS sets both only at
    creation), so a new description replaces the group under a new name instead of a duplicate one."""
    return pulumi.Output.from_input(vpc_id).apply(
        lambda vpc: label.name_for(
            "security_group",
            replace_on=hashed_inputs("aws:ec2/securityGroup:SecurityGroup", {"description": description, "vpcId": vpc}),
        )
    )


class FargateService(pulumi.ComponentResource):
    """An ECS Fargate service behind the platform's load balancer, or without one (a worker).

    Children: `<name>-sg` (+ `<name>-sg-ingress`, `<name>-sg-egress`), `<name>-tg` (IP target group), `<name>-rule`
    (listener rule), `<name>-standby` (its twin on the platform's standby listener, when the platform has one),
    `<name>-service`, with autoscaling `<name>-scaling` and
    `<name>-scale-cpu|memory|requests`,
    with a zone `<name>-dns`. A `deployment.strategy` of blue_green, canary or linear adds `<name>-tg-alt` (the
    alternate target group) and `<name>-ecs-lb-role` (+ `-policy`), and makes `<name>-rule` forward to both groups
    by weight (its `<name>-standby` then attaches the alternate group, or with `strategy.test_listener` is the test
    listener rule);
    `deployment.alarms` adds `<name>-alarm-5xx`, `<name>-alarm-latency` and `<name>-alarm-unhealthy`.
    A worker (no host, no path patterns) has only `<name>-sg` + `<name>-sg-egress`, `<name>-service` and the
    autoscaling children; its `url` and `target_group_arn` are None.

        service = FargateService("web", FargateServiceArgs(
            label=label, platform=platform.ref(), task_definition=task, host="web.example.com"))
    """

    service_name: pulumi.Output[str]
    service_arn: pulumi.Output[str]
    task_definition_arn: pulumi.Output[str]
    target_group_arn: pulumi.Output[str] | None
    security_group_id: pulumi.Output[str]
    url: pulumi.Output[str] | None
    image: pulumi.Output[str]

    def __init__(self, name: str, args: FargateServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsdelivery:index:FargateService", name, None, opts)
        self._name = name
        self._args = args
        self._port = args.task_definition.container_port
        # Decide once: a host or path patterns put the service behind the load balancer; neither makes a worker.
        self._routed = args.host is not None or bool(args.path_patterns)
        if self._routed and self._port is None:
            raise ValueError(f"{name}: the task definition has no container with a port to route traffic to")
        if not self._routed and args.autoscaling is not None and args.autoscaling.requests_per_target is not None:
            raise ValueError(f"{name}: request-count autoscaling needs a load balancer (give a host or path patterns)")
        strategy = args.deployment.strategy
        if not self._routed and strategy.shifts_traffic:
            raise ValueError(f"{name}: the {strategy.strategy} strategy shifts load balancer traffic; a worker rolls")
        if not self._routed and args.deployment.alarms is not None:
            raise ValueError(f"{name}: rollback alarms read load balancer metrics; a worker has none")
        if strategy.test_listener and args.platform.standby_listener_arn is None:
            raise ValueError(f"{name}: a test listener rule lives on the platform's standby listener; this has none")
        self._shifts_traffic = self._routed and strategy.shifts_traffic
        # Decide once: with the platform's standby listener, a new target group gets a new service, and the live
        # rule moves to them only once the new tasks are healthy (see `_create_standby_rule`). A traffic-shifting
        # strategy names the live rule in the service (ECS moves its weights), so it keeps rule-then-service.
        self._standby_first = (
            self._routed and not self._shifts_traffic and args.platform.standby_listener_arn is not None
        )

        self._ingress: aws.vpc.SecurityGroupIngressRule | None = None
        self._security_group = self._create_security_group()
        self._target_group = self._create_target_group("tg") if self._routed else None
        self._alternate_group = self._create_target_group("tg-alt") if self._shifts_traffic else None
        self._infrastructure_role = (
            create_infrastructure_role(self, self._name, args.label) if self._shifts_traffic else None
        )
        self._alarms = self._create_alarms() if args.deployment.alarms is not None else []
        standby = (
            self._create_standby_rule() if self._routed and args.platform.standby_listener_arn is not None else None
        )
        self._test_rule = standby if self._shifts_traffic and strategy.test_listener else None
        if self._standby_first:
            assert standby is not None
            self._rule: aws.lb.ListenerRule | None = None
            self._service = self._create_service(after=[standby])
            self._rule = self._create_listener_rule(after=self._service)
        else:
            self._rule = self._create_listener_rule() if self._routed else None
            # Every target group must be attached to a listener before a service can register targets in it.
            attached = [rule for rule in (self._rule, standby) if rule is not None]
            self._service = self._create_service(after=attached)
        if args.autoscaling is not None:
            requests_label = (
                pulumi.Output.all(self._load_balancer_suffix(), self._target_group.arn_suffix).apply(
                    lambda parts: _policies.request_count_label(parts[0], parts[1])
                )
                if self._target_group is not None
                else None
            )
            create_autoscaling(
                self,
                self._name,
                args.label,
                args.autoscaling,
                resource_id=pulumi.Output.concat("service/", args.platform.cluster_name, "/", self._service.name),
                requests_label=requests_label,
            )
        if self._routed and args.route53_zone_id is not None and args.host is not None:
            self._create_dns_record()

        platform = args.platform
        address = args.host if args.host is not None else platform.alb_dns_name
        self.service_name = self._service.name
        self.service_arn = self._service.id
        self.task_definition_arn = args.task_definition.task_definition_arn
        self.target_group_arn = self._target_group.arn if self._target_group is not None else None
        self.security_group_id = self._security_group.id
        self.url = (
            pulumi.Output.all(platform.protocol, address).apply(lambda a: service_url(*a)) if self._routed else None
        )
        self.image = args.task_definition.image
        self.register_outputs(
            {
                "serviceName": self.service_name,
                "serviceArn": self.service_arn,
                "taskDefinitionArn": self.task_definition_arn,
                "targetGroupArn": self.target_group_arn,
                "securityGroupId": self.security_group_id,
                "url": self.url,
                "image": self.image,
            }
        )

    def _create_security_group(self) -> aws.ec2.SecurityGroup:
        args = self._args
        description = f"Tasks of {args.label.id}: " + (
            "traffic from the load balancer only" if self._routed else "no inbound traffic"
        )
        group = aws.ec2.SecurityGroup(
            f"{self._name}-sg",
            name=security_group_name(args.label, description=description, vpc_id=args.platform.vpc_id),
            description=description,
            vpc_id=args.platform.vpc_id,
            tags=args.label.tags,
            opts=child(self),
        )
        if self._routed:
            self._create_ingress_rule(group)
        aws.vpc.SecurityGroupEgressRule(
            f"{self._name}-sg-egress",
            security_group_id=group.id,
            cidr_ipv4=args.egress_cidr,
            ip_protocol="-1",
            description="outbound: image pulls, AWS APIs, dependencies",
            tags=args.label.tags,
            opts=child(self),
        )
        return group

    def _create_ingress_rule(self, group: aws.ec2.SecurityGroup) -> None:
        args = self._args
        # Separate rule resources (not inline rules) so each rule is visible and changes without replacing the group.
        self._ingress = aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-sg-ingress",
            security_group_id=group.id,
            referenced_security_group_id=args.platform.alb_security_group_id,
            ip_protocol="tcp",
            from_port=self._port,
            to_port=self._port,
            description="container port from the load balancer",
            tags=args.label.tags,
            # A new port gets a new rule, and the old one goes only at the end of the deploy: tasks still on the
            # old port stay reachable until the new ones have replaced them (an in-place update would cut them off).
            opts=child(self, replace_on_changes=["fromPort", "toPort"]),
        )

    def _ingress_rules(self) -> list[pulumi.Resource]:
        return [self._ingress] if self._ingress is not None else []

    def _create_target_group(self, suffix: str) -> aws.lb.TargetGroup:
        args = self._args
        deployment = args.deployment
        health = deployment.health_check
        label = args.label if suffix == "tg" else args.label.with_attributes("alt")
        return aws.lb.TargetGroup(
            f"{self._name}-{suffix}",
            name=target_group_name(
                label,
                port=TARGET_GROUP_PORT,
                protocol=TARGET_PROTOCOL,
                target_type=TARGET_TYPE,
                vpc_id=args.platform.vpc_id,
            ),
            port=TARGET_GROUP_PORT,
            protocol=TARGET_PROTOCOL,
            target_type=TARGET_TYPE,
            vpc_id=args.platform.vpc_id,
            deregistration_delay=deployment.deregistration_delay,
            health_check={
                "enabled": True,
                "path": health.path,
                "protocol": "HTTP",
                "port": "traffic-port",
                "matcher": health.matcher,
                "interval": health.interval,
                "timeout": health.timeout,
                "healthy_threshold": health.healthy_threshold,
                "unhealthy_threshold": health.unhealthy_threshold,
            },
            tags=label.tags,
            opts=child(self),
        )

    def _conditions(self) -> list[dict[str, object]]:
        args = self._args
        conditions: list[dict[str, object]] = []
        if args.host is not None:
            conditions.append({"host_header": {"values": [args.host]}})
        if args.path_patterns:
            conditions.append({"path_pattern": {"values": list(args.path_patterns)}})
        return conditions

    def _create_listener_rule(self, *, after: aws.ecs.Service | None = None) -> aws.lb.ListenerRule:
        """The live rule. With `after` (the service), its target group comes through the service, so the engine
        moves the rule to a new group only once the service registered in it is steady."""
        args = self._args
        group_arn = self._target_group_arn()
        if after is not None:
            group_arn = pulumi.Output.all(after.id, group_arn).apply(lambda values: values[1])
        if self._alternate_group is not None:
            action = weighted_forward(group_arn, self._alternate_group.arn)
        else:
            action = {"type": "forward", "target_group_arn": group_arn}
        return aws.lb.ListenerRule(
            f"{self._name}-rule",
            listener_arn=args.platform.listener_arn,
            priority=args.listener_rule_priority,
            actions=[action],
            conditions=self._conditions(),
            tags=args.label.tags,
            # ECS moves the weights on every deployment; an `up` must not move them back.
            opts=child(self, ignore_changes=["actions"] if self._alternate_group is not None else []),
        )

    def _create_alarms(self) -> list[aws.cloudwatch.MetricAlarm]:
        args = self._args
        assert args.deployment.alarms is not None and self._target_group is not None
        groups = [self._target_group.arn_suffix]
        if self._alternate_group is not None:
            groups.append(self._alternate_group.arn_suffix)
        return create_rollback_alarms(
            self,
            self._name,
            label=args.label,
            args=args.deployment.alarms,
            load_balancer=self._load_balancer_suffix(),
            target_groups=groups,
        )

    def _create_standby_rule(self) -> aws.lb.ListenerRule:
        """The service's rule on the platform's standby listener, which only test traffic may reach.

        ECS starts tasks only in a target group a load balancer forwards to; this rule attaches the group the
        live rule may not. A rolling service's forwards to its target group: a replaced group gets a new service
        (its name carries the group's), which registers healthy tasks in it while the old service still serves
        from the old group; then the live rule moves, and the old service and group go at the end of the deploy.
        A traffic-shifting service's forwards to the alternate group, whatever the live rule's ignored actions
        say (a live rule created for a rolling service forwards to the primary alone). With `test_listener` it is
        the test listener rule instead: both groups by weight, which ECS points at the new tasks before any
        production traffic moves. Same name whatever the role, so a switch of strategy updates it in place; same
        priority and conditions as the live rule, on another listener, so it never collides where that does not.
        """
        args = self._args
        assert args.platform.standby_listener_arn is not None
        test = self._shifts_traffic and args.deployment.strategy.test_listener
        if test:
            assert self._alternate_group is not None
            action = weighted_forward(self._target_group_arn(), self._alternate_group.arn)
        else:
            group = self._alternate_group.arn if self._alternate_group is not None else self._target_group_arn()
            action = {"type": "forward", "target_group_arn": group}
        purpose = TEST_TAG if test else STANDBY_TAG
        return aws.lb.ListenerRule(
            f"{self._name}-standby",
            listener_arn=args.platform.standby_listener_arn,
            priority=args.listener_rule_priority,
            actions=[action],
            conditions=self._conditions(),
            tags={**args.label.tags, purpose[0]: purpose[1]},
            # ECS moves a test rule's weights on every deployment; an `up` must not move them back.
            opts=child(self, ignore_changes=["actions"] if test else []),
        )

    def _service_name(self) -> pulumi.Input[str]:
        """The label's name; with a standby rule, plus a hash of the cluster and the target group's name, so a new
        target group comes with a new service (created beside the old one, which serves until the end)."""
        args = self._args
        if not self._standby_first:
            return args.label.name_for("ecs_service")
        assert self._target_group is not None
        label = args.label
        return pulumi.Output.all(args.platform.cluster_arn, self._target_group.name).apply(
            lambda values: label.name_for(
                "ecs_service",
                replace_on={
                    **hashed_inputs(
                        "aws:ecs/service:Service",
                        {"cluster": values[0], "iamRole": None, "schedulingStrategy": None},
                    ),
                    "targetGroup": values[1],
                },
            )
        )

    def _create_service(self, *, after: Sequence[pulumi.Resource]) -> aws.ecs.Service:
        args = self._args
        deployment = args.deployment
        # With autoscaling on, the scaler owns the desired count: a deploy must not reset it.
        ignore = ["desiredCount"] if args.autoscaling is not None else []
        load_balancers = (
            [
                {
                    "target_group_arn": self._target_group_arn(),
                    "container_name": args.task_definition.container_name,
                    "container_port": self._port,
                    **self._advanced_configuration(),
                }
            ]
            if self._routed
            else None
        )
        alarms = deployment.alarms
        return aws.ecs.Service(
            f"{self._name}-service",
            name=self._service_name(),
            cluster=args.platform.cluster_arn,
            task_definition=args.task_definition.task_definition_arn,
            desired_count=args.autoscaling.min if args.autoscaling else args.desired_count,
            capacity_provider_strategies=capacity_provider_strategy(args.capacity),
            network_configuration={
                "subnets": args.platform.private_subnet_ids,
                "security_groups": [self._security_group.id],
                "assign_public_ip": False,
            },
            load_balancers=load_balancers,
            deployment_circuit_breaker={
                "enable": deployment.circuit_breaker,
                "rollback": deployment.circuit_breaker and deployment.rollback,
            },
            deployment_minimum_healthy_percent=deployment.minimum_healthy_percent,
            deployment_maximum_percent=deployment.maximum_percent,
            deployment_configuration=deployment_configuration(deployment.strategy),
            alarms={
                "alarm_names": [alarm_name(args.label, kind) for kind in KINDS],
                "enable": True,
                "rollback": alarms.rollback,
            }
            if alarms is not None
            else None,
            # ECS accepts a grace period only for a service with a load balancer.
            health_check_grace_period_seconds=deployment.grace_period if self._routed else None,
            wait_for_steady_state=args.wait_for_steady_state,
            enable_execute_command=args.enable_execute_command,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            tags=args.label.tags,
            # The target group must be attached to a listener before a service can register targets in it; the
            # alarms the deployment watches must exist before it starts; tasks on a new container port must be
            # reachable (the new ingress rule) before the deployment that starts them.
            opts=child(self, depends_on=[*after, *self._alarms, *self._ingress_rules()], ignore_changes=ignore),
        )

    def _advanced_configuration(self) -> dict[str, object]:
        """The load balancer block's traffic-shifting settings (blue/green, canary, linear), else nothing."""
        if self._alternate_group is None:
            return {}
        assert self._rule is not None and self._infrastructure_role is not None
        test = {"test_listener_rule": self._test_rule.arn} if self._test_rule is not None else {}
        return {
            "advanced_configuration": {
                "alternate_target_group_arn": self._alternate_group.arn,
                "production_listener_rule": self._rule.arn,
                "role_arn": self._infrastructure_role.arn,
                **test,
            }
        }

    def _load_balancer_suffix(self) -> pulumi.Output[str]:
        """`app/<name>/<id>`: the platform's, or derived from the listener ARN."""
        platform = self._args.platform
        if platform.alb_arn_suffix is not None:
            return pulumi.Output.from_input(platform.alb_arn_suffix)
        return pulumi.Output.from_input(platform.listener_arn).apply(_policies.load_balancer_arn_suffix)

    def _target_group_arn(self) -> pulumi.Output[str]:
        assert self._target_group is not None
        return self._target_group.arn

    def _create_dns_record(self) -> aws.route53.Record:
        args = self._args
        return aws.route53.Record(
            f"{self._name}-dns",
            zone_id=args.route53_zone_id,
            name=args.host,
            type="A",
            aliases=[
                {
                    "name": args.platform.alb_dns_name,
                    "zone_id": args.platform.alb_zone_id,
                    "evaluate_target_health": True,
                }
            ],
            opts=child(self),
        )
