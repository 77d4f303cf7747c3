"""Pulumi mocks that record every resource registration, for tests and offline synth.

`run_program(program, project=..., stack=...)` runs a Pulumi program function in-process against a mock engine:
no CLI, no provider plugins, no network. It returns a `Recording` of every resource the program registered
(type token, logical name, parent's logical name, custom flag and inputs in the camelCase property names the
engine sees) and the stack outputs.

    recording = run_program(my_program, project="acme", stack="dev", config={"aws:region": "eu-west-1"})
    recording.one("aws:ecs/service:Service")["inputs"]["launchType"]

`EcsMocks` answers with realistic outputs (ARNs, ids, DNS names, repository URLs, the awsx VPC's subnet ids)
so that programs reading them build well-formed values. Safe to call many times in one process.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import hashlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import struct_pb2
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.proto import provider_pb2, resource_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
STACK_TYPE = "pulumi:pulumi:Stack"

Resource = dict[str, Any]


#: Resource types whose id is their name (pulumi-aws): IAM roles, log groups, ECR repositories.
_ID_IS_NAME = frozenset({"aws:iam/role:Role", "aws:cloudwatch/logGroup:LogGroup", "aws:ecr/repository:Repository"})


def _suffix(*parts: str, length: int = 17) -> str:
    """A deterministic hex suffix, so mock ids are stable from run to run."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _name_from_urn(urn: str) -> str:
    # urn:pulumi:<stack>::<project>::<qualified type>::<name>
    return urn.split("::", 3)[-1]


def _plain(value: Any) -> Any:
    """Deserialized RPC values as plain Python: secrets unwrapped, integral numbers as int, unknowns as text."""
    if rpc.is_rpc_secret(value):
        return _plain(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, pulumi.Resource):
        return f"<resource {type(value).__name__}>"
    if type(value).__name__ == "Unknown":
        return "<unknown>"
    # The wire format carries every number as a double; give integral ones back as ints (ports, counts).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass
class Recording:
    """What a program registered: `resources` in a stable tree order and the resolved stack `outputs`."""

    resources: list[Resource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type_: str) -> list[Resource]:
        """Every resource with the type token `type_`."""
        return [r for r in self.resources if r["type"] == type_]

    def one(self, type_: str) -> Resource:
        """The single resource of `type_`; AssertionError when there are none or several."""
        found = self.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, found {[r['name'] for r in found]}"
        return found[0]

    def named(self, name: str) -> Resource:
        """The resource with logical name `name`; KeyError when absent."""
        for resource in self.resources:
            if resource["name"] == name:
                return resource
        raise KeyError(name)

    def children_of(self, name: str | None) -> list[Resource]:
        """Resources whose parent is the logical name `name` (None: the stack)."""
        return [r for r in self.resources if r["parent"] == name]

    def types(self) -> set[str]:
        return {r["type"] for r in self.resources}

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)


def _options(request: Any) -> dict[str, Any]:
    """The resource options that change what the engine does (only those set): ignoreChanges, protect,
    retainOnDelete, deleteBeforeReplace, replaceOnChanges, dependsOn (explicit dependencies beyond the inputs,
    as logical names) and aliases (earlier logical names)."""
    options: dict[str, Any] = {}
    if request.ignoreChanges:
        options["ignoreChanges"] = list(request.ignoreChanges)
    if request.protect:
        options["protect"] = True
    if request.retainOnDelete:
        options["retainOnDelete"] = True
    if request.deleteBeforeReplace:
        options["deleteBeforeReplace"] = True
    if request.replaceOnChanges:
        options["replaceOnChanges"] = list(request.replaceOnChanges)
    through_inputs = {urn for deps in request.propertyDependencies.values() for urn in deps.urns}
    explicit = sorted(_name_from_urn(urn) for urn in set(request.dependencies) - through_inputs)
    if explicit:
        options["dependsOn"] = explicit
    aliases = sorted(
        {_name_from_urn(urn) for urn in request.aliasURNs}
        | {_name_from_urn(a.urn) if a.urn else a.spec.name for a in request.aliases} - {"", request.name}
    )
    if aliases:
        options["aliases"] = aliases
    return options


