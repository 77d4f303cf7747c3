"""A test double for the Pulumi CLI, for `LocalWorkspaceOptions(pulumi_command=FakePulumiCommand(state))`.

It answers the argv the Automation API builds (`stack select/init/ls/rm/tag/output/history`, `config
set-all/get/rm`, `up`, `preview`, `destroy`, `cancel`, `whoami`) from an in-memory `FakeState` that several
workspaces in one test share. For `up` and `preview` it acts as the engine: it serves a ResourceMonitor backed
by `pulumi.runtime.mocks` and a small Engine (logs) over gRPC on 127.0.0.1, calls `Run` on the inline program's
language server at the `--client` address, and writes engine events to the `--event-log` file (it reports
version 3.200.0, so the SDK uses the event-log file rather than the gRPC event stream of CLIs after 3.205).

Failures look like the real CLI's: exit code 255 and the text `create_command_error` classifies (no stack named
... found, the stack is currently locked by ..., python inline source runtime error).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from concurrent import futures
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format
from google.protobuf.struct_pb2 import Struct
from pulumi.automation import CommandResult, PulumiCommand
from pulumi.automation.errors import create_command_error
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.proto import (
    engine_pb2_grpc,
    language_pb2,
    language_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
)
from semver import VersionInfo

_SECRET_SIG = "4dabf18193072939515e22adb298388d"
_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"
_OPTIONS_WITH_VALUE = {
    "--stack",
    "--secrets-provider",
    "--event-log",
    "--exec-kind",
    "--page-size",
    "--page",
    "--color",
}


class DefaultMocks(pulumi_mocks.Mocks):
    """Outputs = inputs plus an id and an ARN; enough for a small program."""

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict]:
        return f"{args.name}-id", {**args.inputs, "arn": f"arn:aws:mock:::{args.name}"}

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict, list]:
        return {}, []


@dataclass
class FakeStack:
    """One stack's state in the fake backend."""

    name: str
    config: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # urn -> {"type", "state"}
    history: list[dict[str, Any]] = field(default_factory=list)  # newest first
    locked_by: str | None = None


@dataclass
class FakeState:
    """The shared backend: stacks, the last selected stack per work dir, and knobs for failure tests."""

    stacks: dict[str, FakeStack] = field(default_factory=dict)
    selected: dict[str, str] = field(default_factory=dict)
    calls: list[list[str]] = field(default_factory=list)
    mocks_factory: Callable[[], pulumi_mocks.Mocks] = DefaultMocks
    fail_destroy: set[str] = field(default_factory=set)
    interrupt_up: set[str] = field(default_factory=set)
    cancelled: list[str] = field(default_factory=list)
    programs_run: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _now() -> str:
    return datetime.now(UTC).strftime(_TIME)


def _plain(value: Any) -> Any:
    """JSON from a Struct value, secrets unwrapped."""
    if isinstance(value, dict):
        if value.get(_SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270":
            return _plain(value.get("value"))
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class _Monitor(pulumi_mocks.MockMonitor):
    """A MockMonitor that names URNs after the running stack and keeps the root stack's outputs."""

    def __init__(self, mocks: pulumi_mocks.Mocks, project: str, stack: str, state: FakeState) -> None:
        super().__init__(mocks)
        self.project, self.stack, self.state = project, stack, state
        self.stack_outputs: dict[str, Any] = {}
        self.root_urn = f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}"

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        if parent:
            type_ = parent.split("::")[2].split("$")[-1] + "$" + type_
        return f"urn:pulumi:{self.stack}::{self.project}::{type_}::{name}"

    def ReadResource(self, request: Any) -> Any:
        """StackReferences read another stack's outputs from the fake backend, as the engine does."""
        if request.type != "pulumi:pulumi:StackReference":
            return super().ReadResource(request)
        other = request.id.rsplit("/", 1)[-1]
        outputs = self.state.stacks[other].outputs if other in self.state.stacks else {}
        properties = json_format.ParseDict({"name": request.id, "outputs": outputs, "secretOutputNames": []}, Struct())
        urn = self.make_urn(request.parent, request.type, request.name)
        return resource_pb2.ReadResourceResponse(urn=urn, properties=properties)

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn == self.root_urn or request.urn.split("::")[2] == "pulumi:pulumi:Stack":
            self.stack_outputs = _plain(json_format.MessageToDict(request.outputs))
        return empty_pb2.Empty()

    def SupportsFeature(self, request: Any) -> Any:
        return resource_pb2.SupportsFeatureResponse(hasSupport=request.id != "outputValues")


