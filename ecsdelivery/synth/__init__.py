"""Offline synthesis: run a Pulumi program in-process under mocks and record what it would register.

`synthesize("dev")` resolves the stack once (`ecsdelivery.stack.resolve_stack`) and runs the program
(`ecsdelivery.program.deliver`) on it under the recording mocks of
`ecsdelivery.synth.mocks`: no Pulumi CLI, no provider plugins, no network, no credentials. The result lists
every resource (type token, logical name, parent, inputs as the engine sees them) and the stack outputs;
`check_payloads(result)` checks the AWS payloads among them against botocore's service models
(`ecsdelivery.synth.awsshapes`).

    result = synthesize("preview", pr=42)
    [r["name"] for r in result.resources if r["type"] == "aws:lb/listenerRule:ListenerRule"]
    check_payloads(result)   # [] when every payload is valid AWS API input

Values other stacks or AWS would provide are mocked: a preview's `StackReference` to dev answers with
plausible platform outputs (with the `protocol` dev's own resolved stack exports), ARNs and ids come from the
mocks, and without an image a placeholder digest (`PLACEHOLDER_DIGEST`) in the stack's repository stands in for
the deploy image.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecsdelivery.stack import ResolvedStack

#: The digest used when no image is given: all zeros, so it can never be mistaken for a real image.
PLACEHOLDER_DIGEST = "sha256:" + "0" * 64
PROJECT = "ecsdelivery"
ORGANIZATION = "organization"  # what Pulumi's local backends call the organization

Resource = dict[str, Any]


@dataclass
class SynthResult:
    """What a stack's program registers and exports, offline.

    Attributes:
        stack: the Pulumi stack name (`dev`, `pr-42`, ...).
        resources: dicts with `type`, `name`, `parent` (the parent's logical name, None for the stack) and
            `inputs` (camelCase property names as the engine sees them), in registration order.
        outputs: the stack outputs, resolved.
        image: the deploy image reference the program ran with.
        placeholder_image: True when no image was given and `PLACEHOLDER_DIGEST` stood in for it.
        warnings: messages the program logged as warnings (e.g. deploying a tag).
    """

    stack: str
    resources: list[Resource]
    outputs: dict[str, Any]
    image: str | None = None
    placeholder_image: bool = False
    warnings: list[str] = field(default_factory=list)
    #: fully qualified names of the stacks read through a `pulumi.StackReference` (a preview reads dev's platform)
    stack_references: list[str] = field(default_factory=list)
    #: resource options set on resources (e.g. `{"ecr-repo": {"protect": True, "retainOnDelete": True}}`), by
    #: logical name (`ecsdelivery.synth.mocks` lists which)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the resolved stack the program ran on (environment, hosts, priorities, URLs, ...); not in to_json
    resolved: ResolvedStack | None = None
    #: by logical name: input name -> logical names of the resources its value comes from
    dependencies: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def resource_options(self, name: str) -> dict[str, Any]:
        """Every option the engine orders and keeps by, for the resource `name`: `deleteBeforeReplace`,
        `protect`, `retainOnDelete`, `ignoreChanges`, `dependsOn` (defaults when unset), plus
        `replaceOnChanges` and `aliases` when set."""
        options = self.options.get(name, {})
        return {
            "deleteBeforeReplace": bool(options.get("deleteBeforeReplace", False)),
            "protect": bool(options.get("protect", False)),
            "retainOnDelete": bool(options.get("retainOnDelete", False)),
            "ignoreChanges": list(options.get("ignoreChanges", [])),
            "dependsOn": list(options.get("dependsOn", [])),
            **{key: options[key] for key in ("replaceOnChanges", "aliases") if key in options},
        }

    def to_json(self) -> dict[str, Any]:
        """`{"stack": ..., "resources": [{"type", "name", "parent", "inputs", "options", "dependencies"}],
        "outputs": {...}}`."""
        resources = [
            {
                **resource,
                "options": self.resource_options(resource["name"]),
                "dependencies": self.dependencies.get(resource["name"], {}),
            }
            for resource in self.resources
        ]
        return {"stack": self.stack, "resources": resources, "outputs": self.outputs}

    def of_type(self, type_: str) -> list[Resource]:
        """Every resource with the type token `type_`."""
        return [r for r in self.resources if r["type"] == type_]


def _platform_outputs(namespace: str, stack: str, app: str, region: str, account: str, protocol: str) -> dict[str, Any]:
    """Plausible outputs of another stack's platform (what `mode: stack` reads through a StackReference)."""
    from ecsdelivery.naming import Label

    label = Label(namespace, stack, app)
    cluster = label.name_for("ecs_cluster")
    alb = label.name_for("load_balancer")
    return {
        "vpcId": "vpc-0123456789abcdef0",
        "privateSubnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
        "publicSubnetIds": ["subnet-0a1b2c3d4e5f60101", "subnet-0a1b2c3d4e5f60102"],
        "clusterArn": f"arn:aws:ecs:{region}:{account}:cluster/{cluster}",
        "clusterName": cluster,
        "listenerArn": f"arn:aws:elasticloadbalancing:{region}:{account}:listener/app/{alb}/0123456789abcdef/0f1e2d3c",
        "albSecurityGroupId": "sg-0123456789abcdef0",
        "albDnsName": f"{alb}-1234567890.{region}.elb.amazonaws.com",
        "albZoneId": "Z35SXDOTRQ7X7K",
        "protocol": protocol,
        "standbyListenerArn": f"arn:aws:elasticloadbalancing:{region}:{account}:listener/app/{alb}/0123456789abcdef/5a",
    }


def _mocks(stack: ResolvedStack) -> Any:
    """EcsMocks that also answer StackReferences with a platform's outputs and remember warnings."""
    from pulumi.runtime import mocks as pulumi_mocks

    from ecsdelivery.synth.mocks import EcsMocks

    class SynthMocks(EcsMocks):
        stack_references: list[str] = []

        def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict]:
            if args.typ == "pulumi:pulumi:StackReference":
                name = str(args.inputs.get("name") or args.name)
                self.stack_references.append(name)
                referenced = name.rsplit("/", 1)[-1]
                outputs = _platform_outputs(
                    config.namespace, referenced, config.app, config.region, config.accounts[0], protocol
                )
                return name, {"name": name, "outputs": outputs, "secretOutputNames": []}
            return super().new_resource(args)

    config, protocol = stack.config, stack.protocol  # the platform stack exports what its resolved stack says
    mocks = SynthMocks(region=config.region, account_id=config.accounts[0])
    mocks.stack_references = []
    return mocks


