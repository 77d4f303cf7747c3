"""Check the AWS payloads a program builds against botocore's bundled service models, offline.

Pulumi's mocks accept anything (`cpu="-1"`, a port of 70000, a lifecycle rule with a misspelt `countType`);
AWS would reject them at deploy time. This module turns the inputs recorded for each resource into the request
the AWS provider would send and checks it in three passes:

1. `botocore.validate.ParamValidator` against the operation's input shape: required keys, unknown keys, types,
   minimum lengths and values.
2. A walk over the same shapes for what `ParamValidator` skips: enum values, maximum lengths and item counts,
   maximum numbers and string patterns. The models' patterns are Java regular expressions; `\\p{L}`-style
   classes are widened to Python equivalents (`\\w`, `\\s`) so the check never rejects a value AWS accepts,
   and a pattern that still does not compile is skipped.
3. Rules the models do not hold, taken from the AWS documentation: Fargate task sizes, port ranges, container
   health-check bounds, ELBv2 condition values, CloudWatch Logs retention days, the ECR lifecycle policy JSON,
   and IAM policy documents.

Every problem is one line: `resources[<logical name>].<path in the API request>: <what is wrong>`, e.g.
`resources[acme-dev-web-task].containerDefinitions[0].portMappings[0].containerPort: 70000 exceeds 65535`.

    problems = check_resource("aws:ecs/taskDefinition:TaskDefinition", "web-task", inputs)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any

#: How the mock recorder prints a value the engine does not know yet; such values are left out of payloads.
UNKNOWN = "<unknown>"

Payload = dict[str, Any]

# --------------------------------------------------------------------------------------------------------------
# botocore models


#: The operations this module validates, by botocore service name.
OPERATIONS: dict[str, tuple[str, ...]] = {
    "ecs": ("RegisterTaskDefinition", "CreateService", "CreateCluster"),
    "elbv2": ("CreateRule", "CreateListener", "CreateTargetGroup", "CreateLoadBalancer"),
    "ec2": ("CreateSecurityGroup",),
    "ecr": ("CreateRepository", "PutLifecyclePolicy", "SetRepositoryPolicy"),
    "logs": ("CreateLogGroup",),
    "iam": ("CreateRole", "PutRolePolicy", "CreatePolicy", "AttachRolePolicy"),
    "cloudwatch": ("PutMetricAlarm",),
    "wafv2": ("CreateWebACL", "AssociateWebACL"),
    "kms": ("CreateKey", "CreateAlias"),
    "sns": ("CreateTopic", "SetTopicAttributes", "Subscribe"),
    "application-autoscaling": ("RegisterScalableTarget", "PutScalingPolicy"),
    "s3": (
        "CreateBucket",
        "PutBucketPolicy",
        "PutPublicAccessBlock",
        "PutBucketLifecycleConfiguration",
        "PutBucketEncryption",
        "PutBucketOwnershipControls",
    ),
}


def _reachable_shapes(shapes: Mapping[str, Any], roots: Iterable[str]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in kept or name not in shapes:
            continue
        shape = kept[name] = shapes[name]
        for ref in (*shape.get("members", {}).values(), shape.get("member"), shape.get("key"), shape.get("value")):
            if isinstance(ref, Mapping) and "shape" in ref:
                pending.append(ref["shape"])
    return kept


def _without_docs(value: Any) -> Any:
    """The model without its `documentation` prose (most of its size; validation never reads it)."""
    if isinstance(value, Mapping):
        return {k: _without_docs(v) for k, v in value.items() if k != "documentation"}
    if isinstance(value, list):
        return [_without_docs(v) for v in value]
    return value


def _cache_file(service: str) -> Any:
    from pathlib import Path

    import botocore

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    operations = ",".join(OPERATIONS.get(service, ()))
    key = hashlib.sha256(f"{botocore.__version__}/{service}/{operations}".encode()).hexdigest()[:16]
    return Path(base) / "ecsdelivery" / f"botocore-{service}-{key}.json"


def _model_data(service: str) -> dict[str, Any]:
    """The service model trimmed to the checked operations and the shapes they reach.

    botocore's full models are megabytes of JSON (a fifth of a second to load the six used here); the trimmed
    copy is cached per botocore version under `$XDG_CACHE_HOME/ecsdelivery` (default `~/.cache`). Without a
    writable cache the full model is loaded every time, with the same result.
    """
    path = _cache_file(service)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    import botocore.loaders

    full = botocore.loaders.create_loader().load_service_model(service, "service-2")
    operations = {name: full["operations"][name] for name in OPERATIONS.get(service, ()) if name in full["operations"]}
    if not operations:
        return full  # an operation not in the list: keep the whole model
    roots = [op["input"]["shape"] for op in operations.values() if "input" in op]
    trimmed = {
        "version": full.get("version", "2.0"),
        "metadata": full["metadata"],
        "operations": {name: {k: v for k, v in op.items() if k != "output"} for name, op in operations.items()},
        "shapes": _without_docs(_reachable_shapes(full["shapes"], roots)),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(trimmed), encoding="utf-8")
        temporary.replace(path)
    except OSError:
        pass  # a read-only home: no cache, same answers
    return trimmed


@cache
def _service_model(service: str) -> Any:
    from botocore.model import ServiceModel  # deferred: only synth needs botocore

    return ServiceModel(_model_data(service), service_name=service)


@cache
def input_shape(service: str, operation: str) -> Any:
    """The input shape of `operation` in `service`'s bundled model (e.g. "ecs", "RegisterTaskDefinition")."""
    return _service_model(service).operation_model(operation).input_shape


_JAVA_CLASSES_IN_SET = {
    # Widened on purpose: a superset never rejects a value AWS accepts.
    "L": r"\w",
    "N": r"\w",
    "Z": r"\s",
    "Print": r"\x20-\x7e",
    "ASCII": r"\x00-\x7f",
}


def java_pattern_to_python(pattern: str) -> re.Pattern[str] | None:
    """Compile a Java pattern from a service model as a Python regex, or None when it cannot be used.

    `\\p{X}` classes become Python classes (widened: letters and numbers to `\\w`, separators to `\\s`);
    patterns that still fail to compile (nested classes, surrogate ranges) return None and are skipped.
    """
    out: list[str] = []
    in_set = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in "pP" and i + 2 < len(pattern) and pattern[i + 2] == "{":
                end = pattern.find("}", i + 3)
                if end < 0 or nxt == "P":
                    return None
                replacement = _JAVA_CLASSES_IN_SET.get(pattern[i + 3 : end])
                if replacement is None:
                    return None
                out.append(replacement if in_set else f"[{replacement}]")
                i = end + 1
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if ch == "[":
            if in_set:
                return None  # Java's nested classes and intersections have no Python equivalent
            in_set = True
        elif ch == "]" and in_set:
            in_set = False
        out.append(ch)
        i += 1
    try:
        return re.compile("".join(out))
    except re.error:
        return None


@cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    return java_pattern_to_python(pattern)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _join(path: str, key: str) -> str:
    if not key:
        return path
    return f"{path}.{key}" if path else key


def _param_validator_problems(params: Payload, shape: Any) -> list[tuple[str, str]]:
    from botocore.validate import ParamValidator

    report = ParamValidator().validate(params, shape)
    found: list[tuple[str, str]] = []
    # `_errors` holds (reason, name, details); the public report is one prose string without structure.
    for reason, name, details in getattr(report, "_errors", []):
        path = name.lstrip(".")
        if reason == "missing required field":
            found.append((_join(path, details["required_name"]), "is required"))
        elif reason == "unknown field":
            found.append((_join(path, details["unknown_param"]), "is not a field of this AWS request"))
        elif reason == "invalid type":
            expected = " or ".join(t.split("'")[1] if "'" in t else t for t in details["valid_types"])
            found.append((path, f"{_short(details['param'])} has the wrong type (expected {expected})"))
        elif reason == "invalid range":
            found.append((path, f"{details['param']} is below the minimum {details['min_allowed']}"))
        elif reason == "invalid length":
            found.append((path, f"length {details['param']} is below the minimum {details['min_allowed']}"))
        else:
            found.append((path, reason))
    if report.has_errors() and not found:
        found.append(("", report.generate_report()))
    return found


def _walk(value: Any, shape: Any, path: str, found: list[tuple[str, str]]) -> None:
    """Enum, maximum and pattern checks over a value already type-checked by ParamValidator."""
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        for key, item in value.items():
            if key in shape.members:
                _walk(item, shape.members[key], _join(path, key), found)
    elif kind == "list" and isinstance(value, list | tuple):
        if "max" in meta and len(value) > meta["max"]:
            found.append((path, f"{len(value)} items exceed the maximum of {meta['max']}"))
        for index, item in enumerate(value):
            _walk(item, shape.member, f"{path}[{index}]", found)
    elif kind == "map" and isinstance(value, Mapping):
        if "max" in meta and len(value) > meta["max"]:
            found.append((path, f"{len(value)} entries exceed the maximum of {meta['max']}"))
        for key, item in value.items():
            _walk(key, shape.key, f"{path} (key {key!r})", found)
            _walk(item, shape.value, f"{path}.{key}", found)
    elif kind == "string" and isinstance(value, str):
        enum = getattr(shape, "enum", None) or meta.get("enum")
        if enum and value not in enum:
            found.append((path, f"{_short(value)} is not one of {', '.join(enum)}"))
        if "max" in meta and len(value) > meta["max"]:
            found.append((path, f"length {len(value)} exceeds the maximum of {meta['max']}"))
        pattern = meta.get("pattern")
        compiled = _compiled(pattern) if pattern else None
        if compiled is not None and compiled.fullmatch(value) is None:
            found.append((path, f"{_short(value)} does not match the pattern {pattern}"))
    elif (
        kind in ("integer", "long", "float", "double")
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and "max" in meta
        and value > meta["max"]
    ):
        found.append((path, f"{value} exceeds {meta['max']}"))