def _input_dependencies(request: Any) -> dict[str, list[str]]:
    """Input name -> logical names of the resources its value comes from (a component stands for its children)."""
    return {
        key: sorted({_name_from_urn(urn) for urn in deps.urns})
        for key, deps in sorted(request.propertyDependencies.items())
        if deps.urns
    }


def _is_wire_plain(value: Any) -> bool:
    """True when `value` holds only what a protobuf Struct stores as is: str, bool, numbers, None, dicts with
    string keys and lists. Anything else (resources, assets, outputs, awaitables) needs the SDK's serializer."""
    kind = type(value)
    if kind is str or kind is bool or kind is int or kind is float or value is None:
        return True
    if kind is dict:
        return all(type(key) is str and _is_wire_plain(item) for key, item in value.items())
    if kind is list:
        return all(_is_wire_plain(item) for item in value)
    return False


def _struct(state: dict[str, Any]) -> struct_pb2.Struct:
    """`state` as the Struct `rpc.serialize_properties` makes of plain values: top-level None values dropped."""
    struct = struct_pb2.Struct()
    for key, value in state.items():
        if value is not None:
            struct[key] = value
    return struct


class _InlineExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs each submitted call at once in the calling thread.

    The SDK sends every monitor call through the event loop's default executor, as it must for a real gRPC
    engine. The recording monitor answers in microseconds without touching the event loop, so a thread hop per
    call only adds context switches and GIL hand-offs.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as err:  # handed to the awaiting coroutine, as a worker thread would
            future.set_exception(err)
        return future


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that records every `RegisterResource` call (the base class does not keep parents).

    Each record is a dict: type, name, parent (logical name, None for the stack), custom, inputs,
    `dependencies` (input name -> logical names of the resources its value comes from) when any, and `options`
    (see `_options`) when any is set.

    It answers registrations, reads and invokes itself, synchronously: inputs are deserialized once (for the
    record and the mocks alike) and plain outputs go straight into a protobuf Struct, where the base class
    deserializes twice and runs the SDK's asynchronous serializer on an event loop of its own. Outputs that
    are not plain data (resource references, assets) take the base class's path, in a helper thread.
    """

    def __init__(self, mocks: pulumi_mocks.Mocks):
        super().__init__(mocks)
        self.recorded: list[Resource] = []
        self._lock = threading.Lock()

    def _record(self, request: Any, inputs: dict[str, Any]) -> None:
        parent = request.parent
        parent_name = None if not parent or parent.split("::")[2].endswith(STACK_TYPE) else _name_from_urn(parent)
        record = {
            "type": request.type,
            "name": request.name,
            "parent": parent_name,
            "custom": bool(request.custom),
            "inputs": _plain(inputs),
        }
        dependencies = _input_dependencies(request)
        if dependencies:
            record["dependencies"] = dependencies
        options = _options(request)
        if options:
            record["options"] = options
        with self._lock:
            self.recorded.append(record)

    def RegisterResource(self, request: Any) -> Any:  # the gRPC method name
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        inputs = rpc.deserialize_properties(request.object)
        self._record(request, inputs)
        transforms = getattr(pulumi_mocks, "_resolve_callbacks", lambda _: [])(request.transforms)
        resource_args = pulumi_mocks.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=inputs,
            provider=request.provider,
            resource_id=request.importId,
            custom=request.custom or False,
            transforms=transforms,
        )
        resource_id, state = self.mocks.new_resource(resource_args)
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, resource_id, state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=self._serialize(state))

    def ReadResource(self, request: Any) -> Any:  # StackReferences and `get` functions
        inputs = rpc.deserialize_properties(request.properties)
        resource_args = pulumi_mocks.MockResourceArgs(
            typ=request.type, name=request.name, inputs=inputs, provider=request.provider, resource_id=request.id
        )
        resource_id, state = self.mocks.new_resource(resource_args)
        urn = self.make_urn(request.parent, request.type, request.name)
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, resource_id, state)
        return resource_pb2.ReadResourceResponse(urn=urn, properties=self._serialize(state))

    def Invoke(self, request: Any) -> Any:
        if request.tok == "pulumi:pulumi:getResource":
            return self._in_helper_thread(super().Invoke, request)
        args = rpc.deserialize_properties(request.args)
        answer = self.mocks.call(pulumi_mocks.MockCallArgs(token=request.tok, args=args, provider=request.provider))
        result, failures = (answer, []) if isinstance(answer, dict) else answer
        checks = [provider_pb2.CheckFailure(property=prop, reason=reason) for prop, reason in failures or []]
        return resource_pb2.ResourceInvokeResponse(failures=checks, **{"return": self._serialize(result)})

    def _serialize(self, state: dict[str, Any]) -> struct_pb2.Struct:
        if _is_wire_plain(state):
            return _struct(state)
        return self._in_helper_thread(lambda: _sync_await(rpc.serialize_properties(state, {})))

    @staticmethod
    def _in_helper_thread(fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn` in a thread of its own (with its own event loop), as the base class expects to run."""
        context = contextvars.copy_context()
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as helper:
            return helper.submit(context.run, fn, *args).result()


