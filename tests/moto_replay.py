"""Replay what `synth` renders as the AWS API calls the provider would make, against a moto server.

`record_synth(env)` synthesises a stack and keeps each resource's mocked outputs (ARNs, ids); `Replay` then
sends each resource's create call (`ecsdelivery.synth.api_requests`) to moto, after swapping every mocked value
its inputs hold for the real one moto answered with for the resource it came from, and keeps the real outputs
for the resources that come after. A few calls the provider makes after the create (key rotation, load
balancer attributes) are added here, as the provider does them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from ecsdelivery.synth import SynthResult, synthesize
from ecsdelivery.synth.api_requests import api_request
from ecsdelivery.synth.mocks import EcsMocks

#: The outputs dependents read, by the name the mocks give them.
MAPPED_OUTPUTS = ("arn", "arnSuffix", "keyId", "id")


def record_synth(monkeypatch: pytest.MonkeyPatch, env: str, **kwargs: Any) -> tuple[SynthResult, dict[str, dict]]:
    """`synthesize(env)` and, by logical name, the outputs the mocks answered (with `id`)."""
    answered: dict[str, dict] = {}
    original = EcsMocks.new_resource

    def recording(self: EcsMocks, args: Any) -> tuple[str, dict]:
        resource_id, outputs = original(self, args)
        answered[args.name] = {**outputs, "id": resource_id}
        return resource_id, outputs

    monkeypatch.setattr(EcsMocks, "new_resource", recording)
    return synthesize(env, **kwargs), answered


def _arn_suffix(arn: str) -> str:
    """`app/<name>/<id>` of a load balancer, `targetgroup/<name>/<id>` of a target group (CloudWatch dimensions)."""
    resource = arn.split(":", 5)[5]
    return resource.removeprefix("loadbalancer/")


#: Operation -> the real outputs in its response.
_OUTPUTS: dict[str, Callable[[Mapping[str, Any]], dict[str, str]]] = {
    "CreateSecurityGroup": lambda r: {"id": r["GroupId"]},
    "CreateLoadBalancer": lambda r: _elb(r["LoadBalancers"][0]["LoadBalancerArn"]),
    "CreateTargetGroup": lambda r: _elb(r["TargetGroups"][0]["TargetGroupArn"]),
    "CreateListener": lambda r: {"arn": r["Listeners"][0]["ListenerArn"]},
    "CreateRule": lambda r: {"arn": r["Rules"][0]["RuleArn"]},
    "CreateWebACL": lambda r: {"arn": r["Summary"]["ARN"], "id": r["Summary"]["Id"]},
    "CreateKey": lambda r: {
        "arn": r["KeyMetadata"]["Arn"],
        "keyId": r["KeyMetadata"]["KeyId"],
        "id": r["KeyMetadata"]["KeyId"],
    },
    "CreateRole": lambda r: {"arn": r["Role"]["Arn"]},
    "CreateTopic": lambda r: {"arn": r["TopicArn"]},
}


def _elb(arn: str) -> dict[str, str]:
    return {"arn": arn, "arnSuffix": _arn_suffix(arn)}


@dataclass
class Replay:
    """Sends recorded resources to moto in the order given, tracking mocked -> real values."""

    client: Callable[[str], Any]
    answered: Mapping[str, Mapping[str, Any]]
    swaps: dict[str, str] = field(default_factory=dict)
    #: values swapped last, after every resource's own (an account id inside mocked ARNs)
    late_swaps: dict[str, str] = field(default_factory=dict)
    real: dict[str, dict[str, str]] = field(default_factory=dict)

    def swap(self, value: Any) -> Any:
        """`value` with every known mocked value replaced by its real one (inside strings too: policies)."""
        if isinstance(value, str):
            for old in sorted(self.swaps, key=len, reverse=True):
                value = value.replace(old, self.swaps[old])
            for old, new in self.late_swaps.items():
                value = value.replace(old, new)
            return value
        if isinstance(value, Mapping):
            return {key: self.swap(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.swap(item) for item in value]
        return value

    def learn(self, name: str, real: Mapping[str, str]) -> None:
        """Remember `real` outputs of `name` and which mocked values they stand for."""
        self.real[name] = dict(real)
        mocked = self.answered.get(name, {})
        for key in MAPPED_OUTPUTS:
            old, new = mocked.get(key), real.get(key)
            if isinstance(old, str) and isinstance(new, str) and old != new and len(old) >= 8:
                self.swaps[old] = new

    def create(self, resource: Mapping[str, Any]) -> Any:
        """Send the resource's create call (and what the provider does right after); returns the response."""
        inputs = self.swap(resource["inputs"])
        call = api_request(resource["type"], inputs)
        assert call is not None, resource["type"]
        client = self.client(call.service)
        response = getattr(client, call.method)(**call.params)
        outputs = _OUTPUTS.get(call.operation)
        real = outputs(response) if outputs else {}
        self.learn(resource["name"], real)
        self._after(resource["type"], inputs, client, real)
        return response

    @staticmethod
    def _after(type_: str, inputs: Mapping[str, Any], client: Any, real: Mapping[str, str]) -> None:
        if type_ == "aws:kms/key:Key" and inputs.get("enableKeyRotation"):
            client.enable_key_rotation(KeyId=real["keyId"])
        logs = inputs.get("accessLogs")
        if type_ == "aws:lb/loadBalancer:LoadBalancer" and isinstance(logs, Mapping):
            attributes = {
                "access_logs.s3.enabled": str(logs.get("enabled", True)).lower(),
                "access_logs.s3.bucket": logs["bucket"],
                "access_logs.s3.prefix": logs.get("prefix", ""),
            }
            client.modify_load_balancer_attributes(
                LoadBalancerArn=real["arn"], Attributes=[{"Key": k, "Value": v} for k, v in attributes.items()]
            )