def _servicer(monitor: _Monitor) -> resource_pb2_grpc.ResourceMonitorServicer:
    """Expose the monitor's methods as gRPC handlers; a mock's exception becomes an RPC error."""

    class Servicer(resource_pb2_grpc.ResourceMonitorServicer):
        pass

    def handler(name: str) -> Callable[..., Any]:
        def call(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
            try:
                return getattr(monitor, name)(request)
            except Exception as err:  # a mock failing is the program's failure
                context.abort(grpc.StatusCode.UNKNOWN, f"{type(err).__name__}: {err}")

        return call

    for name in dir(resource_pb2_grpc.ResourceMonitorServicer):
        if name[0].isupper() and hasattr(monitor, name):
            setattr(Servicer, name, handler(name))
    return Servicer()


class _Engine(engine_pb2_grpc.EngineServicer):
    """Collects the program's log messages (`pulumi.log.*`)."""

    _SEVERITY = {0: "debug", 1: "info", 2: "warning", 3: "error"}

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    def Log(self, request: Any, context: Any) -> Any:
        self.messages.append((self._SEVERITY.get(request.severity, "info"), request.message))
        return empty_pb2.Empty()


def _parse(args: list[str]) -> tuple[list[str], dict[str, str], set[str]]:
    """Positionals, options with values, and flags of an argv."""
    positionals: list[str] = []
    options: dict[str, str] = {}
    flags: set[str] = set()
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            positionals.extend(args[i + 1 :])
            break
        if arg.startswith("--") and "=" in arg:
            key, value = arg.split("=", 1)
            options[key] = value
        elif arg in _OPTIONS_WITH_VALUE:
            options[arg] = args[i + 1]
            i += 1
        elif arg.startswith("--"):
            flags.add(arg)
        else:
            positionals.append(arg)
        i += 1
    return positionals, options, flags


class _Fail(Exception):
    def __init__(self, stderr: str, stdout: str = "") -> None:
        super().__init__(stderr)
        self.stderr, self.stdout = stderr, stdout


class FakePulumiCommand(PulumiCommand):
    """The double. `FakePulumiCommand(state)`; every workspace given the same state sees the same stacks."""

    def __init__(self, state: FakeState | None = None, version: str = "3.200.0") -> None:
        # No `pulumi version` subprocess: the double is the CLI.
        self.command = "pulumi"
        self.version = VersionInfo.parse(version)
        self.state = state or FakeState()

    # -- entry point -----------------------------------------------------------------------------------------

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: Callable[[str], Any] | None = None,
        on_error: Callable[[str], Any] | None = None,
    ) -> CommandResult:
        args = [a for a in args if a != "--non-interactive"]
        self.state.calls.append(list(args))
        out: list[str] = []

        def say(line: str) -> None:
            out.append(line)
            if on_output:
                on_output(line)

        positionals, options, flags = _parse(args)
        try:
            code = self._dispatch(positionals, options, flags, cwd, say)
        except _Fail as fail:
            if fail.stdout:
                say(fail.stdout)
            if on_error:
                on_error(fail.stderr)
            raise create_command_error(CommandResult(stdout="\n".join(out), stderr=fail.stderr, code=255)) from None
        return CommandResult(stdout="\n".join(out), stderr="", code=code)

    def _stack(self, name: str | None) -> FakeStack:
        if not name or name not in self.state.stacks:
            raise _Fail(f"error: no stack named '{name}' found")
        return self.state.stacks[name]

    def _dispatch(
        self, pos: list[str], opts: dict[str, str], flags: set[str], cwd: str, say: Callable[[str], None]
    ) -> int:
        name = opts.get("--stack") or self.state.selected.get(cwd)
        verb = pos[:2] if pos and pos[0] in {"stack", "config"} else pos[:1]
        if verb == ["whoami"]:
            say("fake-user")
        elif verb == ["stack", "select"] or verb == ["stack"]:
            self._stack(name)
            self.state.selected[cwd] = name  # type: ignore[assignment]
        elif verb == ["stack", "init"]:
            new = pos[2]
            with self.state.lock:
                if new in self.state.stacks:
                    raise _Fail(f"error: stack '{new}' already exists")
                self.state.stacks[new] = FakeStack(new)
            self.state.selected[cwd] = new
        elif verb == ["stack", "ls"]:
            say(
                json.dumps(
                    [self._summary(s, s.name == self.state.selected.get(cwd)) for s in self.state.stacks.values()]
                )
            )
        elif verb == ["stack", "rm"]:
            stack = self._stack(pos[2])
            if stack.resources and "--force" not in flags:
                raise _Fail(f"error: '{stack.name}' still has resources; removal rejected")
            with self.state.lock:
                del self.state.stacks[stack.name]
        elif verb == ["stack", "tag"]:
            self._tag(self._stack(name), pos[2:], say)
        elif verb == ["stack", "output"]:
            stack = self._stack(name)
            say(json.dumps(stack.outputs if "--show-secrets" in flags else _masked(stack.outputs)))
        elif verb == ["stack", "history"]:
            history = self._stack(name).history
            if "--page-size" in opts:
                size, page = int(opts["--page-size"]), int(opts.get("--page", "1"))
                history = history[(page - 1) * size : page * size]
            say(json.dumps(history))
        elif verb == ["config", "set-all"]:
            stack = self._stack(name)
            for item in pos[2:]:
                key, value = item.split("=", 1)
                stack.config[key] = value
        elif verb == ["config", "set"]:
            self._stack(name).config[pos[2]] = pos[3]
        elif verb == ["config", "get"]:
            stack = self._stack(name)
            if pos[2] not in stack.config:
                raise _Fail(f"error: configuration key '{pos[2]}' not found for stack '{name}'")
            say(json.dumps({"value": stack.config[pos[2]], "secret": False}))
        elif verb == ["config", "rm"]:
            self._stack(name).config.pop(pos[2], None)
        elif verb == ["config"]:
            say(json.dumps({k: {"value": v, "secret": False} for k, v in self._stack(name).config.items()}))
        elif verb == ["cancel"]:
            stack = self._stack(name)
            self.state.cancelled.append(stack.name)
            stack.locked_by = None
        elif verb in (["up"], ["preview"]):
            return self._update(self._stack(name), opts, flags, cwd, say, preview=verb == ["preview"])
        elif verb == ["destroy"]:
            return self._destroy(self._stack(name), opts, say)
        else:
            raise _Fail(f"error: the fake pulumi does not implement {' '.join(pos)!r}")
        return 0

    @staticmethod
    def _summary(stack: FakeStack, current: bool) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "name": stack.name,
            "current": current,
            "updateInProgress": stack.locked_by is not None,
        }
        if stack.history:
            summary["lastUpdate"] = stack.history[0]["endTime"]
            summary["resourceCount"] = len(stack.resources) + 1
        return summary

    @staticmethod
    def _tag(stack: FakeStack, pos: list[str], say: Callable[[str], None]) -> None:
        action = pos[0]
        if action == "set":
            stack.tags[pos[1]] = pos[2]
        elif action == "rm":
            stack.tags.pop(pos[1], None)
        elif action == "get":
            if pos[1] not in stack.tags:
                raise _Fail(f"error: stack tag '{pos[1]}' not found for stack '{stack.name}'")
            say(stack.tags[pos[1]])
        else:
            say(json.dumps(stack.tags))

    def _check_lock(self, stack: FakeStack) -> None:
        if stack.locked_by:
            raise _Fail(
                "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end "
                f"or delete the lock file with `pulumi cancel`.\n  {stack.locked_by}"
            )

    # -- the engine -------------------------------------------------------------------------------------------

    def _run_program(self, stack: FakeStack, client: str, cwd: str, preview: bool) -> tuple[_Monitor, _Engine, str]:
        project = "ecsdelivery"
        monitor = _Monitor(self.state.mocks_factory(), project, stack.name, self.state)
        engine = _Engine()
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        resource_pb2_grpc.add_ResourceMonitorServicer_to_server(_servicer(monitor), server)
        engine_pb2_grpc.add_EngineServicer_to_server(engine, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        try:
            with grpc.insecure_channel(client) as channel:
                request = language_pb2.RunRequest(
                    project=project,
                    stack=stack.name,
                    pwd=cwd,
                    args=[f"127.0.0.1:{port}"],
                    config=dict(stack.config),
                    dryRun=preview,
                    parallel=4,
                    monitor_address=f"127.0.0.1:{port}",
                    organization="organization",
                )
                error = language_pb2_grpc.LanguageRuntimeStub(channel).Run(request).error
        except grpc.RpcError as err:  # the language host itself failed
            error = f"python inline source runtime error: {err.details()}"
        finally:
            server.stop(0)
        self.state.programs_run.append({"stack": stack.name, "preview": preview, "config": dict(stack.config)})
        return monitor, engine, error

    def _update(
        self,
        stack: FakeStack,
        opts: dict[str, str],
        flags: set[str],
        cwd: str,
        say: Callable[[str], None],
        *,
        preview: bool,
    ) -> int:
        self._check_lock(stack)
        if not preview and stack.name in self.state.interrupt_up:
            stack.locked_by = f"an update of {stack.name} interrupted by the test"
            raise KeyboardInterrupt
        kind = "preview" if preview else "update"
        say(f"{'Previewing update' if preview else 'Updating'} ({stack.name}):")
        started = _now()
        monitor, engine, error = self._run_program(stack, opts["--client"], cwd, preview)
        for severity, message in engine.messages:
            if severity in {"warning", "error"}:
                say(f"    {severity}: {message}")
        events = _EventLog(opts.get("--event-log"))
        if error:
            say(f"    error: {error.splitlines()[0]}")
            events.write({"diagnosticEvent": {"message": error, "severity": "error"}})
            events.write({"summaryEvent": {"resourceChanges": {}, "durationSeconds": 0}})
            events.close()
            if not preview:
                stack.history.insert(0, _history(kind, "failed", stack.config, {}, started))
            raise _Fail("error: update failed", stdout="")
        new = {
            urn: {"type": urn.split("::")[2].split("$")[-1], "state": _jsonable(reg.state)}
            for urn, reg in monitor.get_registered_resources().items()
        }
        changes: dict[str, int] = {}
        for urn, resource in new.items():
            old = stack.resources.get(urn)
            op = "create" if old is None else ("same" if old["state"] == resource["state"] else "update")
            changes[op] = changes.get(op, 0) + 1
            events.write({"resourcePreEvent": {"metadata": {"op": op, "urn": urn, "type": resource["type"]}}})
            if op != "same":
                say(f" {'+' if op == 'create' else '~'}  {resource['type']} {urn.rsplit('::', 1)[-1]} {op}")
        for urn, resource in stack.resources.items():
            if urn not in new:
                changes["delete"] = changes.get("delete", 0) + 1
                events.write({"resourcePreEvent": {"metadata": {"op": "delete", "urn": urn, "type": resource["type"]}}})
                say(f" -  {resource['type']} {urn.rsplit('::', 1)[-1]} delete")
        events.write({"summaryEvent": {"resourceChanges": changes, "durationSeconds": 1}})
        events.close()
        if not preview:
            stack.resources = new
            stack.outputs = monitor.stack_outputs
            stack.history.insert(0, _history(kind, "succeeded", stack.config, changes, started))
        say("Resources:")
        for op, count in sorted(changes.items()):
            say(f"    {count} {op}")
        return 0

    def _destroy(self, stack: FakeStack, opts: dict[str, str], say: Callable[[str], None]) -> int:
        self._check_lock(stack)
        started = _now()
        events = _EventLog(opts.get("--event-log"))
        if stack.name in self.state.fail_destroy:
            events.close()
            stack.history.insert(0, _history("destroy", "failed", stack.config, {}, started))
            raise _Fail(
                "error: update failed",
                stdout=f"    error: deleting {stack.name}: DependencyViolation: resource has a dependent object",
            )
        say(f"Destroying ({stack.name}):")
        count = len(stack.resources)
        for urn, resource in stack.resources.items():
            events.write({"resourcePreEvent": {"metadata": {"op": "delete", "urn": urn, "type": resource["type"]}}})
        events.write({"summaryEvent": {"resourceChanges": {"delete": count}, "durationSeconds": 1}})
        events.close()
        stack.resources, stack.outputs = {}, {}
        stack.history.insert(0, _history("destroy", "succeeded", stack.config, {"delete": count}, started))
        say(f"Resources:\n    {count} deleted")
        return 0


class _EventLog:
    """Writes engine events as JSON lines, ending with the cancel event the SDK's watcher waits for."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.sequence = 0
        if path:
            open(path, "a", encoding="utf-8").close()

    def write(self, event: dict[str, Any]) -> None:
        if not self.path:
            return
        self.sequence += 1
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"sequence": self.sequence, "timestamp": 0, **event}) + "\n")

    def close(self) -> None:
        self.write({"cancelEvent": {}})


def _history(kind: str, result: str, config: dict[str, str], changes: dict[str, int], started: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "startTime": started,
        "endTime": _now(),
        "message": "",
        "environment": {"exec.kind": "auto.inline"},
        "config": {k: {"value": v, "secret": False} for k, v in config.items()},
        "result": result,
        "resourceChanges": changes,
        "version": 0,
    }


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _masked(outputs: dict[str, Any]) -> dict[str, Any]:
    return dict(outputs)