def validate_request(service: str, operation: str, params: Payload) -> list[tuple[str, str]]:
    """(path, problem) pairs for `params` as the input of `service`'s `operation`, in both passes."""
    shape = input_shape(service, operation)
    found = _param_validator_problems(params, shape)
    _walk(params, shape, "", found)
    return found


# --------------------------------------------------------------------------------------------------------------
# Rules from the AWS documentation that the models do not carry

#: Fargate task sizes: CPU units -> allowed memory (MiB). "Task CPU and memory", Amazon ECS developer guide.
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}

#: CloudWatch Logs `PutRetentionPolicy` accepts only these day counts.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922)
LOG_RETENTION_DAYS += (3288, 3653)

#: Log drivers Fargate tasks may use ("Fargate task definition considerations").
FARGATE_LOG_DRIVERS = ("awslogs", "splunk", "awsfirelens")

_CONTAINER_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
_FAMILY = re.compile(r"[A-Za-z0-9_-]{1,255}")
_TARGET_GROUP_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?")
_HOST_VALUE = re.compile(r"[A-Za-z0-9.*?-]{1,128}")
_HTTP_CODES = re.compile(r"[0-9]{3}(?:-[0-9]{3})?(?:,[0-9]{3}(?:-[0-9]{3})?)*")


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _in_range(found: list[tuple[str, str]], path: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, int) and not isinstance(value, bool):
        if value > high:
            found.append((path, f"{value} exceeds {high}"))
        elif value < low:
            found.append((path, f"{value} is below the minimum {low}"))


def container_definition_rules(containers: Any, *, fargate: bool, awsvpc: bool) -> list[tuple[str, str]]:
    """Documented ECS limits on container definitions that the ECS model leaves unconstrained."""
    found: list[tuple[str, str]] = []
    if not isinstance(containers, list):
        return found
    names: set[str] = set()
    for index, container in enumerate(containers):
        base = f"containerDefinitions[{index}]"
        if not isinstance(container, Mapping):
            continue
        name = container.get("name")
        if isinstance(name, str):
            if not _CONTAINER_NAME.fullmatch(name):
                found.append((f"{base}.name", f"{name!r} must be 1-255 letters, digits, hyphens or underscores"))
            if name in names:
                found.append((f"{base}.name", f"{name!r} is used by another container"))
            names.add(name)
        image = container.get("image")
        if isinstance(image, str) and (not image or len(image) > 255 or any(c.isspace() for c in image)):
            found.append((f"{base}.image", f"{_short(image)} must be 1-255 characters without spaces"))
        for p, mapping in enumerate(container.get("portMappings") or []):
            if not isinstance(mapping, Mapping):
                continue
            where = f"{base}.portMappings[{p}]"
            _in_range(found, f"{where}.containerPort", mapping.get("containerPort"), 1, 65535)
            _in_range(found, f"{where}.hostPort", mapping.get("hostPort"), 0, 65535)
            host, port = mapping.get("hostPort"), mapping.get("containerPort")
            if awsvpc and host is not None and port is not None and host != port:
                found.append((f"{where}.hostPort", f"{host} must equal containerPort {port} in awsvpc mode"))
        check = container.get("healthCheck")
        if isinstance(check, Mapping):
            where = f"{base}.healthCheck"
            _in_range(found, f"{where}.interval", check.get("interval"), 5, 300)
            _in_range(found, f"{where}.timeout", check.get("timeout"), 2, 120)
            _in_range(found, f"{where}.retries", check.get("retries"), 1, 10)
            _in_range(found, f"{where}.startPeriod", check.get("startPeriod"), 0, 300)
            command = check.get("command")
            if isinstance(command, list) and command and command[0] not in ("CMD", "CMD-SHELL", "NONE"):
                found.append((f"{where}.command[0]", f"{command[0]!r} must be CMD, CMD-SHELL or NONE"))
        if fargate:
            log = container.get("logConfiguration")
            driver = log.get("logDriver") if isinstance(log, Mapping) else None
            if driver is not None and driver not in FARGATE_LOG_DRIVERS:
                found.append(
                    (
                        f"{base}.logConfiguration.logDriver",
                        f"{driver!r} is not available on Fargate; use {', '.join(FARGATE_LOG_DRIVERS)}",
                    )
                )
            _in_range(found, f"{base}.stopTimeout", container.get("stopTimeout"), 0, 120)
            _in_range(found, f"{base}.startTimeout", container.get("startTimeout"), 0, 600)
        for key in ("environment", "secrets"):
            seen: set[str] = set()
            for e, entry in enumerate(container.get(key) or []):
                entry_name = entry.get("name") if isinstance(entry, Mapping) else None
                if isinstance(entry_name, str):
                    if entry_name in seen:
                        found.append((f"{base}.{key}[{e}].name", f"{entry_name!r} is given twice"))
                    seen.add(entry_name)
    return found


def task_size_rules(payload: Payload) -> list[tuple[str, str]]:
    """Fargate task-level rules: awsvpc networking and a supported cpu/memory pair."""
    found: list[tuple[str, str]] = []
    if "FARGATE" not in (payload.get("requiresCompatibilities") or []):
        return found
    if payload.get("networkMode") != "awsvpc":
        found.append(("networkMode", f"{payload.get('networkMode')!r} must be 'awsvpc' for Fargate"))
    cpu, memory = _int_or_none(payload.get("cpu")), _int_or_none(payload.get("memory"))
    if cpu is None or memory is None:
        found.append(("cpu", "Fargate needs task-level cpu and memory as whole numbers"))
    elif cpu not in FARGATE_SIZES:
        found.append(("cpu", f"{cpu} is not a Fargate size; use one of {', '.join(map(str, FARGATE_SIZES))}"))
    elif memory not in FARGATE_SIZES[cpu]:
        allowed = FARGATE_SIZES[cpu]
        found.append(("memory", f"{memory} MiB is not allowed with cpu {cpu}; use {allowed[0]}..{allowed[-1]}"))
    family = payload.get("family")
    if isinstance(family, str) and not _FAMILY.fullmatch(family):
        found.append(("family", f"{family!r} must be 1-255 letters, digits, hyphens or underscores"))
    return found


def lifecycle_policy_problems(text: Any) -> list[tuple[str, str]]:
    """ECR lifecycle policy rules, per "Lifecycle policy properties" in the Amazon ECR user guide.

    botocore models the policy as a string, so this reads the JSON itself: `rules` with unique positive
    `rulePriority`, `selection` (`tagStatus` tagged/untagged/any; tagged needs exactly one of `tagPrefixList` or
    `tagPatternList`, at most four `*` per pattern; `countType` imageCountMoreThan or sinceImagePushed, the
    latter with `countUnit` days; positive integer `countNumber`), `action` `{"type": "expire"}`; a rule with
    `tagStatus` any must have the highest priority number.
    """
    found: list[tuple[str, str]] = []
    try:
        policy = json.loads(text) if isinstance(text, str) else text
    except ValueError as err:
        return [("", f"is not valid JSON: {err}")]
    if not isinstance(policy, Mapping) or not isinstance(policy.get("rules"), list) or not policy["rules"]:
        return [("rules", "a lifecycle policy needs a non-empty list of rules")]
    unknown_top = set(policy) - {"rules"}
    if unknown_top:
        found.append(("", f"unknown keys {sorted(unknown_top)}"))
    priorities: dict[int, int] = {}
    any_priorities: list[int] = []
    for index, rule in enumerate(policy["rules"]):
        base = f"rules[{index}]"
        if not isinstance(rule, Mapping):
            found.append((base, "must be an object"))
            continue
        for key in set(rule) - {"rulePriority", "description", "selection", "action"}:
            found.append((f"{base}.{key}", "is not a lifecycle rule key"))
        priority = rule.get("rulePriority")
        if not isinstance(priority, int) or isinstance(priority, bool) or priority < 1:
            found.append((f"{base}.rulePriority", f"{priority!r} must be a positive integer"))
            priority = None
        elif priority in priorities:
            found.append((f"{base}.rulePriority", f"{priority} is also used by rules[{priorities[priority]}]"))
        else:
            priorities[priority] = index
        selection = rule.get("selection")
        if not isinstance(selection, Mapping):
            found.append((f"{base}.selection", "is required"))
        else:
            found += [(f"{base}.selection.{p}" if p else f"{base}.selection", m) for p, m in _selection(selection)]
            if selection.get("tagStatus") == "any" and priority is not None:
                any_priorities.append(priority)
        action = rule.get("action")
        action_type = action.get("type") if isinstance(action, Mapping) else None
        if action_type != "expire":
            found.append((f"{base}.action.type", f"{action_type!r} must be 'expire'"))
    if len(any_priorities) > 1:
        found.append(("rules", "only one rule may have tagStatus 'any'"))
    if any_priorities and priorities and max(any_priorities) != max(priorities):
        found.append(("rules", "the rule with tagStatus 'any' must have the highest rulePriority"))
    return found