@contextlib.contextmanager
def _fast_registrations() -> Iterator[None]:
    """Skip work that only matters to a real engine, for the duration of a mock run.

    - Source positions: the SDK walks and formats the Python stack for every resource so the engine can point
      at the line that created it; mocks discard them (a quarter of the time of a 50-service synth).
    - The cyclic garbage collector: registrations allocate hundreds of thousands of futures, and each full
      collection also walks the million objects the pulumi-aws modules hold; collecting once at the end
      is about a third faster. The previous state is restored afterwards.
    """
    import gc

    import pulumi.runtime.resource as runtime_resource

    original = getattr(runtime_resource, "_get_stack_trace", None)
    if original is not None:
        from pulumi.runtime.proto import source_pb2

        runtime_resource._get_stack_trace = source_pb2.StackTrace  # an empty trace: no source position
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if original is not None:
            runtime_resource._get_stack_trace = original
        if collecting:
            gc.enable()


class _WarningCapture(logging.Handler):
    """Keeps the messages of the warnings (and errors) the mock engine logs."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def synthesize(
    env: str,
    *,
    pr: int | None = None,
    image: str | None = None,
    stacks_dir: str = "stacks",
    local: bool = False,
) -> SynthResult:
    """Resolve `env` (with `pr` for a preview) and run the delivery program on it under mocks.

    Args:
        env: dev, staging, prod, shared, preview (needs `pr`), or `pr-<N>`.
        pr: the pull request number of a preview.
        image: the deploy image (also `${IMAGE}` in the stack file); default None:
            `<stack's repository>@PLACEHOLDER_DIGEST`.
        stacks_dir: directory of the stack files. Default: "stacks".
        local: synthesise as for a local emulator (no ACM certificate, no Route 53 records).

    Raises:
        UsageError, ConfigError: a bad environment, PR number, image or stack file (exit code 2).
    """
    from ecsdelivery.stack import resolve_stack

    stack = resolve_stack(env, pr=pr, image=image, stacks_dir=stacks_dir, local=local)
    return synthesize_stack(stack)


def synthesize_stack(stack: ResolvedStack) -> SynthResult:
    """Run the delivery program on a resolved stack under mocks; without an image, `PLACEHOLDER_DIGEST` in the
    stack's repository stands in for it."""
    from ecsdelivery.errors import ConfigError, EcsDeliveryError
    from ecsdelivery.program import deliver
    from ecsdelivery.synth.mocks import run_program

    placeholder = stack.image is None
    if placeholder:
        stack = stack.with_image(f"{stack.repository_url}@{PLACEHOLDER_DIGEST}")
    assert stack.image is not None
    # The mock engine logs the program's warnings to the root logger; keep them for the report instead.
    capture = _WarningCapture()
    root = logging.getLogger()
    root.addHandler(capture)
    mocks = _mocks(stack)
    try:
        with _fast_registrations():
            recording = run_program(
                lambda: deliver(stack),
                project=PROJECT,
                stack=stack.name,
                config={"aws:region": stack.config.region},
                mocks=mocks,
            )
    except EcsDeliveryError:
        raise
    except (ValueError, TypeError) as err:
        # Components reject impossible arguments with ValueError: a stack-file problem, not a crash.
        raise ConfigError([f"{stack.name}: the program rejected the stack: {err}"]) from None
    finally:
        root.removeHandler(capture)
    resources = [
        {"type": r["type"], "name": r["name"], "parent": r["parent"], "inputs": r["inputs"]}
        for r in recording.resources
    ]
    return SynthResult(
        stack=stack.name,
        resources=resources,
        outputs=recording.outputs,
        image=stack.image.reference,
        placeholder_image=placeholder,
        warnings=capture.messages,
        stack_references=list(mocks.stack_references),
        options={r["name"]: r["options"] for r in recording.resources if r.get("options")},
        resolved=stack,
        dependencies={r["name"]: r["dependencies"] for r in recording.resources if r.get("dependencies")},
    )


def check_payloads(result: SynthResult) -> list[str]:
    """Problems with the AWS payloads among `result`'s resources; [] when every one is valid API input."""
    from ecsdelivery.synth.awsshapes import check_resources

    return check_resources(result.resources)


__all__ = ["PLACEHOLDER_DIGEST", "SynthResult", "check_payloads", "synthesize", "synthesize_stack"]
