"""The recording mock monitor and `run_program`."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx
import pytest

from ecsdelivery.synth.mocks import ACCOUNT_ID, run_program


class _Parent(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("test:index:Parent", name)
        self.group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name="/ecs/x", retention_in_days=7, opts=pulumi.ResourceOptions(parent=self)
        )
        self.register_outputs({})


def _program() -> None:
    repo = aws.ecr.Repository("repo", name="acme-app", image_tag_mutability="IMMUTABLE")
    vpc = awsx.ec2.Vpc("vpc", number_of_availability_zones=2)
    parent = _Parent("comp")
    pulumi.export("url", repo.repository_url)
    pulumi.export("vpcId", vpc.vpc_id)
    pulumi.export("privateSubnetIds", vpc.private_subnet_ids)
    pulumi.export("account", aws.get_caller_identity_output().account_id)
    pulumi.export("nested", {"arns": [repo.arn, parent.group.arn]})


def test_records_type_name_parent_custom_and_camel_case_inputs() -> None:
    recording = run_program(_program, project="acme", stack="dev")
    repo = recording.named("repo")
    assert repo == {
        "type": "aws:ecr/repository:Repository",
        "name": "repo",
        "parent": None,
        "custom": True,
        "inputs": {"name": "acme-app", "imageTagMutability": "IMMUTABLE"},
    }
    logs = recording.named("comp-logs")
    assert logs["parent"] == "comp"
    assert logs["inputs"]["retentionInDays"] == 7
    assert isinstance(logs["inputs"]["retentionInDays"], int)
    assert recording.named("comp")["custom"] is False
    assert [r["name"] for r in recording.children_of("comp")] == ["comp-logs"]
    vpc = recording.one("awsx:ec2:Vpc")
    assert vpc["custom"] is False and vpc["inputs"] == {"numberOfAvailabilityZones": 2}


def test_outputs_are_resolved_from_the_root_stack() -> None:
    recording = run_program(_program, project="acme", stack="dev", config={"aws:region": "eu-west-1"})
    assert recording.outputs["url"] == f"{ACCOUNT_ID}.dkr.ecr.eu-west-1.amazonaws.com/acme-app"
    assert recording.outputs["vpcId"].startswith("vpc-")
    assert len(recording.outputs["privateSubnetIds"]) == 2
    assert recording.outputs["account"] == ACCOUNT_ID
    assert recording.outputs["nested"]["arns"][1] == f"arn:aws:logs:eu-west-1:{ACCOUNT_ID}:log-group:/ecs/x"


def test_runs_do_not_leak_into_each_other() -> None:
    first = run_program(_program, project="acme", stack="dev")
    second = run_program(lambda: pulumi.export("only", 1), project="other", stack="prod")
    assert len(first.resources) == 4
    assert second.resources == []
    assert second.outputs == {"only": 1}


def test_config_is_visible_to_the_program() -> None:
    def program() -> None:
        pulumi.export("image", pulumi.Config("ecsdelivery").require("image"))

    recording = run_program(program, project="acme", stack="dev", config={"ecsdelivery:image": "repo@sha256:abc"})
    assert recording.outputs == {"image": "repo@sha256:abc"}
    assert run_program(
        lambda: pulumi.export("x", pulumi.Config("ecsdelivery").get("image")), project="a", stack="b"
    ).outputs == {"x": None}


def test_program_errors_propagate() -> None:
    def program() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        run_program(program, project="acme", stack="dev")
    # and the next run still works
    assert run_program(lambda: pulumi.export("ok", True), project="acme", stack="dev").outputs == {"ok": True}
