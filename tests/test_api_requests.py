"""The create call of each resource type: pulumi-aws inputs mapped to the API's parameters (one table)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecsdelivery.synth import synthesize
from ecsdelivery.synth.api_requests import REQUESTS, api_request
from ecsdelivery.synth.awsshapes import input_shape, validate_request
from tests.moto_replay import Replay

ROOT = Path(__file__).resolve().parents[1]
IMAGE = "111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web@sha256:" + "ab" * 32


def test_inputs_become_the_api_parameters() -> None:
    call = api_request("aws:sns/topic:Topic", {"name": "t", "kmsMasterKeyId": "k", "tags": {"App": "web"}})
    assert call is not None
    assert (call.service, call.operation, call.method) == ("sns", "CreateTopic", "create_topic")
    assert call.params == {"Name": "t", "Attributes": {"KmsMasterKeyId": "k"}, "Tags": [{"Key": "App", "Value": "web"}]}
    alias = api_request("aws:kms/alias:Alias", {"name": "alias/x", "targetKeyId": "1234"})
    assert alias is not None and (alias.method, alias.params) == (
        "create_alias",
        {"AliasName": "alias/x", "TargetKeyId": "1234"},
    )
    attach = api_request("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"role": "r", "policyArn": "p"})
    assert attach is not None and attach.params == {"RoleName": "r", "PolicyArn": "p"}
    assert api_request("aws:ecs/cluster:Cluster", {"name": "c"}) is None


def test_every_operation_is_in_the_bundled_models() -> None:
    for service, operation, _ in REQUESTS.values():
        assert input_shape(service, operation).members, (service, operation)


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_what_the_stacks_render_maps_to_valid_requests(env: str) -> None:
    resources = synthesize(env, image=IMAGE, stacks_dir=str(ROOT / "stacks")).resources
    calls = [(r["name"], api_request(r["type"], r["inputs"])) for r in resources]
    mapped = [(name, call) for name, call in calls if call is not None]
    assert len(mapped) >= 15
    for name, call in mapped:
        assert validate_request(call.service, call.operation, call.params) == [], name


def test_replay_swaps_mocked_values_longest_first_then_the_account() -> None:
    replay = Replay(client=lambda service: None, answered={}, late_swaps={"444444444444": "123456789012"})
    mocked_arn = "arn:aws:elasticloadbalancing:us-east-1:444444444444:targetgroup/tg/abc"
    replay.answered = {"tg": {"arn": mocked_arn, "arnSuffix": "targetgroup/tg/abc"}}
    replay.learn(
        "tg",
        {
            "arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/real",
            "arnSuffix": "targetgroup/tg/real",
        },
    )
    swapped = replay.swap(
        {"a": [mocked_arn], "b": '{"d": "targetgroup/tg/abc"}', "c": "arn:aws:iam::444444444444:root"}
    )
    assert swapped == {
        "a": ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/real"],
        "b": '{"d": "targetgroup/tg/real"}',
        "c": "arn:aws:iam::123456789012:root",
    }
