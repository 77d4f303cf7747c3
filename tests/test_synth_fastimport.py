"""On-demand pulumi-aws namespaces: the same classes as a normal import, and names off the naming rule still load."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ecsdelivery.synth.fastimport import snake_case


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("SecurityGroup", "security_group"),
        ("SecurityGroupIngressRule", "security_group_ingress_rule"),
        ("ClusterCapacityProviders", "cluster_capacity_providers"),
        ("get_caller_identity", "get_caller_identity"),
        ("LoadBalancer", "load_balancer"),
    ],
)
def test_snake_case(name: str, module: str) -> None:
    assert snake_case(name) == module


SCRIPT = """
import sys
import pulumi_aws
from ecsdelivery.synth import fastimport
fastimport.install()
fastimport.install()  # idempotent
import pulumi_aws as aws
group = aws.ec2.SecurityGroup
assert "pulumi_aws.ec2.vpc_endpoint" not in sys.modules, "loaded more than asked for"
assert group.__module__ == "pulumi_aws.ec2.security_group"
assert aws.ec2.SecurityGroupIngressArgs.__module__ == "pulumi_aws.ec2._inputs"
assert aws.ecs.outputs.__name__ == "pulumi_aws.ecs.outputs"
# A name that is not where the naming rule says: the namespace's own __init__ runs, as without install().
assert aws.ec2.InstanceType.T3_MICRO == "t3.micro"  # from _enums
assert "pulumi_aws.ec2.vpc_endpoint" not in sys.modules
assert aws.ec2.GetAmiResult.__module__ == "pulumi_aws.ec2.get_ami"  # defined in get_ami.py, not get_ami_result.py
assert "pulumi_aws.ec2.vpc_endpoint" in sys.modules
assert aws.ec2.SecurityGroup is group
try:
    aws.ec2.NoSuchThing
except AttributeError:
    pass
else:
    raise AssertionError("expected AttributeError")
print("ok")
"""


def test_on_demand_namespaces_load_the_same_classes() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
