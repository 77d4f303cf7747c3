"""Platform: what the services of one environment share: network, ECS cluster, load balancer and listeners."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

from ecsdelivery.components._common import child
from ecsdelivery.components.access_logs import ACCESS_LOG_PREFIX, create_access_log_bucket
from ecsdelivery.components.refs import PlatformRef
from ecsdelivery.components.service import security_group_name
from ecsdelivery.facts import TLS_POLICY
from ecsdelivery.naming import STANDBY_TAG, Label
from ecsdelivery.replace_only import hashed_inputs

LOAD_BALANCER_TYPE = "application"
LOAD_BALANCER_BASELINE = {"internal": False, "loadBalancerType": LOAD_BALANCER_TYPE}
#: AWS managed rule groups the web ACL runs, in order: common exploits (OWASP top 10), known bad inputs
#: (Log4j, SSRF patterns), and Amazon's IP reputation list.
WAF_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)
#: Key prefix of the load balancer's access logs in their bucket.
NatStrategy = Literal["None", "Single", "OnePerAz"]
#: Port of the standby listener: no security group admits it, so no request ever reaches it (see `Platform`).
STANDBY_PORT = 8999
NOT_FOUND_ACTION = {
    "type": "fixed-response",
    "fixed_response": {"content_type": "text/plain", "message_body": "Not Found", "status_code": "404"},
}


@dataclass(frozen=True)
class NewVpcArgs:
    """Create a VPC (pulumi-awsx) with public subnets for the load balancer and private ones for tasks.

    Attributes:
        cidr_block: the VPC range; default "10.0.0.0/16".
        availability_zones: how many AZs to spread subnets over; default 2.
        nat_gateways: "None", "Single" or "OnePerAz"; default "Single". With "None" the task subnets are
            isolated: tasks then need VPC endpoints (ECR, S3, Logs) to pull images and write logs.
    """

    cidr_block: str = "10.0.0.0/16"
    availability_zones: int = 2
    nat_gateways: NatStrategy = "Single"


@dataclass(frozen=True)
class ExistingNetworkArgs:
    """Use a VPC that already exists; the platform creates no network resources.

    Attributes:
        vpc_id: the VPC.
        public_subnet_ids: subnets for the internet-facing load balancer (at least two AZs).
        private_subnet_ids: subnets for tasks (with a route to ECR: NAT or VPC endpoints).
    """

    vpc_id: pulumi.Input[str]
    public_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    private_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]


@dataclass
class PlatformArgs:
    """Arguments of `Platform`.

    HTTPS needs a certificate: give `certificate_arn`, or `domain_name` + `hosted_zone_id` to create and
    DNS-validate one for the domain and its wildcard. Without either (or with `emulator`) the platform serves
    plain HTTP.

    Attributes:
        label: names and tags.
        network: `NewVpcArgs()` (default) or `ExistingNetworkArgs(...)`.
        certificate_arn: an existing ACM certificate for the HTTPS listener; default None.
        domain_name: create a certificate for this domain and `*.<domain>`; default None.
        hosted_zone_id: Route53 zone that validates the created certificate; default None.
        emulator: target a local AWS emulator: no ACM certificate and no Route53 records; default False.
        ingress_cidrs: who may reach the load balancer; default ("0.0.0.0/0",).
        idle_timeout: load balancer idle timeout in seconds; default 60.
        deletion_protection: protect the load balancer from deletion; default False (True for prod).
        container_insights: CloudWatch Container Insights on the cluster; default True.
        ssl_policy: TLS policy of the HTTPS listener; default TLS 1.3 + 1.2 (`ELBSecurityPolicy-TLS13-1-2-2021-06`).
        access_log_days: keep the load balancer's access logs this many days in their own S3 bucket (private,
            SSE-S3, TLS only, written by the region's log delivery); default 90. None: no access logs.
        waf_rule_groups: AWS managed rule groups of a WAFv2 web ACL in front of the load balancer; default ()
            (no web ACL); `WAF_RULE_GROUPS` is the set the stack files use for prod. Skipped with `emulator`.
        test_traffic_cidrs: who may reach the standby listener, where services' test listener rules send test
            traffic to new tasks before production traffic moves; default () (nobody: the standby listener then
            takes no request at all). Keep it to the callers' addresses: the load balancer is internet-facing, so a
            caller inside the VPC arrives from its NAT gateway's public IP.
    """

    label: Label
    network: NewVpcArgs | ExistingNetworkArgs = field(default_factory=NewVpcArgs)
    certificate_arn: pulumi.Input[str] | None = None
    domain_name: str | None = None
    hosted_zone_id: pulumi.Input[str] | None = None
    emulator: bool = False
    ingress_cidrs: Sequence[str] = ("0.0.0.0/0",)
    idle_timeout: int = 60
    deletion_protection: bool = False
    container_insights: bool = True
    ssl_policy: str = TLS_POLICY
    access_log_days: int | None = 90
    waf_rule_groups: Sequence[str] = ()
    test_traffic_cidrs: Sequence[str] = ()


class Platform(pulumi.ComponentResource):
    """A shared environment: VPC, ECS cluster (FARGATE + FARGATE_SPOT), internet-facing ALB and listeners.

    Children: `<name>-vpc` (awsx:ec2:Vpc, only for a new VPC), `<name>-cluster`, `<name>-capacity`,
    `<name>-alb-sg` (+ ingress/egress rules), `<name>-alb-logs` (the access-log bucket, with
    `-public-access`, `-ownership`, `-encryption`, `-lifecycle` and `-policy`), `<name>-alb`, `<name>-http`,
    `<name>-https` (with a certificate), `<name>-standby` (the standby listener), `<name>-waf` +
    `<name>-waf-association` (with WAF rule groups),
    `<name>-cert`, `<name>-cert-validation`, `<name>-cert-validated` (when it creates the certificate).

        platform = Platform("dev", PlatformArgs(label=Label("acme", "dev", "platform"), certificate_arn=cert))
        service_args = FargateServiceArgs(..., platform=platform.ref())
    """

    vpc_id: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    cluster_arn: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    alb_arn: pulumi.Output[str]
    alb_arn_suffix: pulumi.Output[str]
    alb_dns_name: pulumi.Output[str]
    alb_zone_id: pulumi.Output[str]
    alb_security_group_id: pulumi.Output[str]
    listener_arn: pulumi.Output[str]
    http_listener_arn: pulumi.Output[str]
    standby_listener_arn: pulumi.Output[str]
    protocol: str
    access_log_bucket: pulumi.Output[str] | None

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ecsdelivery:index:Platform", name, None, opts)
        self._name = name
        self._args = args
        # Decide once what to create.
        create_vpc = isinstance(args.network, NewVpcArgs)
        create_certificate = (
            not args.emulator
            and args.certificate_arn is None
            and args.domain_name is not None
            and args.hosted_zone_id is not None
        )
        https = not args.emulator and (args.certificate_arn is not None or create_certificate)

        if create_vpc:
            self._create_vpc()
        else:
            self._use_existing_network()
        self._cluster = self._create_cluster()
        self._alb_security_group = self._create_alb_security_group(https)
        self._access_logs = (
            create_access_log_bucket(
                self,
                f"{self._name}-alb-logs",
                args.label.with_attributes("alb-logs"),
                days=args.access_log_days,
                keep=args.deletion_protection,
            )
            if args.access_log_days is not None
            else None
        )
        self._alb = self._create_load_balancer()
        if args.waf_rule_groups and not args.emulator:
            self._create_web_acl()
        certificate_arn = self._create_certificate() if create_certificate else args.certificate_arn
        https_listener = self._create_https_listener(certificate_arn) if https else None
        http_listener = self._create_http_listener(redirect=https)
        standby_listener = self._create_standby_listener(certificate_arn if https else None)

        self.cluster_arn = self._cluster.arn
        self.cluster_name = self._cluster.name
        self.alb_arn = self._alb.arn
        self.alb_arn_suffix = self._alb.arn_suffix
        self.alb_dns_name = self._alb.dns_name
        self.alb_zone_id = self._alb.zone_id
        self.alb_security_group_id = self._alb_security_group.id
        self.http_listener_arn = http_listener.arn
        self.listener_arn = (https_listener or http_listener).arn
        self.standby_listener_arn = standby_listener.arn
        self.protocol = "https" if https else "http"
        self.access_log_bucket = self._access_logs.bucket if self._access_logs is not None else None
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
                "clusterArn": self.cluster_arn,
                "clusterName": self.cluster_name,
                "listenerArn": self.listener_arn,
                "httpListenerArn": self.http_listener_arn,
                "standbyListenerArn": self.standby_listener_arn,
                "albArn": self.alb_arn,
                "albSecurityGroupId": self.alb_security_group_id,
                "albDnsName": self.alb_dns_name,
                "albZoneId": self.alb_zone_id,
                "protocol": self.protocol,
                "accessLogBucket": self.access_log_bucket,
            }
        )

    def ref(self) -> PlatformRef:
        """What a `FargateService` or `PreviewEnvironment` needs from this platform."""
        return PlatformRef(
            vpc_id=self.vpc_id,
            private_subnet_ids=self.private_subnet_ids,
            cluster_arn=self.cluster_arn,
            cluster_name=self.cluster_name,
            listener_arn=self.listener_arn,
            alb_security_group_id=self.alb_security_group_id,
            alb_dns_name=self.alb_dns_name,
            alb_zone_id=self.alb_zone_id,
            protocol=self.protocol,
            alb_arn_suffix=self.alb_arn_suffix,
            standby_listener_arn=self.standby_listener_arn,
        )

    def _create_vpc(self) -> None:
        network = self._args.network
        assert isinstance(network, NewVpcArgs)
        # awsx refuses private subnets without NAT: without NAT the task subnets are isolated.
        task_subnets = awsx.ec2.SubnetType.ISOLATED if network.nat_gateways == "None" else awsx.ec2.SubnetType.PRIVATE
        vpc = awsx.ec2.Vpc(
            f"{self._name}-vpc",
            cidr_block=network.cidr_block,
            number_of_availability_zones=network.availability_zones,
            nat_gateways=awsx.ec2.NatGatewayConfigurationArgs(
                strategy=awsx.ec2.NatGatewayStrategy(network.nat_gateways)
            ),
            subnet_specs=[
                awsx.ec2.SubnetSpecArgs(type=awsx.ec2.SubnetType.PUBLIC, name="public"),
                awsx.ec2.SubnetSpecArgs(type=task_subnets, name="private"),
            ],
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=self._args.label.tags,
            opts=child(self),
        )
        self.vpc_id = vpc.vpc_id
        self.public_subnet_ids = vpc.public_subnet_ids
        self.private_subnet_ids = vpc.isolated_subnet_ids if network.nat_gateways == "None" else vpc.private_subnet_ids

    def _use_existing_network(self) -> None:
        network = self._args.network
        assert isinstance(network, ExistingNetworkArgs)
        self.vpc_id = pulumi.Output.from_input(network.vpc_id)
        self.public_subnet_ids = pulumi.Output.from_input(network.public_subnet_ids)
        self.private_subnet_ids = pulumi.Output.from_input(network.private_subnet_ids)

    def _create_cluster(self) -> aws.ecs.Cluster:
        args = self._args
        cluster = aws.ecs.Cluster(
            f"{self._name}-cluster",
            name=args.label.name_for("ecs_cluster"),
            settings=[
                {"name": "containerInsights", "value": "enabled" if args.container_insights else "disabled"},
            ],
            tags=args.label.tags,
            opts=child(self),
        )
        aws.ecs.ClusterCapacityProviders(
            f"{self._name}-capacity",
            cluster_name=cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategies=[{"capacity_provider": "FARGATE", "weight": 1, "base": 0}],
            opts=child(self),
        )
        return cluster

    def _create_alb_security_group(self, https: bool) -> aws.ec2.SecurityGroup:
        args = self._args
        label = args.label.with_attributes("alb")
        description = f"Load balancer of {args.label.id}"
        group = aws.ec2.SecurityGroup(
            f"{self._name}-alb-sg",
            name=security_group_name(label, description=description, vpc_id=self.vpc_id),
            description=description,
            vpc_id=self.vpc_id,
            tags=label.tags,
            opts=child(self),
        )
        ports = [80, 443] if https else [80]
        for port in ports:
            for index, cidr in enumerate(args.ingress_cidrs):
                kind = "HTTPS" if port == 443 else "HTTP"
                self._admit(group, f"{port}" + (f"-{index}" if index else ""), cidr, port, f"{kind} from {cidr}")
        for index, cidr in enumerate(args.test_traffic_cidrs):
            description = f"test traffic to new deployments (standby listener) from {cidr}"
            self._admit(group, "test" + (f"-{index}" if index else ""), cidr, STANDBY_PORT, description)
        # The load balancer reaches tasks in per-service security groups that do not exist yet; those groups
        # admit only this one, so open egress here grants nothing by itself.
        aws.vpc.SecurityGroupEgressRule(
            f"{self._name}-alb-sg-egress",
            security_group_id=group.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="-1",
            description="to the tasks' security groups (which admit only this group)",
            tags=label.tags,
            opts=child(self),
        )
        return group

    def _admit(self, group: aws.ec2.SecurityGroup, suffix: str, cidr: str, port: int, description: str) -> None:
        """One described ingress rule of the load balancer's security group: `cidr` on TCP `port`."""
        aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-alb-sg-{suffix}",
            security_group_id=group.id,
            cidr_ipv4=cidr,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=description,
            tags=self._args.label.with_attributes("alb").tags,
            opts=child(self),
        )

    def _create_load_balancer(self) -> aws.lb.LoadBalancer:
        args = self._args
        logs = self._access_logs
        replace_on = hashed_inputs(
            "aws:lb/loadBalancer:LoadBalancer", {"internal": False, "loadBalancerType": LOAD_BALANCER_TYPE}
        )
        return aws.lb.LoadBalancer(
            f"{self._name}-alb",
            # Every platform's load balancer has had these values: the plain name stays until one changes.
            name=args.label.name_for("load_balancer", replace_on=replace_on, baseline=LOAD_BALANCER_BASELINE),
            load_balancer_type=LOAD_BALANCER_TYPE,
            internal=False,
            subnets=self.public_subnet_ids,
            security_groups=[self._alb_security_group.id],
            idle_timeout=args.idle_timeout,
            drop_invalid_header_fields=True,
            enable_deletion_protection=args.deletion_protection,
            access_logs={"bucket": logs.bucket, "prefix": ACCESS_LOG_PREFIX, "enabled": True} if logs else None,
            tags=args.label.tags,
            # The load balancer checks that it may write to the bucket when access logs are turned on.
            opts=child(self, depends_on=[logs.policy] if logs else []),
        )

    def _create_web_acl(self) -> aws.wafv2.WebAcl:
        """A regional web ACL running the AWS managed rule groups (their own block actions), on the load balancer."""
        args = self._args
        label = args.label.with_attributes("waf")
        metric = label.name_for("waf_metric")

        def visibility(name: str) -> dict[str, object]:
            return {"cloudwatch_metrics_enabled": True, "metric_name": name, "sampled_requests_enabled": True}

        acl = aws.wafv2.WebAcl(
            f"{self._name}-waf",
            name=label.name_for("waf_web_acl"),
            description=f"AWS managed rules in front of the load balancer of {args.label.id}",
            scope="REGIONAL",
            default_action={"allow": {}},
            rules=[
                {
                    "name": group,
                    "priority": index,
                    "override_action": {"none": {}},
                    "statement": {"managed_rule_group_statement": {"name": group, "vendor_name": "AWS"}},
                    "visibility_config": visibility(f"{metric}-{group}"[:128]),
                }
                for index, group in enumerate(args.waf_rule_groups)
            ],
            visibility_config=visibility(metric),
            tags=label.tags,
            opts=child(self),
        )
        aws.wafv2.WebAclAssociation(
            f"{self._name}-waf-association",
            resource_arn=self._alb.arn,
            web_acl_arn=acl.arn,
            opts=child(self),
        )
        return acl

    def _create_certificate(self) -> pulumi.Output[str]:
        args = self._args
        assert args.domain_name is not None
        certificate = aws.acm.Certificate(
            f"{self._name}-cert",
            domain_name=args.domain_name,
            subject_alternative_names=[f"*.{args.domain_name}"],
            validation_method="DNS",
            tags=args.label.tags,
            opts=child(self),
        )
        # The apex and its wildcard share one validation record.
        option = certificate.domain_validation_options.apply(lambda options: options[0])
        record = aws.route53.Record(
            f"{self._name}-cert-validation",
            zone_id=args.hosted_zone_id,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=60,
            allow_overwrite=True,
            opts=child(self),
        )
        validation = aws.acm.CertificateValidation(
            f"{self._name}-cert-validated",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn],
            opts=child(self),
        )
        return validation.certificate_arn

    def _create_https_listener(self, certificate_arn: pulumi.Input[str] | None) -> aws.lb.Listener:
        return aws.lb.Listener(
            f"{self._name}-https",
            load_balancer_arn=self._alb.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=self._args.ssl_policy,
            certificate_arn=certificate_arn,
            default_actions=[NOT_FOUND_ACTION],
            tags=self._args.label.tags,
            opts=child(self),
        )

    def _create_standby_listener(self, certificate_arn: pulumi.Input[str] | None) -> aws.lb.Listener:
        """A listener no request reaches (the load balancer's security group admits only 80 and 443, and the port
        of this one only from `test_traffic_cidrs`), where each service keeps a rule for its target group.

        ECS registers tasks only in a target group a load balancer forwards to. A replaced target group gets that
        from the service's standby rule, so the new service can start its tasks in it while the live rule still
        sends traffic to the old group; the live rule moves once the new tasks are healthy. With a certificate it
        speaks HTTPS like the live listener, so test traffic inside the VPC is encrypted too.
        """
        tls = {"ssl_policy": self._args.ssl_policy, "certificate_arn": certificate_arn} if certificate_arn else {}
        return aws.lb.Listener(
            f"{self._name}-standby",
            load_balancer_arn=self._alb.arn,
            port=STANDBY_PORT,
            protocol="HTTPS" if certificate_arn else "HTTP",
            default_actions=[NOT_FOUND_ACTION],
            tags={**self._args.label.tags, STANDBY_TAG[0]: STANDBY_TAG[1]},
            opts=child(self),
            **tls,  # type: ignore[arg-type]
        )

    def _create_http_listener(self, *, redirect: bool) -> aws.lb.Listener:
        redirect_action = {
            "type": "redirect",
            "redirect": {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"},
        }
        return aws.lb.Listener(
            f"{self._name}-http",
            load_balancer_arn=self._alb.arn,
            port=80,
            protocol="HTTP",
            default_actions=[redirect_action if redirect else NOT_FOUND_ACTION],
            tags=self._args.label.tags,
            opts=child(self),
        )
