"""The recording mocks: options kept on each record, and the awsx VPC's subnet ids by subnet type."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

from ecsdelivery.synth.mocks import EcsMocks, run_program


def _vpc(*types: awsx.ec2.SubnetType) -> None:
    specs = [awsx.ec2.SubnetSpecArgs(type=t, name=str(t.value).lower()) for t in types] or None
    vpc = awsx.ec2.Vpc("net", number_of_availability_zones=2, subnet_specs=specs)
    pulumi.export("public", vpc.public_subnet_ids)
    pulumi.export("private", vpc.private_subnet_ids)
    pulumi.export("isolated", vpc.isolated_subnet_ids)


def test_isolated_subnets_get_ids_when_a_spec_asks_for_them() -> None:
    outputs = run_program(
        lambda: _vpc(awsx.ec2.SubnetType.PUBLIC, awsx.ec2.SubnetType.ISOLATED), project="p", stack="dev"
    ).outputs
    assert len(outputs["isolated"]) == 2
    assert all(subnet.startswith("subnet-iso") for subnet in outputs["isolated"])
    assert len(set(outputs["isolated"]) | set(outputs["public"])) == 4


def test_no_isolated_subnets_by_default() -> None:
    outputs = run_program(lambda: _vpc(), project="p", stack="dev").outputs
    assert outputs["isolated"] == []
    assert len(outputs["private"]) == len(outputs["public"]) == 2


def test_vpc_outputs_come_from_ecs_mocks_alone() -> None:
    """One place answers for the VPC: the plain EcsMocks, not only synth's own subclass."""
    mocks = EcsMocks(region="eu-west-1")
    outputs = run_program(
        lambda: _vpc(awsx.ec2.SubnetType.PUBLIC, awsx.ec2.SubnetType.ISOLATED),
        project="p",
        stack="dev",
        mocks=mocks,
    ).outputs
    assert len(outputs["isolated"]) == 2


def test_options_keep_protect_retain_on_delete_and_ignore_changes() -> None:
    def program() -> None:
        aws.cloudwatch.LogGroup(
            "kept",
            retention_in_days=7,
            opts=pulumi.ResourceOptions(protect=True, retain_on_delete=True, ignore_changes=["tags"]),
        )
        aws.cloudwatch.LogGroup("retained", opts=pulumi.ResourceOptions(retain_on_delete=True))
        aws.cloudwatch.LogGroup("plain")

    recording = run_program(program, project="p", stack="dev")
    assert recording.named("kept")["options"] == {"ignoreChanges": ["tags"], "protect": True, "retainOnDelete": True}
    assert recording.named("retained")["options"] == {"retainOnDelete": True}
    assert "options" not in recording.named("plain")