class EcsMocks(pulumi_mocks.Mocks):
    """Realistic outputs for the AWS resources and invokes ecsdelivery uses.

    Outputs echo the inputs and add what AWS computes: `arn`, `id`, `name`, `arnSuffix`, `dnsName`, `zoneId`,
    `repositoryUrl`, and for the remote `awsx:ec2:Vpc` component `vpcId` and public/private subnet ids.
    """

    def __init__(self, *, region: str = DEFAULT_REGION, account_id: str = ACCOUNT_ID, az_count: int = 3):
        self.region = region
        self.account_id = account_id
        self.zones = [f"{region}{letter}" for letter in "abcdef"[:az_count]]

    def _arn(self, service: str, resource: str, *, region: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{self.account_id}:{resource}"

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict]:
        inputs = dict(args.inputs)
        name = inputs.get("name") or args.name
        outputs: dict[str, Any] = {**inputs, "name": name}
        builder = _OUTPUTS.get(args.typ)
        extra = builder(self, args, name) if builder else {"arn": self._arn(args.typ.split(":")[1], f"{name}")}
        outputs.update(extra)
        resource_id = outputs.pop("id", None)
        if resource_id is None:
            # AWS names some resources by their id; a suffix there would make a valid name look too long.
            resource_id = name if args.typ in _ID_IS_NAME else f"{name}-{_suffix(args.typ, args.name, length=8)}"
        return resource_id, outputs

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict, list]:
        # The base monitor iterates the failures list: always return one, even when empty.
        token = args.token
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": self.account_id,
                "arn": f"arn:aws:iam::{self.account_id}:user/ci",
                "userId": "AIDAMOCK",
                "id": self.account_id,
            }, []
        if token == "aws:index/getRegion:getRegion":
            return {"region": self.region, "name": self.region, "id": self.region}, []
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}, []
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            return {"names": self.zones, "zoneIds": [f"use1-az{i + 1}" for i in range(len(self.zones))]}, []
        if token == "aws:route53/getZone:getZone":
            zone = args.args.get("name") or "example.com"
            return {"zoneId": "Z" + _suffix(zone, length=12).upper(), "name": zone, "id": "Z1"}, []
        return {}, []


