"""Facts of AWS and Pulumi that the whole package shares, each written once (standard library only).

Fargate task sizes and CloudWatch Logs retention values (the legal values the stack file is checked against),
the pulumi-aws type tokens the reports and rules read, the load balancers' TLS policy, and the grammar of an
image digest. Sizes are in CPU units (1024 = 1 vCPU) and MiB, as ECS task definitions take them.
"""

from __future__ import annotations

import re

# task cpu -> the memory values Fargate accepts with it (AWS "Task CPU and memory" table).
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

FARGATE_CPU: tuple[int, ...] = tuple(FARGATE_SIZES)

# Values CloudWatch Logs accepts for a log group's retention in days.
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


def _ranges(values: tuple[int, ...]) -> str:
    """`512, 1024, 2048` or `2048-8192 in steps of 1024` for a long arithmetic run."""
    if len(values) <= 4:
        return ", ".join(str(v) for v in values)
    step = values[1] - values[0]
    return f"{values[0]}-{values[-1]} in steps of {step}"


def check_size(cpu: int, memory: int) -> str | None:
    """None when `cpu`/`memory` is a valid Fargate task size; otherwise what is wrong and the legal values."""
    if cpu not in FARGATE_SIZES:
        return f"cpu {cpu} is not a Fargate size; use one of {', '.join(str(c) for c in FARGATE_CPU)}"
    if memory not in FARGATE_SIZES[cpu]:
        legal = _ranges(FARGATE_SIZES[cpu])
        return f"memory {memory} does not fit cpu {cpu} on Fargate; with cpu {cpu} use memory {legal}"
    return None


def legal_sizes() -> str:
    """Every legal cpu/memory pair, one clause per cpu value, for error messages and docs."""
    return "; ".join(f"cpu {cpu}: memory {_ranges(mem)}" for cpu, mem in FARGATE_SIZES.items())


# --- image digests ---------------------------------------------------------------------------------------------

#: An OCI content digest as ECR reports it: `sha256:` and 64 lowercase hex digits.
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def is_digest(value: str) -> bool:
    """True for a whole `sha256:<64 hex>` digest."""
    return DIGEST.fullmatch(value) is not None


# --- load balancers ---------------------------------------------------------------------------------------------

#: The largest listener rule priority an ALB accepts (lower wins).
MAX_LISTENER_PRIORITY = 50000


# --- TLS ---------------------------------------------------------------------------------------------------------

#: The HTTPS listener's policy: TLS 1.3 and 1.2 only.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
#: Policies that refuse TLS 1.0 and 1.1: TLS13-1-2-*/TLS13-1-3-*, TLS-1-2-* and FS-1-2-*. ELBSecurityPolicy-2016-08
#: (the API default) still allows TLS 1.0.
MODERN_TLS = re.compile(r"^ELBSecurityPolicy-(TLS13-1-[23]-|TLS-1-2-|FS-1-2-)")


# --- pulumi-aws type tokens -------------------------------------------------------------------------------------

SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
CLUSTER = "aws:ecs/cluster:Cluster"
SCALING_TARGET = "aws:appautoscaling/target:Target"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
REPOSITORY = "aws:ecr/repository:Repository"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
EC2_VPC = "aws:ec2/vpc:Vpc"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
AWSX_VPC = "awsx:ec2:Vpc"
#: The same resources under their older module aliases (`aws.alb`, `aws.elb`).
TARGET_GROUPS = (TARGET_GROUP, "aws:alb/targetGroup:TargetGroup")
LISTENERS = (LISTENER, "aws:alb/listener:Listener")
LOAD_BALANCERS = (LOAD_BALANCER, "aws:alb/loadBalancer:LoadBalancer", "aws:elb/loadBalancer:LoadBalancer")