def _selection(selection: Mapping[str, Any]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    allowed = {"tagStatus", "tagPrefixList", "tagPatternList", "countType", "countUnit", "countNumber"}
    for key in set(selection) - allowed:
        found.append((key, "is not a selection key"))
    status = selection.get("tagStatus")
    if status not in ("tagged", "untagged", "any"):
        found.append(("tagStatus", f"{status!r} must be tagged, untagged or any"))
    prefixes, patterns = selection.get("tagPrefixList"), selection.get("tagPatternList")
    for key, values in (("tagPrefixList", prefixes), ("tagPatternList", patterns)):
        if values is None:
            continue
        if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
            found.append((key, "must be a non-empty list of non-empty strings"))
        elif status != "tagged":
            found.append((key, f"is only allowed with tagStatus 'tagged', not {status!r}"))
    if status == "tagged":
        if prefixes is None and patterns is None:
            found.append(("", "tagStatus 'tagged' needs tagPrefixList or tagPatternList"))
        elif prefixes is not None and patterns is not None:
            found.append(("", "use tagPrefixList or tagPatternList, not both"))
    for p, pattern in enumerate(patterns if isinstance(patterns, list) else []):
        if isinstance(pattern, str) and pattern.count("*") > 4:
            found.append((f"tagPatternList[{p}]", f"{pattern!r} has more than four wildcards"))
    count_type, unit, number = selection.get("countType"), selection.get("countUnit"), selection.get("countNumber")
    if count_type not in ("imageCountMoreThan", "sinceImagePushed"):
        found.append(("countType", f"{count_type!r} must be imageCountMoreThan or sinceImagePushed"))
    elif count_type == "sinceImagePushed" and unit != "days":
        found.append(("countUnit", f"{unit!r} must be 'days' with sinceImagePushed"))
    elif count_type == "imageCountMoreThan" and unit is not None:
        found.append(("countUnit", "is not allowed with imageCountMoreThan"))
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        found.append(("countNumber", f"{number!r} must be a positive integer"))
    return found


#: IAM policy size limits (characters, whitespace excluded): managed policies, and the default quota for a role's
#: trust policy. Inline policies share a 10,240-character budget per role.
MANAGED_POLICY_MAX = 6144
TRUST_POLICY_MAX = 2048
INLINE_POLICY_MAX = 10240


def policy_document_problems(text: Any, *, trust: bool = False, limit: int | None = None) -> list[tuple[str, str]]:
    """An IAM (or resource) policy document: JSON with Version and Statement, each statement with an Effect,
    an action, and for identity policies a resource; `limit` caps its size without whitespace."""
    try:
        document = json.loads(text) if isinstance(text, str) else text
    except ValueError as err:
        return [("", f"is not valid JSON: {err}")]
    if not isinstance(document, Mapping):
        return [("", "a policy document must be a JSON object")]
    found: list[tuple[str, str]] = []
    if document.get("Version") not in ("2012-10-17", "2008-10-17"):
        found.append(("Version", f"{document.get('Version')!r} must be '2012-10-17'"))
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        return [*found, ("Statement", "a policy needs at least one statement")]
    for index, statement in enumerate(statements):
        base = f"Statement[{index}]"
        if not isinstance(statement, Mapping):
            found.append((base, "must be an object"))
            continue
        if statement.get("Effect") not in ("Allow", "Deny"):
            found.append((f"{base}.Effect", f"{statement.get('Effect')!r} must be Allow or Deny"))
        if ("Action" in statement) == ("NotAction" in statement):
            found.append((base, "needs exactly one of Action or NotAction"))
        for key in ("Action", "NotAction", "Resource", "NotResource"):
            value = statement.get(key)
            if key in statement and not (
                (isinstance(value, str) and value) or (isinstance(value, list) and value and all(value))
            ):
                found.append((f"{base}.{key}", "must be a non-empty string or list"))
        if trust and "Principal" not in statement and "NotPrincipal" not in statement:
            found.append((base, "a trust policy statement needs a Principal"))
        if not trust and "Principal" not in statement and ("Resource" in statement) == ("NotResource" in statement):
            found.append((base, "needs exactly one of Resource or NotResource"))
    if limit is not None and isinstance(text, str):
        size = len("".join(text.split()))
        if size > limit:
            found.append(("", f"{size} characters (without whitespace) exceed the IAM limit of {limit}"))
    return found


# --------------------------------------------------------------------------------------------------------------
# Recorded pulumi-aws inputs -> AWS API requests


def _get(value: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _known(value: Any) -> bool:
    return value is not None and value != UNKNOWN


def _pick(inputs: Mapping[str, Any], names: Mapping[str, str]) -> Payload:
    """Copy `inputs[pulumi_name]` to `payload[api_name]` for every known value."""
    return {api: inputs[key] for key, api in names.items() if _known(inputs.get(key))}


def _put(payload: Payload, api_name: str, block: Any, names: Mapping[str, str]) -> Payload | None:
    """`payload[api_name] = _pick(block, names)` when the nested input `block` is given (a mapping); returns
    the new sub-payload (None when absent), so nested blocks inside it can be put in turn."""
    if not isinstance(block, Mapping):
        return None
    picked = payload[api_name] = _pick(block, names)
    return picked


def _put_each(payload: Payload, api_name: str, items: Any, names: Mapping[str, str]) -> None:
    """`payload[api_name] = [_pick(item, names) ...]` when the input `items` is a list."""
    if isinstance(items, list):
        payload[api_name] = [_pick(item, names) for item in items]


def _without_nulls(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _tag_list(tags: Any, key: str = "key", value: str = "value") -> list[dict[str, Any]] | None:
    if not isinstance(tags, Mapping) or not tags:
        return None
    return [{key: k, value: v} for k, v in tags.items()]


def _with_tags(payload: Payload, inputs: Mapping[str, Any], key: str, value: str, field: str) -> Payload:
    tags = _tag_list(inputs.get("tags"), key, value)
    if tags:
        payload[field] = tags
    return payload


def task_definition_request(inputs: Mapping[str, Any]) -> Payload:
    """RegisterTaskDefinition from `aws.ecs.TaskDefinition` inputs; `containerDefinitions` is parsed JSON."""
    payload = _pick(
        inputs,
        {
            "family": "family",
            "taskRoleArn": "taskRoleArn",
            "executionRoleArn": "executionRoleArn",
            "networkMode": "networkMode",
            "requiresCompatibilities": "requiresCompatibilities",
            "cpu": "cpu",
            "memory": "memory",
            "pidMode": "pidMode",
            "ipcMode": "ipcMode",
            "runtimePlatform": "runtimePlatform",
            "ephemeralStorage": "ephemeralStorage",
            "enableFaultInjection": "enableFaultInjection",
        },
    )
    for key in ("cpu", "memory"):
        if isinstance(payload.get(key), int):
            payload[key] = str(payload[key])  # the provider sends task sizes as strings
    storage = payload.get("ephemeralStorage")
    if isinstance(storage, Mapping):
        payload["ephemeralStorage"] = {"sizeInGiB": storage.get("sizeInGib")}
    definitions = inputs.get("containerDefinitions")
    if isinstance(definitions, str):
        definitions = json.loads(definitions)  # invalid JSON is reported by the caller
    if definitions is not None:
        payload["containerDefinitions"] = _without_nulls(definitions)  # the provider drops nulls too
    return _with_tags(payload, inputs, "key", "value", "tags")


_CONDITIONS = {
    "hostHeader": ("host-header", "HostHeaderConfig"),
    "pathPattern": ("path-pattern", "PathPatternConfig"),
    "httpRequestMethod": ("http-request-method", "HttpRequestMethodConfig"),
    "sourceIp": ("source-ip", "SourceIpConfig"),
}


def _condition(condition: Mapping[str, Any]) -> Payload:
    """A Terraform-shaped listener rule condition (`hostHeader.values`) as the API's (`Field` + config)."""
    result: Payload = {}
    for key, (field, config) in _CONDITIONS.items():
        if isinstance(condition.get(key), Mapping):
            result = {"Field": field, config: {"Values": list(condition[key].get("values") or [])}}
    if isinstance(condition.get("httpHeader"), Mapping):
        header = condition["httpHeader"]
        result = {
            "Field": "http-header",
            "HttpHeaderConfig": {"HttpHeaderName": header.get("httpHeaderName"), "Values": header.get("values")},
        }
    if isinstance(condition.get("queryStrings"), list):
        pairs = [_pick(q, {"key": "Key", "value": "Value"}) for q in condition["queryStrings"]]
        result = {"Field": "query-string", "QueryStringConfig": {"Values": pairs}}
    if not result:
        result = {"Field": "unknown", "Values": []}
    return result


def _action(action: Mapping[str, Any]) -> Payload:
    payload = _pick(action, {"type": "Type", "targetGroupArn": "TargetGroupArn", "order": "Order"})
    _put(
        payload,
        "FixedResponseConfig",
        action.get("fixedResponse"),
        {"contentType": "ContentType", "messageBody": "MessageBody", "statusCode": "StatusCode"},
    )
    _put(
        payload,
        "RedirectConfig",
        action.get("redirect"),
        {
            "host": "Host",
            "path": "Path",
            "port": "Port",
            "protocol": "Protocol",
            "query": "Query",
            "statusCode": "StatusCode",
        },
    )
    forward = action.get("forward")
    if isinstance(forward, Mapping):
        groups = [_pick(g, {"arn": "TargetGroupArn", "weight": "Weight"}) for g in forward.get("targetGroups") or []]
        config: Payload = {"TargetGroups": groups}
        _put(
            config,
            "TargetGroupStickinessConfig",
            forward.get("stickiness"),
            {"enabled": "Enabled", "duration": "DurationSeconds"},
        )
        payload["ForwardConfig"] = config
    return payload


def listener_rule_request(inputs: Mapping[str, Any]) -> Payload:
    """ELBv2 CreateRule from `aws.lb.ListenerRule` inputs (conditions mapped from Terraform's shape)."""
    payload = _pick(inputs, {"listenerArn": "ListenerArn", "priority": "Priority"})
    payload["Conditions"] = [_condition(c) for c in inputs.get("conditions") or [] if isinstance(c, Mapping)]
    payload["Actions"] = [_action(a) for a in inputs.get("actions") or [] if isinstance(a, Mapping)]
    return _with_tags(payload, inputs, "Key", "Value", "Tags")


def listener_request(inputs: Mapping[str, Any]) -> Payload:
    """ELBv2 CreateListener from `aws.lb.Listener` inputs."""
    payload = _pick(
        inputs, {"loadBalancerArn": "LoadBalancerArn", "port": "Port", "protocol": "Protocol", "sslPolicy": "SslPolicy"}
    )
    if _known(inputs.get("certificateArn")):
        payload["Certificates"] = [{"CertificateArn": inputs["certificateArn"]}]
    payload["DefaultActions"] = [_action(a) for a in inputs.get("defaultActions") or [] if isinstance(a, Mapping)]
    return _with_tags(payload, inputs, "Key", "Value", "Tags")


def target_group_request(inputs: Mapping[str, Any]) -> Payload:
    """ELBv2 CreateTargetGroup from `aws.lb.TargetGroup` inputs (the health check flattened as the API has it)."""
    payload = _pick(
        inputs,
        {
            "name": "Name",
            "port": "Port",
            "protocol": "Protocol",
            "protocolVersion": "ProtocolVersion",
            "vpcId": "VpcId",
            "targetType": "TargetType",
            "ipAddressType": "IpAddressType",
        },
    )
    check = inputs.get("healthCheck")
    if isinstance(check, Mapping):
        payload.update(
            _pick(
                check,
                {
                    "enabled": "HealthCheckEnabled",
                    "path": "HealthCheckPath",
                    "protocol": "HealthCheckProtocol",
                    "interval": "HealthCheckIntervalSeconds",
                    "timeout": "HealthCheckTimeoutSeconds",
                    "healthyThreshold": "HealthyThresholdCount",
                    "unhealthyThreshold": "UnhealthyThresholdCount",
                },
            )
        )
        if _known(check.get("port")):
            payload["HealthCheckPort"] = str(check["port"])
        if _known(check.get("matcher")):
            payload["Matcher"] = {"HttpCode": str(check["matcher"])}
    return _with_tags(payload, inputs, "Key", "Value", "Tags")


def target_group_rules(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Target group rules from the ELB guide: name form, timeout below interval, matcher codes, delay bounds."""
    found: list[tuple[str, str]] = []
    name = inputs.get("name")
    if isinstance(name, str) and not _TARGET_GROUP_NAME.fullmatch(name):
        found.append(("Name", f"{name!r} must be 1-32 letters, digits or hyphens, not starting or ending with -"))
    check = inputs.get("healthCheck") if isinstance(inputs.get("healthCheck"), Mapping) else {}
    interval, timeout = check.get("interval"), check.get("timeout")
    if isinstance(interval, int) and isinstance(timeout, int) and timeout >= interval:
        found.append(("HealthCheckTimeoutSeconds", f"{timeout} must be less than the interval {interval}"))
    matcher = check.get("matcher")
    if _known(matcher) and not _HTTP_CODES.fullmatch(str(matcher)):
        found.append(("Matcher.HttpCode", f"{matcher!r} must be codes like 200, 200-399 or 200,302"))
    delay = _int_or_none(inputs.get("deregistrationDelay"))
    if delay is not None and not 0 <= delay <= 3600:
        found.append(("deregistration_delay.timeout_seconds", f"{delay} must be within 0..3600"))
    return found


def listener_rule_rules(request: Payload) -> list[tuple[str, str]]:
    """CreateRule rules from the ELB guide: condition values, at most five per rule, host-header characters."""
    found: list[tuple[str, str]] = []
    total = 0
    for index, condition in enumerate(request.get("Conditions") or []):
        for key in ("HostHeaderConfig", "PathPatternConfig"):
            values = (condition.get(key) or {}).get("Values")
            if values is None:
                continue
            total += len(values)
            if not values:
                found.append((f"Conditions[{index}].{key}.Values", "needs at least one value"))
            for v, value in enumerate(values):
                where = f"Conditions[{index}].{key}.Values[{v}]"
                if not isinstance(value, str) or not value or len(value) > 128:
                    found.append((where, f"{_short(value)} must be 1-128 characters"))
                elif key == "HostHeaderConfig" and not _HOST_VALUE.fullmatch(value):
                    found.append((where, f"{value!r} may hold only letters, digits, '-', '.', '*' and '?'"))
        if condition.get("Field") == "unknown":
            found.append((f"Conditions[{index}]", "has no condition block this check understands"))
    if not request.get("Conditions"):
        found.append(("Conditions", "a rule needs at least one condition"))
    if total > 5:
        found.append(("Conditions", f"{total} condition values exceed the limit of 5 per rule"))
    return found


def service_request(inputs: Mapping[str, Any]) -> Payload:
    """ECS CreateService from `aws.ecs.Service` inputs."""
    payload = _pick(
        inputs,
        {
            "name": "serviceName",
            "cluster": "cluster",
            "taskDefinition": "taskDefinition",
            "desiredCount": "desiredCount",
            "launchType": "launchType",
            "platformVersion": "platformVersion",
            "healthCheckGracePeriodSeconds": "healthCheckGracePeriodSeconds",
            "enableExecuteCommand": "enableExecuteCommand",
            "enableEcsManagedTags": "enableECSManagedTags",
            "propagateTags": "propagateTags",
            "schedulingStrategy": "schedulingStrategy",
        },
    )
    _put_each(
        payload,
        "capacityProviderStrategy",
        inputs.get("capacityProviderStrategies"),
        {"capacityProvider": "capacityProvider", "weight": "weight", "base": "base"},
    )
    deployment = _service_deployment(inputs)
    if deployment:
        payload["deploymentConfiguration"] = deployment
    network = inputs.get("networkConfiguration")
    if isinstance(network, Mapping):
        vpc = _pick(network, {"subnets": "subnets", "securityGroups": "securityGroups"})
        if isinstance(network.get("assignPublicIp"), bool):
            vpc["assignPublicIp"] = "ENABLED" if network["assignPublicIp"] else "DISABLED"
        payload["networkConfiguration"] = {"awsvpcConfiguration": vpc}
    _put_each(
        payload,
        "loadBalancers",
        inputs.get("loadBalancers"),
        {"targetGroupArn": "targetGroupArn", "containerName": "containerName", "containerPort": "containerPort"},
    )
    for given, balancer in zip(inputs.get("loadBalancers") or [], payload.get("loadBalancers") or [], strict=False):
        _put(
            balancer,
            "advancedConfiguration",
            given.get("advancedConfiguration"),
            {
                "alternateTargetGroupArn": "alternateTargetGroupArn",
                "productionListenerRule": "productionListenerRule",
                "testListenerRule": "testListenerRule",
                "roleArn": "roleArn",
            },
        )
    return _with_tags(payload, inputs, "key", "value", "tags")


def _service_deployment(inputs: Mapping[str, Any]) -> Payload:
    """CreateService's `deploymentConfiguration` from `aws.ecs.Service` inputs: percentages, circuit breaker,
    alarms, and the strategy with its canary or linear settings."""
    deployment: Payload = _pick(
        inputs,
        {"deploymentMaximumPercent": "maximumPercent", "deploymentMinimumHealthyPercent": "minimumHealthyPercent"},
    )
    _put(
        deployment,
        "deploymentCircuitBreaker",
        inputs.get("deploymentCircuitBreaker"),
        {"enable": "enable", "rollback": "rollback"},
    )
    _put(
        deployment,
        "alarms",
        inputs.get("alarms"),
        {"alarmNames": "alarmNames", "enable": "enable", "rollback": "rollback"},
    )
    strategy = inputs.get("deploymentConfiguration")
    if isinstance(strategy, Mapping):
        # The provider takes minute counts as strings and sends them as integers.
        deployment.update(_minutes(_pick(strategy, {"strategy": "strategy", "bakeTimeInMinutes": "bakeTimeInMinutes"})))
        canary = _put(
            deployment,
            "canaryConfiguration",
            strategy.get("canaryConfiguration"),
            {"canaryPercent": "canaryPercent", "canaryBakeTimeInMinutes": "canaryBakeTimeInMinutes"},
        )
        linear = _put(
            deployment,
            "linearConfiguration",
            strategy.get("linearConfiguration"),
            {"stepPercent": "stepPercent", "stepBakeTimeInMinutes": "stepBakeTimeInMinutes"},
        )
        for block in (canary, linear):
            if block is not None:
                block.update(_minutes(block))
    return deployment


def _minutes(block: Mapping[str, Any]) -> Payload:
    """`...InMinutes` values as the integers the API takes (the provider's strings converted; others kept)."""
    return {
        key: int(value) if key.endswith("InMinutes") and isinstance(value, str) and value.isdigit() else value
        for key, value in block.items()
    }


_STRATEGY_BLOCKS = {"CANARY": "canaryConfiguration", "LINEAR": "linearConfiguration"}


def deployment_strategy_rules(request: Payload) -> list[tuple[str, str]]:
    """Deployment strategies (ECS guide): the strategy's own block, its ranges (bake times 0-1440 minutes, canary
    0.1-100 %, linear step 3-100 %), and for everything but ROLLING a load balancer with an advanced
    configuration (alternate target group, production listener rule, role)."""
    found: list[tuple[str, str]] = []
    deployment = request.get("deploymentConfiguration") or {}
    strategy = deployment.get("strategy", "ROLLING")
    base = "deploymentConfiguration"
    for key, block in (
        ("bakeTimeInMinutes", deployment),
        *(
            (k, deployment.get(b) or {})
            for k, b in (
                ("canaryBakeTimeInMinutes", "canaryConfiguration"),
                ("stepBakeTimeInMinutes", "linearConfiguration"),
            )
        ),
    ):
        value = block.get(key)
        if value is not None and (not isinstance(value, int) or not 0 <= value <= 1440):
            found.append((f"{base}.{key}", f"{_short(value)} must be whole minutes, 0-1440"))
    for name, block_name in _STRATEGY_BLOCKS.items():
        if strategy == name and not isinstance(deployment.get(block_name), Mapping):
            found.append((f"{base}.{block_name}", f"strategy {name} needs its {block_name}"))
        elif strategy != name and block_name in deployment:
            found.append((f"{base}.{block_name}", f"applies to strategy {name} only (strategy is {strategy})"))
    canary = deployment.get("canaryConfiguration") or {}
    if "canaryPercent" in canary and not 0.1 <= float(canary["canaryPercent"]) <= 100:
        found.append((f"{base}.canaryConfiguration.canaryPercent", f"{canary['canaryPercent']} is outside 0.1-100"))
    linear = deployment.get("linearConfiguration") or {}
    if "stepPercent" in linear and not 3 <= float(linear["stepPercent"]) <= 100:
        found.append((f"{base}.linearConfiguration.stepPercent", f"{linear['stepPercent']} is outside 3-100"))
    if strategy != "ROLLING":
        balancers = request.get("loadBalancers") or []
        if not balancers:
            found.append(("loadBalancers", f"strategy {strategy} shifts load balancer traffic; the service has none"))
        for index, balancer in enumerate(balancers):
            advanced = balancer.get("advancedConfiguration")
            where = f"loadBalancers[{index}].advancedConfiguration"
            if not isinstance(advanced, Mapping):
                found.append((where, f"strategy {strategy} needs the alternate target group, rule and role"))
                continue
            for key in ("alternateTargetGroupArn", "productionListenerRule", "roleArn"):
                if not advanced.get(key):
                    found.append((f"{where}.{key}", f"is required for strategy {strategy}"))
            if advanced.get("alternateTargetGroupArn") and advanced.get("alternateTargetGroupArn") == balancer.get(
                "targetGroupArn"
            ):
                found.append((f"{where}.alternateTargetGroupArn", "must differ from the primary target group"))
    alarms = deployment.get("alarms")
    if isinstance(alarms, Mapping) and alarms.get("enable") and not alarms.get("alarmNames"):
        found.append((f"{base}.alarms.alarmNames", "enabled alarms need at least one alarm name"))
    return found


def service_rules(request: Payload) -> list[tuple[str, str]]:
    """CreateService rules from the ECS guide: awsvpc services need 1-16 subnets and at most 5 security groups."""
    found: list[tuple[str, str]] = deployment_strategy_rules(request)
    vpc = (request.get("networkConfiguration") or {}).get("awsvpcConfiguration")
    if isinstance(vpc, Mapping):
        subnets, groups = vpc.get("subnets") or [], vpc.get("securityGroups") or []
        if not 1 <= len(subnets) <= 16:
            found.append(("networkConfiguration.awsvpcConfiguration.subnets", f"{len(subnets)} subnets; give 1 to 16"))
        if len(groups) > 5:
            found.append(("networkConfiguration.awsvpcConfiguration.securityGroups", f"{len(groups)} exceed 5"))
    return found


def _resource_id_request(inputs: Mapping[str, Any]) -> Payload:
    return _pick(
        inputs,
        {"serviceNamespace": "ServiceNamespace", "resourceId": "ResourceId", "scalableDimension": "ScalableDimension"},
    )


def scalable_target_request(inputs: Mapping[str, Any]) -> Payload:
    """Application Auto Scaling RegisterScalableTarget from `aws.appautoscaling.Target` inputs."""
    payload = _resource_id_request(inputs)
    payload.update(_pick(inputs, {"minCapacity": "MinCapacity", "maxCapacity": "MaxCapacity", "roleArn": "RoleARN"}))
    return payload


def scaling_policy_request(inputs: Mapping[str, Any]) -> Payload:
    """Application Auto Scaling PutScalingPolicy from `aws.appautoscaling.Policy` inputs (target tracking)."""
    payload = _resource_id_request(inputs)
    payload.update(_pick(inputs, {"name": "PolicyName", "policyType": "PolicyType"}))
    config = inputs.get("targetTrackingScalingPolicyConfiguration")
    tracking = _put(
        payload,
        "TargetTrackingScalingPolicyConfiguration",
        config,
        {
            "targetValue": "TargetValue",
            "scaleInCooldown": "ScaleInCooldown",
            "scaleOutCooldown": "ScaleOutCooldown",
            "disableScaleIn": "DisableScaleIn",
        },
    )
    if tracking is not None:
        _put(
            tracking,
            "PredefinedMetricSpecification",
            config.get("predefinedMetricSpecification"),
            {"predefinedMetricType": "PredefinedMetricType", "resourceLabel": "ResourceLabel"},
        )
    return payload


def repository_request(inputs: Mapping[str, Any]) -> Payload:
    """ECR CreateRepository from `aws.ecr.Repository` inputs."""
    payload = _pick(inputs, {"name": "repositoryName", "imageTagMutability": "imageTagMutability"})
    _put(payload, "imageScanningConfiguration", inputs.get("imageScanningConfiguration"), {"scanOnPush": "scanOnPush"})
    encryption = inputs.get("encryptionConfigurations")
    if isinstance(encryption, list) and encryption:
        payload["encryptionConfiguration"] = _pick(
            encryption[0], {"encryptionType": "encryptionType", "kmsKey": "kmsKey"}
        )
    return _with_tags(payload, inputs, "Key", "Value", "tags")


def log_group_request(inputs: Mapping[str, Any]) -> Payload:
    """CloudWatch Logs CreateLogGroup from `aws.cloudwatch.LogGroup` inputs."""
    payload = _pick(inputs, {"name": "logGroupName", "kmsKeyId": "kmsKeyId", "logGroupClass": "logGroupClass"})
    if isinstance(inputs.get("tags"), Mapping) and inputs["tags"]:
        payload["tags"] = dict(inputs["tags"])
    return payload


def role_request(inputs: Mapping[str, Any]) -> Payload:
    """IAM CreateRole from `aws.iam.Role` inputs."""
    payload = _pick(
        inputs,
        {
            "name": "RoleName",
            "path": "Path",
            "assumeRolePolicy": "AssumeRolePolicyDocument",
            "description": "Description",
            "maxSessionDuration": "MaxSessionDuration",
            "permissionsBoundary": "PermissionsBoundary",
        },
    )
    return _with_tags(payload, inputs, "Key", "Value", "Tags")


_SECURITY_GROUP_TEXT = re.compile(r"[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{0,255}")
_LOAD_BALANCER_NAME = re.compile(r"(?!internal-)[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?")
_CLUSTER_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
_IP_PROTOCOLS = ("tcp", "udp", "icmp", "icmpv6", "-1")


def security_group_request(inputs: Mapping[str, Any]) -> Payload:
    """EC2 CreateSecurityGroup from `aws.ec2.SecurityGroup` inputs."""
    return _pick(inputs, {"name": "GroupName", "description": "Description", "vpcId": "VpcId"})


def security_group_rules(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Security group name and description: at most 255 of the characters EC2 allows in a VPC."""
    found: list[tuple[str, str]] = []
    for key, field in (("name", "GroupName"), ("description", "Description")):
        value = inputs.get(key)
        if isinstance(value, str) and not _SECURITY_GROUP_TEXT.fullmatch(value):
            found.append((field, f"{_short(value)} must be at most 255 of a-z A-Z 0-9 spaces ._-:/()#,@[]+=&;{{}}!$*"))
    if isinstance(inputs.get("name"), str) and inputs["name"].lower().startswith("sg-"):
        found.append(("GroupName", f"{inputs['name']!r} must not start with sg-"))
    return found


def security_group_rule_rules(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A `aws.vpc.SecurityGroupIngressRule`/`EgressRule` (AuthorizeSecurityGroupIngress/Egress): the protocol,
    the port range, and exactly one source or destination."""
    found: list[tuple[str, str]] = []
    protocol = str(inputs.get("ipProtocol", ""))
    numbered = re.fullmatch(r"[0-9]{1,3}", protocol) is not None and int(protocol) <= 255
    if protocol not in _IP_PROTOCOLS and not numbered:
        found.append(("IpProtocol", f"{protocol!r} must be tcp, udp, icmp, icmpv6, -1 or a protocol number"))
    low, high = inputs.get("fromPort"), inputs.get("toPort")
    if protocol in ("tcp", "udp"):
        for key, value in (("FromPort", low), ("ToPort", high)):
            if not isinstance(value, int) or not 0 <= value <= 65535:
                found.append((key, f"{value!r} must be a port, 0-65535, for {protocol}"))
        if isinstance(low, int) and isinstance(high, int) and low > high:
            found.append(("FromPort", f"{low} is above ToPort {high}"))
    peers = ("cidrIpv4", "cidrIpv6", "prefixListId", "referencedSecurityGroupId")
    given = [key for key in peers if _known(inputs.get(key))]
    if len(given) != 1:
        found.append(("", f"give exactly one of {', '.join(peers)} (got {', '.join(given) or 'none'})"))
    return found


def load_balancer_request(inputs: Mapping[str, Any]) -> Payload:
    """ELBv2 CreateLoadBalancer from `aws.lb.LoadBalancer` inputs."""
    payload = _pick(
        inputs,
        {
            "name": "Name",
            "subnets": "Subnets",
            "securityGroups": "SecurityGroups",
            "loadBalancerType": "Type",
            "ipAddressType": "IpAddressType",
        },
    )
    if isinstance(inputs.get("internal"), bool):
        payload["Scheme"] = "internal" if inputs["internal"] else "internet-facing"
    return _with_tags(payload, inputs, "Key", "Value", "Tags")


def load_balancer_rules(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Load balancer name (1-32 letters, digits, hyphens; no leading `internal-`), two or more subnets, idle
    timeout 1-4000 s."""
    found: list[tuple[str, str]] = []
    name = inputs.get("name")
    if isinstance(name, str) and not _LOAD_BALANCER_NAME.fullmatch(name):
        found.append(("Name", f"{name!r} must be 1-32 letters, digits or hyphens, not starting or ending with -"))
    subnets = inputs.get("subnets")
    if (
        isinstance(subnets, list)
        and inputs.get("loadBalancerType", "application") == "application"
        and len(subnets) < 2
    ):
        found.append(("Subnets", f"{len(subnets)} subnet(s); an application load balancer needs two zones or more"))
    timeout = inputs.get("idleTimeout")
    if isinstance(timeout, int) and not 1 <= timeout <= 4000:
        found.append(("idle_timeout.timeout_seconds", f"{timeout} must be within 1..4000"))
    logs = inputs.get("accessLogs")
    if isinstance(logs, Mapping) and logs.get("enabled") is not False:
        bucket, prefix = logs.get("bucket"), logs.get("prefix")
        if not _known(bucket) or not bucket:
            found.append(("access_logs.s3.bucket", "access logs need a bucket"))
        if isinstance(prefix, str) and ("AWSLogs" in prefix or prefix.startswith("/") or prefix.endswith("/")):
            found.append(("access_logs.s3.prefix", f"{prefix!r} must not hold AWSLogs nor start or end with /"))
    return found


def cluster_request(inputs: Mapping[str, Any]) -> Payload:
    """ECS CreateCluster from `aws.ecs.Cluster` inputs."""
    payload = _pick(inputs, {"name": "clusterName"})
    _put_each(payload, "settings", inputs.get("settings"), {"name": "name", "value": "value"})
    return _with_tags(payload, inputs, "key", "value", "tags")


_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
BUCKET_POLICY_MAX = 20480


def bucket_request(inputs: Mapping[str, Any]) -> Payload:
    """S3 CreateBucket from `aws.s3.Bucket` inputs."""
    return _pick(inputs, {"bucket": "Bucket"})


def bucket_name_rules(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Bucket names (S3 user guide): 3-63 lowercase letters, digits, dots and hyphens, alphanumeric at both ends,
    no two adjacent dots, not shaped like an IP address."""
    name = inputs.get("bucket")
    if not isinstance(name, str) or name == UNKNOWN:
        return []
    if (
        not _BUCKET_NAME.fullmatch(name)
        or ".." in name
        or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name)
        or name.startswith("xn--")
    ):
        return [
            ("Bucket", f"{name!r} must be 3-63 lowercase letters, digits, dots or hyphens, alphanumeric at both ends")
        ]
    return []


def _bucket_policy(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    found = validate_request("s3", "PutBucketPolicy", bucket_policy_request(inputs))
    if _known(inputs.get("policy")):
        problems = policy_document_problems(inputs["policy"], trust=True, limit=BUCKET_POLICY_MAX)
        found += [(_join("Policy", p), m) for p, m in problems]
    return found


def public_access_block_request(inputs: Mapping[str, Any]) -> Payload:
    """S3 PutPublicAccessBlock from `aws.s3.BucketPublicAccessBlock` inputs."""
    payload = _pick(inputs, {"bucket": "Bucket"})
    payload["PublicAccessBlockConfiguration"] = _pick(
        inputs,
        {
            "blockPublicAcls": "BlockPublicAcls",
            "ignorePublicAcls": "IgnorePublicAcls",
            "blockPublicPolicy": "BlockPublicPolicy",
            "restrictPublicBuckets": "RestrictPublicBuckets",
        },
    )
    return payload


def lifecycle_configuration_request(inputs: Mapping[str, Any]) -> Payload:
    """S3 PutBucketLifecycleConfiguration from `aws.s3.BucketLifecycleConfiguration` inputs."""
    payload = _pick(inputs, {"bucket": "Bucket"})
    rules: list[Payload] = []
    for rule in inputs.get("rules") or []:
        if not isinstance(rule, Mapping):
            continue
        item = _pick(rule, {"id": "ID", "status": "Status"})
        _put(item, "Filter", rule.get("filter"), {"prefix": "Prefix"})
        _put(item, "Expiration", rule.get("expiration"), {"days": "Days"})
        _put(
            item,
            "AbortIncompleteMultipartUpload",
            rule.get("abortIncompleteMultipartUpload"),
            {"daysAfterInitiation": "DaysAfterInitiation"},
        )
        rules.append(item)
    payload["LifecycleConfiguration"] = {"Rules": rules}
    return payload


def lifecycle_configuration_rules(request: Payload) -> list[tuple[str, str]]:
    """Lifecycle rules (S3 user guide): status Enabled or Disabled, and expiry days of at least 1."""
    found: list[tuple[str, str]] = []
    for index, rule in enumerate(request["LifecycleConfiguration"]["Rules"]):
        where = f"LifecycleConfiguration.Rules[{index}]"
        if rule.get("Status") not in ("Enabled", "Disabled"):
            found.append((f"{where}.Status", f"{_short(rule.get('Status'))} must be Enabled or Disabled"))
        days = (rule.get("Expiration") or {}).get("Days")
        if days is not None and (not isinstance(days, int) or days < 1):
            found.append((f"{where}.Expiration.Days", f"{_short(days)} must be a whole number of days, at least 1"))
    return found


def encryption_request(inputs: Mapping[str, Any]) -> Payload:
    """S3 PutBucketEncryption from `aws.s3.BucketServerSideEncryptionConfiguration` inputs."""
    payload = _pick(inputs, {"bucket": "Bucket"})
    rules = []
    for rule in inputs.get("rules") or []:
        if isinstance(rule, Mapping):
            item: Payload = {}
            _put(
                item,
                "ApplyServerSideEncryptionByDefault",
                rule.get("applyServerSideEncryptionByDefault"),
                {"sseAlgorithm": "SSEAlgorithm", "kmsMasterKeyId": "KMSMasterKeyID"},
            )
            if isinstance(rule.get("bucketKeyEnabled"), bool):
                item["BucketKeyEnabled"] = rule["bucketKeyEnabled"]
            rules.append(item)
    payload["ServerSideEncryptionConfiguration"] = {"Rules": rules}
    return payload


def ownership_request(inputs: Mapping[str, Any]) -> Payload:
    """S3 PutBucketOwnershipControls from `aws.s3.BucketOwnershipControls` inputs."""
    payload = _pick(inputs, {"bucket": "Bucket"})
    rule = inputs.get("rule")
    payload["OwnershipControls"] = {
        "Rules": [_pick(rule, {"objectOwnership": "ObjectOwnership"})] if isinstance(rule, Mapping) else []
    }
    return payload


_METRIC_ID = re.compile(r"[a-z][a-zA-Z0-9_]*")
_STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
_PERCENTILE = re.compile(r"p(\d{1,2}(\.\d{1,10})?|100)")


def metric_alarm_request(inputs: Mapping[str, Any]) -> Payload:
    """CloudWatch PutMetricAlarm from `aws.cloudwatch.MetricAlarm` inputs (metric queries and dimensions as the
    API has them)."""
    payload = _pick(
        inputs,
        {
            "name": "AlarmName",
            "alarmDescription": "AlarmDescription",
            "actionsEnabled": "ActionsEnabled",
            "okActions": "OKActions",
            "alarmActions": "AlarmActions",
            "insufficientDataActions": "InsufficientDataActions",
            "metricName": "MetricName",
            "namespace": "Namespace",
            "statistic": "Statistic",
            "extendedStatistic": "ExtendedStatistic",
            "period": "Period",
            "evaluationPeriods": "EvaluationPeriods",
            "datapointsToAlarm": "DatapointsToAlarm",
            "threshold": "Threshold",
            "comparisonOperator": "ComparisonOperator",
            "treatMissingData": "TreatMissingData",
        },
    )
    if isinstance(payload.get("Threshold"), int):
        payload["Threshold"] = float(payload["Threshold"])
    dimensions = inputs.get("dimensions")
    if isinstance(dimensions, Mapping):
        payload["Dimensions"] = [{"Name": k, "Value": v} for k, v in dimensions.items()]
    queries = []
    for query in inputs.get("metricQueries") or []:
        if not isinstance(query, Mapping):
            continue
        item = _pick(
            query,
            {"id": "Id", "expression": "Expression", "label": "Label", "returnData": "ReturnData", "period": "Period"},
        )
        metric = query.get("metric")
        if isinstance(metric, Mapping):
            stat = _pick(metric, {"period": "Period", "stat": "Stat", "unit": "Unit"})
            stat["Metric"] = _pick(metric, {"namespace": "Namespace", "metricName": "MetricName"})
            if isinstance(metric.get("dimensions"), Mapping):
                stat["Metric"]["Dimensions"] = [{"Name": k, "Value": v} for k, v in metric["dimensions"].items()]
            item["MetricStat"] = stat
        queries.append(item)
    if queries:
        payload["Metrics"] = queries
    return _with_tags(payload, inputs, "Key", "Value", "Tags")


def metric_alarm_rules(request: Payload) -> list[tuple[str, str]]:
    """Alarm rules (CloudWatch guide): a metric or metric queries, not both; query ids start with a lowercase
    letter and are unique; exactly one query returns data; each query has a metric or an expression; statistics
    and percentiles; periods of 10, 30 or a multiple of 60 s; at most 10 metrics; datapoints <= periods."""
    found: list[tuple[str, str]] = []
    queries = request.get("Metrics") or []
    if queries and request.get("MetricName"):
        found.append(("Metrics", "give either MetricName or Metrics, not both"))
    if not queries and not request.get("MetricName"):
        found.append(("MetricName", "an alarm needs a metric or metric queries"))
    ids = [q.get("Id") for q in queries]
    for index, query in enumerate(queries):
        where = f"Metrics[{index}]"
        if not isinstance(query.get("Id"), str) or not _METRIC_ID.fullmatch(query["Id"]):
            found.append((f"{where}.Id", f"{_short(query.get('Id'))} must start with a lowercase letter"))
        if ids.count(query.get("Id")) > 1:
            found.append((f"{where}.Id", f"{query.get('Id')!r} is used by more than one query"))
        if ("MetricStat" in query) == ("Expression" in query):
            found.append((where, "needs exactly one of MetricStat or Expression"))
        stat = query.get("MetricStat") or {}
        if stat:
            name = stat.get("Stat")
            if name not in _STATISTICS and not (isinstance(name, str) and _PERCENTILE.fullmatch(name)):
                found.append((f"{where}.MetricStat.Stat", f"{_short(name)} is not a statistic or percentile (p99)"))
            period = stat.get("Period")
            if isinstance(period, int) and period not in (10, 30) and period % 60:
                found.append((f"{where}.MetricStat.Period", f"{period} must be 10, 30 or a multiple of 60"))
        expression = query.get("Expression")
        if isinstance(expression, str):
            unknown = [word for word in re.findall(r"\b[a-z][a-zA-Z0-9_]*\b", expression) if word not in ids]
            if unknown:
                found.append((f"{where}.Expression", f"refers to {unknown[0]!r}, which no query defines"))
    if queries and sum(1 for q in queries if q.get("ReturnData", True)) != 1:
        found.append(("Metrics", "exactly one query must return data (ReturnData true)"))
    if sum(1 for q in queries if "MetricStat" in q) > 10:
        found.append(("Metrics", "an alarm reads at most 10 metrics"))
    periods, datapoints = request.get("EvaluationPeriods"), request.get("DatapointsToAlarm")
    if isinstance(periods, int) and isinstance(datapoints, int) and datapoints > periods:
        found.append(("DatapointsToAlarm", f"{datapoints} exceeds EvaluationPeriods {periods}"))
    return found


def _visibility(block: Any) -> Payload | None:
    if not isinstance(block, Mapping):
        return None
    return _pick(
        block,
        {
            "sampledRequestsEnabled": "SampledRequestsEnabled",
            "cloudwatchMetricsEnabled": "CloudWatchMetricsEnabled",
            "metricName": "MetricName",
        },
    )


def _waf_action(block: Any) -> Payload | None:
    """`{"allow": {}}` / `{"none": {}}` as the API's `{"Allow": {}}` / `{"None": {}}`."""
    if not isinstance(block, Mapping):
        return None
    return {key[:1].upper() + key[1:]: {} for key, value in block.items() if value is not None}


def web_acl_request(inputs: Mapping[str, Any]) -> Payload:
    """WAFv2 CreateWebACL from `aws.wafv2.WebAcl` inputs (managed rule group statements only)."""
    payload = _pick(inputs, {"name": "Name", "scope": "Scope", "description": "Description"})
    for key, api in (("defaultAction", "DefaultAction"), ("visibilityConfig", "VisibilityConfig")):
        value = _waf_action(inputs.get(key)) if key == "defaultAction" else _visibility(inputs.get(key))
        if value is not None:
            payload[api] = value
    rules = []
    for rule in inputs.get("rules") or []:
        if not isinstance(rule, Mapping):
            continue
        item = _pick(rule, {"name": "Name", "priority": "Priority"})
        for key, api in (("overrideAction", "OverrideAction"), ("action", "Action")):
            value = _waf_action(rule.get(key))
            if value is not None:
                item[api] = value
        visibility = _visibility(rule.get("visibilityConfig"))
        if visibility is not None:
            item["VisibilityConfig"] = visibility
        managed = _get(rule, "statement.managedRuleGroupStatement")
        if isinstance(managed, Mapping):
            item["Statement"] = {
                "ManagedRuleGroupStatement": _pick(
                    managed, {"name": "Name", "vendorName": "VendorName", "version": "Version"}
                )
            }
        rules.append(item)
    payload["Rules"] = rules
    return _with_tags(payload, inputs, "Key", "Value", "Tags")


def web_acl_rules(request: Payload) -> list[tuple[str, str]]:
    """Web ACL rules (WAF guide): unique rule names and priorities; a rule group takes an OverrideAction, a plain
    rule an Action; metric names of letters, digits, - and _."""
    found: list[tuple[str, str]] = []
    rules = request.get("Rules") or []
    for key in ("Name", "Priority"):
        values = [r.get(key) for r in rules]
        for value in {v for v in values if values.count(v) > 1}:
            found.append(("Rules", f"{key} {value!r} is used by more than one rule"))
    for index, rule in enumerate(rules):
        group = "ManagedRuleGroupStatement" in (rule.get("Statement") or {})
        if group and "OverrideAction" not in rule:
            found.append((f"Rules[{index}].OverrideAction", "a rule group statement needs an OverrideAction"))
        if group and "Action" in rule:
            found.append((f"Rules[{index}].Action", "a rule group statement takes OverrideAction, not Action"))
    metrics = [request.get("VisibilityConfig") or {}] + [r.get("VisibilityConfig") or {} for r in rules]
    for metric in metrics:
        name = metric.get("MetricName")
        if isinstance(name, str) and not re.fullmatch(r"[\w#:\.\-/]+", name):
            found.append(("VisibilityConfig.MetricName", f"{name!r} has characters a metric name cannot hold"))
    return found


def _web_acl(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    request = web_acl_request(inputs)
    return validate_request("wafv2", "CreateWebACL", request) + web_acl_rules(request)


def kms_key_request(inputs: Mapping[str, Any]) -> Payload:
    """KMS CreateKey from `aws.kms.Key` inputs (rotation and the deletion window are later calls)."""
    request = _pick(inputs, {"description": "Description", "policy": "Policy", "keyUsage": "KeyUsage"})
    return _with_tags(request, inputs, "TagKey", "TagValue", "Tags")


def kms_alias_request(inputs: Mapping[str, Any]) -> Payload:
    """KMS CreateAlias from `aws.kms.Alias` inputs."""
    return _pick(inputs, {"name": "AliasName", "targetKeyId": "TargetKeyId"})


def web_acl_association_request(inputs: Mapping[str, Any]) -> Payload:
    """WAFv2 AssociateWebACL from `aws.wafv2.WebAclAssociation` inputs."""
    return _pick(inputs, {"webAclArn": "WebACLArn", "resourceArn": "ResourceArn"})


def role_policy_attachment_request(inputs: Mapping[str, Any]) -> Payload:
    """IAM AttachRolePolicy from `aws.iam.RolePolicyAttachment` inputs."""
    return _pick(inputs, {"role": "RoleName", "policyArn": "PolicyArn"})


def bucket_policy_request(inputs: Mapping[str, Any]) -> Payload:
    """S3 PutBucketPolicy from `aws.s3.BucketPolicy` inputs."""
    return _pick(inputs, {"bucket": "Bucket", "policy": "Policy"})


def _kms_key(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    found = validate_request("kms", "CreateKey", kms_key_request(inputs))
    if _known(inputs.get("policy")):
        found += [
            (_join("Policy", p), m) for p, m in policy_document_problems(inputs["policy"], trust=True, limit=32768)
        ]
    window = inputs.get("deletionWindowInDays")
    if isinstance(window, int) and not 7 <= window <= 30:
        found.append(("PendingWindowInDays", f"{window} must be within 7..30"))
    return found


def _kms_alias(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    found = validate_request("kms", "CreateAlias", kms_alias_request(inputs))
    name = inputs.get("name")
    if isinstance(name, str) and (not name.startswith("alias/") or name.startswith("alias/aws/")):
        found.append(("AliasName", f"{name!r} must start with alias/ and not alias/aws/"))
    return found


#: SNS topic names: 1-256 letters, digits, hyphens and underscores (a FIFO topic ends in `.fifo`).
_TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]{1,251}(\.fifo)?|[A-Za-z0-9_-]{1,256}")
#: A topic policy is one of the topic's attributes: at most 30 KiB (SNS quotas).
TOPIC_POLICY_MAX = 30720
#: What a subscription endpoint must look like for the protocols the alarm topic uses (SNS developer guide).
_ENDPOINTS = {"email": re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+"), "https": re.compile(r"https://[^/\s:]+\S*")}


def topic_request(inputs: Mapping[str, Any]) -> Payload:
    """SNS CreateTopic from `aws.sns.Topic` inputs (the key is a topic attribute)."""
    payload = _pick(inputs, {"name": "Name"})
    attributes = _pick(inputs, {"kmsMasterKeyId": "KmsMasterKeyId", "policy": "Policy"})
    if attributes:
        payload["Attributes"] = attributes
    return _with_tags(payload, inputs, "Key", "Value", "Tags")


def topic_policy_request(inputs: Mapping[str, Any]) -> Payload:
    """SNS SetTopicAttributes (`Policy`) from `aws.sns.TopicPolicy` inputs."""
    payload = _pick(inputs, {"arn": "TopicArn", "policy": "AttributeValue"})
    payload["AttributeName"] = "Policy"
    return payload


def subscription_request(inputs: Mapping[str, Any]) -> Payload:
    """SNS Subscribe from `aws.sns.TopicSubscription` inputs."""
    return _pick(inputs, {"topic": "TopicArn", "protocol": "Protocol", "endpoint": "Endpoint"})


def _topic(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    found = validate_request("sns", "CreateTopic", topic_request(inputs))
    name = inputs.get("name")
    if isinstance(name, str) and not _TOPIC_NAME.fullmatch(name):
        found.append(("Name", f"{name!r} must be 1-256 letters, digits, hyphens or underscores"))
    if inputs.get("kmsMasterKeyId") == "alias/aws/sns":
        found.append(("Attributes.KmsMasterKeyId", "CloudWatch alarms cannot publish to a topic under alias/aws/sns"))
    return found


def _topic_policy(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    found = validate_request("sns", "SetTopicAttributes", topic_policy_request(inputs))
    if _known(inputs.get("policy")):
        problems = policy_document_problems(inputs["policy"], trust=True, limit=TOPIC_POLICY_MAX)
        found += [(_join("AttributeValue", p), m) for p, m in problems]
    return found


def _subscription(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    request = subscription_request(inputs)
    found = validate_request("sns", "Subscribe", request)
    pattern = _ENDPOINTS.get(str(request.get("Protocol")))
    endpoint = request.get("Endpoint")
    if pattern is not None and isinstance(endpoint, str) and not pattern.fullmatch(endpoint):
        found.append(("Endpoint", f"{endpoint!r} is not an endpoint of protocol {request['Protocol']}"))
    return found


def _metric_alarm(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    request = metric_alarm_request(inputs)
    return validate_request("cloudwatch", "PutMetricAlarm", request) + metric_alarm_rules(request)


# --------------------------------------------------------------------------------------------------------------
# Dispatch by resource type

Check = Callable[[Mapping[str, Any]], list[tuple[str, str]]]


def _request_check(service: str, operation: str, build: Callable[[Mapping[str, Any]], Payload]) -> Check:
    def check(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
        return validate_request(service, operation, build(inputs))

    return check


#: RegisterTaskDefinition refuses a task definition larger than this (ECS service quotas: 64 KiB).
TASK_DEFINITION_MAX_BYTES = 65536


def _task_definition(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    try:
        request = task_definition_request(inputs)
    except ValueError as err:
        return [("containerDefinitions", f"is not valid JSON: {err}")]
    found = validate_request("ecs", "RegisterTaskDefinition", request)
    fargate = "FARGATE" in (request.get("requiresCompatibilities") or [])
    awsvpc = request.get("networkMode") == "awsvpc"
    found += container_definition_rules(request.get("containerDefinitions"), fargate=fargate, awsvpc=awsvpc)
    size = len(json.dumps(request, separators=(",", ":")).encode("utf-8"))
    if size > TASK_DEFINITION_MAX_BYTES:
        found.append(
            (
                "",
                f"the task definition is {size} bytes; ECS takes at most {TASK_DEFINITION_MAX_BYTES} (64 KiB): move "
                "large environment values to secrets or to files the image reads",
            )
        )
    return found + task_size_rules(request)


def _service(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    request = service_request(inputs)
    return validate_request("ecs", "CreateService", request) + service_rules(request)


def _listener_rule(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    request = listener_rule_request(inputs)
    return validate_request("elbv2", "CreateRule", request) + listener_rule_rules(request)


def _target_group(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    return validate_request("elbv2", "CreateTargetGroup", target_group_request(inputs)) + target_group_rules(inputs)


def _log_group(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    found = validate_request("logs", "CreateLogGroup", log_group_request(inputs))
    days = inputs.get("retentionInDays")
    if _known(days) and days not in LOG_RETENTION_DAYS and days != 0:
        found.append(
            (
                "retentionInDays",
                f"{days} is not a retention CloudWatch Logs offers; use one of "
                f"{', '.join(map(str, LOG_RETENTION_DAYS))}",
            )
        )
    return found


def _lifecycle_policy(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    request = _pick(inputs, {"repository": "repositoryName", "policy": "lifecyclePolicyText"})
    found = validate_request("ecr", "PutLifecyclePolicy", request)
    if _known(inputs.get("policy")):
        found += [(_join("lifecyclePolicyText", p), m) for p, m in lifecycle_policy_problems(inputs["policy"])]
    return found


def _repository_policy(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    request = _pick(inputs, {"repository": "repositoryName", "policy": "policyText"})
    found = validate_request("ecr", "SetRepositoryPolicy", request)
    if _known(inputs.get("policy")):
        found += [(_join("policyText", p), m) for p, m in policy_document_problems(inputs["policy"], trust=True)]
    return found


def _role(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    found = validate_request("iam", "CreateRole", role_request(inputs))
    if _known(inputs.get("assumeRolePolicy")):
        problems = policy_document_problems(inputs["assumeRolePolicy"], trust=True, limit=TRUST_POLICY_MAX)
        found += [(_join("AssumeRolePolicyDocument", p), m) for p, m in problems]
    return found


def _role_policy(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    request = _pick(inputs, {"role": "RoleName", "name": "PolicyName", "policy": "PolicyDocument"})
    found = validate_request("iam", "PutRolePolicy", request)
    if _known(inputs.get("policy")):
        problems = policy_document_problems(inputs["policy"], limit=INLINE_POLICY_MAX)
        found += [(_join("PolicyDocument", p), m) for p, m in problems]
    return found


def _policy(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    request = _pick(
        inputs, {"name": "PolicyName", "path": "Path", "policy": "PolicyDocument", "description": "Description"}
    )
    found = validate_request("iam", "CreatePolicy", request)
    if _known(inputs.get("policy")):
        problems = policy_document_problems(inputs["policy"], limit=MANAGED_POLICY_MAX)
        found += [(_join("PolicyDocument", p), m) for p, m in problems]
    return found


def _security_group(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    return validate_request("ec2", "CreateSecurityGroup", security_group_request(inputs)) + security_group_rules(inputs)


def _load_balancer(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    return validate_request("elbv2", "CreateLoadBalancer", load_balancer_request(inputs)) + load_balancer_rules(inputs)


def _bucket(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    return validate_request("s3", "CreateBucket", bucket_request(inputs)) + bucket_name_rules(inputs)


def _lifecycle_configuration(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    request = lifecycle_configuration_request(inputs)
    return validate_request("s3", "PutBucketLifecycleConfiguration", request) + lifecycle_configuration_rules(request)


def _cluster(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    found = validate_request("ecs", "CreateCluster", cluster_request(inputs))
    name = inputs.get("name")
    if isinstance(name, str) and not _CLUSTER_NAME.fullmatch(name):
        found.append(("clusterName", f"{name!r} must be 1-255 letters, digits, hyphens or underscores"))
    return found


CHECKS: dict[str, Check] = {
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": security_group_rule_rules,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": security_group_rule_rules,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:ecs/cluster:Cluster": _cluster,
    "aws:ecs/taskDefinition:TaskDefinition": _task_definition,
    "aws:ecs/service:Service": _service,
    "aws:lb/listenerRule:ListenerRule": _listener_rule,
    "aws:lb/listener:Listener": _request_check("elbv2", "CreateListener", listener_request),
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:ecr/repository:Repository": _request_check("ecr", "CreateRepository", repository_request),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": _lifecycle_policy,
    "aws:ecr/repositoryPolicy:RepositoryPolicy": _repository_policy,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:iam/role:Role": _role,
    "aws:iam/rolePolicy:RolePolicy": _role_policy,
    "aws:iam/policy:Policy": _policy,
    "aws:appautoscaling/target:Target": _request_check(
        "application-autoscaling", "RegisterScalableTarget", scalable_target_request
    ),
    "aws:appautoscaling/policy:Policy": _request_check(
        "application-autoscaling", "PutScalingPolicy", scaling_policy_request
    ),
    "aws:s3/bucket:Bucket": _bucket,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _metric_alarm,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:wafv2/webAclAssociation:WebAclAssociation": _request_check(
        "wafv2", "AssociateWebACL", web_acl_association_request
    ),
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    "aws:sns/topic:Topic": _topic,
    "aws:sns/topicPolicy:TopicPolicy": _topic_policy,
    "aws:sns/topicSubscription:TopicSubscription": _subscription,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _request_check(
        "iam", "AttachRolePolicy", role_policy_attachment_request
    ),
    "aws:s3/bucketPolicy:BucketPolicy": _bucket_policy,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _request_check(
        "s3", "PutPublicAccessBlock", public_access_block_request
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _lifecycle_configuration,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _request_check(
        "s3", "PutBucketEncryption", encryption_request
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _request_check(
        "s3", "PutBucketOwnershipControls", ownership_request
    ),
}


def check_resource(type_: str, name: str, inputs: Mapping[str, Any]) -> list[str]:
    """Problems with one recorded resource, as `resources[<name>].<path>: <problem>` lines; [] when valid or
    when the type is not one this module checks."""
    check = CHECKS.get(type_)
    if check is None:
        return []
    return [f"resources[{name}]{'.' + path if path else ''}: {message}" for path, message in check(inputs)]


def check_resources(resources: Iterable[Mapping[str, Any]]) -> list[str]:
    """Problems with every recorded resource (dicts with `type`, `name` and `inputs`), in order."""
    problems: list[str] = []
    for resource in resources:
        problems += check_resource(resource["type"], resource["name"], resource.get("inputs") or {})
    return problems