def _vpc(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    """The awsx VPC's outputs: subnet ids per zone for each subnet type the program asked for (public and
    private by default, as awsx does without `subnetSpecs`; isolated ones only when a spec asks for them)."""
    count = int(args.inputs.get("numberOfAvailabilityZones") or 2)
    specs = [spec for spec in args.inputs.get("subnetSpecs") or [] if isinstance(spec, dict)]
    types = {str(spec.get("type", "")).lower() for spec in specs} or {"public", "private"}
    public = [f"subnet-pub{i}{_suffix(args.name, length=8)}" for i in range(count)]
    private = [f"subnet-prv{i}{_suffix(args.name, length=8)}" for i in range(count)]
    isolated = [f"subnet-iso{i}{_suffix(args.name, length=8)}" for i in range(count)] if "isolated" in types else []
    return {
        "vpcId": f"vpc-{_suffix(args.name)}",
        "publicSubnetIds": public,
        "privateSubnetIds": private,
        "isolatedSubnetIds": isolated,
        "subnets": [],
        "natGateways": [],
        "eips": [],
        "routeTables": [],
        "routeTableAssociations": [],
        "routes": [],
        "vpcEndpoints": [],
    }


def _load_balancer(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    suffix = f"app/{name}/{_suffix(name, length=16)}"
    return {
        "arn": mocks._arn("elasticloadbalancing", f"loadbalancer/{suffix}"),
        "arnSuffix": suffix,
        "dnsName": f"{name}-1234567890.{mocks.region}.elb.amazonaws.com",
        "zoneId": "Z35SXDOTRQ7X7K",
    }


def _target_group(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    suffix = f"targetgroup/{name}/{_suffix(name, length=16)}"
    return {"arn": mocks._arn("elasticloadbalancing", suffix), "arnSuffix": suffix}


def _listener(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    # As AWS forms it: the load balancer's ARN with `listener/` for `loadbalancer/`, plus the listener's id.
    balancer = str(args.inputs.get("loadBalancerArn") or "")
    if ":loadbalancer/" in balancer:
        return {"arn": f"{balancer.replace(':loadbalancer/', ':listener/')}/{_suffix(args.name, length=16)}"}
    return {"arn": mocks._arn("elasticloadbalancing", f"listener/app/{name}/{_suffix(args.name, length=16)}")}


def _repository(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    return {
        "arn": mocks._arn("ecr", f"repository/{name}"),
        "registryId": mocks.account_id,
        "repositoryUrl": f"{mocks.account_id}.dkr.ecr.{mocks.region}.amazonaws.com/{name}",
    }


def _task_definition(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    family = args.inputs.get("family", name)
    return {
        "arn": mocks._arn("ecs", f"task-definition/{family}:1"),
        "arnWithoutRevision": mocks._arn("ecs", f"task-definition/{family}"),
        "revision": 1,
    }


def _cluster(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    arn = mocks._arn("ecs", f"cluster/{name}")
    return {"arn": arn}


def _service(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    cluster = str(args.inputs.get("cluster", "cluster")).rsplit("/", 1)[-1]
    arn = mocks._arn("ecs", f"service/{cluster}/{name}")
    return {"arn": arn, "id": arn}


def _security_group(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    group_id = f"sg-{_suffix(args.name)}"
    return {"id": group_id, "arn": mocks._arn("ec2", f"security-group/{group_id}")}


def _role(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    return {"arn": mocks._arn("iam", f"role/{name}", region=False), "uniqueId": "AROA" + _suffix(name, length=16)}


def _log_group(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    return {"arn": mocks._arn("logs", f"log-group:{name}")}


def _certificate(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    domain = args.inputs.get("domainName", "example.com")
    return {
        "arn": mocks._arn("acm", f"certificate/{_suffix(args.name, length=32)}"),
        "domainValidationOptions": [
            {
                "domainName": domain,
                "resourceRecordName": f"_{_suffix(domain, length=12)}.{domain.removeprefix('*.')}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{_suffix(domain, 'v', length=12)}.acm-validations.aws.",
            }
        ],
    }


def _certificate_validation(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    return {"certificateArn": args.inputs.get("certificateArn", "")}


def _record(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    return {"fqdn": args.inputs.get("name", name)}


def _scaling_target(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    return {"arn": mocks._arn("application-autoscaling", f"scalable-target/{_suffix(args.name, length=24)}")}


def _scaling_policy(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    return {"arn": mocks._arn("autoscaling", f"scalingPolicy:{_suffix(args.name, length=24)}:resource/{name}")}


def _bucket(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    bucket = args.inputs.get("bucket") or name
    return {
        "id": bucket,
        "bucket": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "region": mocks.region,
    }


def _web_acl(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    acl_id = str(uuid_like(args.name))
    return {"id": acl_id, "arn": mocks._arn("wafv2", f"regional/webacl/{name}/{acl_id}")}


def _topic(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    return {"arn": mocks._arn("sns", name)}


def _subscription(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    return {"arn": f"{args.inputs.get('topic')}:{uuid_like(args.name)}"}


def uuid_like(seed: str) -> str:
    digest = _suffix("uuid", seed, length=32)
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"


def _rule(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    return {"arn": mocks._arn("elasticloadbalancing", f"listener-rule/app/{_suffix(args.name, length=16)}")}


def _oidc_provider(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    host = str(args.inputs.get("url") or name).removeprefix("https://")
    return {"arn": f"arn:aws:iam::{mocks.account_id}:oidc-provider/{host}"}


def _managed_policy(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    return {"arn": f"arn:aws:iam::{mocks.account_id}:policy/{name}", "policyId": "ANPA" + _suffix(name).upper()}


def _kms_key(mocks: EcsMocks, args: pulumi_mocks.MockResourceArgs, name: str) -> dict:
    key_id = "-".join(_suffix(args.name, length=32)[i:j] for i, j in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32)))
    return {"arn": mocks._arn("kms", f"key/{key_id}"), "keyId": key_id, "id": key_id}


_OUTPUTS: dict[str, Callable[[EcsMocks, pulumi_mocks.MockResourceArgs, str], dict]] = {
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:iam/policy:Policy": _managed_policy,
    "aws:kms/key:Key": _kms_key,
    "awsx:ec2:Vpc": _vpc,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:lb/listener:Listener": _listener,
    "aws:lb/listenerRule:ListenerRule": _rule,
    "aws:ecr/repository:Repository": _repository,
    "aws:ecs/taskDefinition:TaskDefinition": _task_definition,
    "aws:ecs/cluster:Cluster": _cluster,
    "aws:ecs/service:Service": _service,
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:iam/role:Role": _role,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:acm/certificate:Certificate": _certificate,
    "aws:acm/certificateValidation:CertificateValidation": _certificate_validation,
    "aws:route53/record:Record": _record,
    "aws:appautoscaling/target:Target": _scaling_target,
    "aws:appautoscaling/policy:Policy": _scaling_policy,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:sns/topic:Topic": _topic,
    "aws:sns/topicSubscription:TopicSubscription": _subscription,
}


def _resolve(value: Any) -> Any:
    return _plain(_sync_await(pulumi.Output.from_input(value).future()))


@contextlib.contextmanager
def _monitor_calls_inline(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """Answer the SDK's monitor calls in the loop's own thread for the duration of a run (see `_InlineExecutor`);
    the loop's previous default executor is put back afterwards."""
    previous = getattr(loop, "_default_executor", None)
    inline = _InlineExecutor(max_workers=1)
    loop.set_default_executor(inline)
    try:
        yield
    finally:
        loop._default_executor = previous  # type: ignore[attr-defined]  # no public way to put it back


def run_program(
    program: Callable[[], None],
    *,
    project: str,
    stack: str,
    config: dict[str, str] | None = None,
    preview: bool = False,
    mocks: pulumi_mocks.Mocks | None = None,
) -> Recording:
    """Run `program` under `EcsMocks` (or `mocks`) and return what it registered and exported.

    `config` holds fully qualified keys ("aws:region", "ecsdelivery:image"); the mocks answer in the region
    given by "aws:region" (default us-east-1). Exceptions raised by the program propagate unchanged.
    """
    config = dict(config or {})
    if mocks is None:
        mocks = EcsMocks(region=config.get("aws:region", DEFAULT_REGION))
    monitor = RecordingMonitor(mocks)

    # Fresh globals for each run: root stack, config, settings, so programs never see each other's state.
    settings.reset_options(project=project, stack=stack, preview=preview)
    set_all_config(config)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor)

    with _monitor_calls_inline(_ensure_event_loop()):
        _sync_await(run_pulumi_func(program))

    # Under mocks the root stack registered its outputs at start-up; exports land on its `outputs` dict.
    root = settings.get_root_resource()
    exported = dict(getattr(root, "outputs", {}) or {})
    outputs = {key: _resolve(value) for key, value in exported.items()}
    return Recording(resources=_tree_order(monitor.recorded), outputs=outputs)


def _tree_order(resources: list[Resource]) -> list[Resource]:
    """Registrations arrive from worker threads in no fixed order: sort into a stable depth-first tree order.

    Each resource is followed by its children; siblings are sorted by name, then type.
    """
    by_parent: dict[str | None, list[Resource]] = {}
    for resource in resources:
        by_parent.setdefault(resource["parent"], []).append(resource)
    ordered: list[Resource] = []
    seen: set[int] = set()

    def visit(parent: str | None) -> None:
        for resource in sorted(by_parent.get(parent, []), key=lambda r: (r["name"], r["type"])):
            if id(resource) in seen:
                continue
            seen.add(id(resource))
            ordered.append(resource)
            if resource["name"] != parent:
                visit(resource["name"])

    visit(None)
    # Anything whose parent was never recorded (e.g. a parent registered outside the program) goes last.
    ordered.extend(sorted((r for r in resources if id(r) not in seen), key=lambda r: (r["name"], r["type"])))
    return ordered
