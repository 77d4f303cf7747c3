"""What an edit makes the engine replace, offline: two `synth --json` outputs compared.

`compare(before, after)` matches resources by type and logical name (following `aliases`, and a renamed
component's children as the engine does), then decides for each what the engine would do:

- replace: a replacement-only input changed (`ecsdelivery.replace_only`, or the resource's own
  `replaceOnChanges`), or such an input takes its value from a resource that is itself replaced (a new VPC
  gives a new `vpcId`);
- update, create, delete: as the names say.

It then looks for collisions: a unique key (a physical name in its scope, a listener rule's priority, ...) that
a resource being created, replaced or updated would take while a resource that still exists at that moment
holds it. Under create-before-delete, a replaced or deleted resource lives until the end of the deploy, so a
replacement that keeps its name collides with itself.

    comparison = compare(load_synth_output(path, stack="dev"), result.to_json())
    [c.name for c in comparison.replacements]
    comparison.collisions   # [] when the deploy cannot stop on "already exists"
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecsdelivery.errors import UsageError
from ecsdelivery.replace_only import REPLACE_ONLY

Document = Mapping[str, Any]
_NAME_INPUTS = ("name", "family", "bucket")


@dataclass(frozen=True)
class Change:
    """One resource's fate: `create`, `replace`, `update` or `delete`.

    Attributes:
        type, name: the resource (for a delete, the old logical name).
        action: create, replace, update or delete.
        reasons: for a replacement, each replacement-only input that changes and how (`port: 8080 -> 9090`,
            `vpcId: from platform-vpc, which is replaced`); for an update, the changed inputs.
        downtime: why this change interrupts traffic, or None.
        old_name: the logical name in BEFORE when it differs (an alias).
    """

    type: str
    name: str
    action: str
    reasons: tuple[str, ...] = ()
    downtime: str | None = None
    old_name: str | None = None


@dataclass(frozen=True)
class Collision:
    """A unique key two live resources would hold at once: the deploy would stop on "already exists"."""

    type: str
    key: str  # e.g. 'name "acme-dev-web"' or 'listenerArn ..., priority 100'
    new: str  # the logical name taking the key
    holder: str  # the logical name of the resource that still holds it (may equal `new`: a replacement)
    why: str  # why the holder still exists at that point

    def line(self) -> str:
        return f"{self.type} {self.key}: {self.new} takes it while {self.holder} {self.why}"


@dataclass
class Comparison:
    """Every change between two synth outputs of one stack, and the collisions among them."""

    stack: str
    changes: list[Change] = field(default_factory=list)
    collisions: list[Collision] = field(default_factory=list)
    #: steps of the engine's order after which live traffic meets a target group without healthy tasks, or a
    #: service step ECS would refuse (`ecsdelivery.synth.engine_order.traffic_gaps`)
    gaps: list[str] = field(default_factory=list)

    @property
    def replacements(self) -> list[Change]:
        return [c for c in self.changes if c.action == "replace"]

    def of(self, action: str) -> list[Change]:
        return [c for c in self.changes if c.action == action]

    def named(self, name: str) -> Change | None:
        return next((c for c in self.changes if c.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "changes": [
                {
                    "type": c.type,
                    "name": c.name,
                    "action": c.action,
                    "reasons": list(c.reasons),
                    "downtime": c.downtime,
                    **({"oldName": c.old_name} if c.old_name else {}),
                }
                for c in self.changes
                if c.action != "same"
            ],
            "collisions": [
                {"type": c.type, "key": c.key, "new": c.new, "holder": c.holder, "why": c.why} for c in self.collisions
            ],
            "gaps": list(self.gaps),
        }


def load_synth_output(path: str | Path, *, stack: str | None) -> Document:
    """The `synth --json` output in `path`, checked to be one and to be of `stack` (None: any stack).

    Raises:
        UsageError (exit code 2), one line: the file is missing, not JSON, not a synth output, or of
            another stack.
    """
    where = f"--against {path}"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise UsageError(f"{where}: cannot read it ({err.strerror or err})") from None
    try:
        document = json.loads(text)
    except ValueError as err:
        raise UsageError(f"{where}: not JSON ({err}); give the output of `synth ENV --json`") from None
    problem = _shape_problem(document)
    if problem:
        raise UsageError(f"{where}: not a `synth --json` output ({problem})")
    if stack is not None and document["stack"] != stack:
        raise UsageError(f"{where}: is the synth output of stack {document['stack']!r}, not {stack!r}")
    return document


def _shape_problem(document: Any) -> str | None:
    if not isinstance(document, dict):
        return "expected a JSON object"
    if not isinstance(document.get("stack"), str):
        return 'no "stack" name'
    if not isinstance(document.get("resources"), list):
        return 'no "resources" list'
    if not isinstance(document.get("outputs"), dict):
        return 'no "outputs" object'
    for index, resource in enumerate(document["resources"]):
        if not isinstance(resource, dict):
            return f"resources[{index}] is not an object"
        for key, kind in (("type", str), ("name", str), ("inputs", dict)):
            if not isinstance(resource.get(key), kind):
                return f'resources[{index}] has no "{key}"'
    return None


def _options(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    return resource.get("options") or {}


def _dependencies(resource: Mapping[str, Any]) -> Mapping[str, Sequence[str]]:
    return resource.get("dependencies") or {}


def _is_component(resource: Mapping[str, Any]) -> bool:
    return resource["type"].startswith("ecsdelivery:") or resource["type"] == "pulumi:pulumi:StackReference"


def _match(before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """After name -> before name, for resources of the same type: by name, by alias, or by a renamed parent's
    prefix (a child `<parent>-x` of an aliased parent inherits the alias `<old parent>-x`, as in the engine)."""
    old = {(r["type"], r["name"]) for r in before}
    renamed: dict[str, str] = {}
    matches: dict[str, str] = {}
    for resource in after:  # parents come before their children in synth order
        candidates = [resource["name"], *_options(resource).get("aliases", [])]
        parent = resource.get("parent")
        if parent in renamed and resource["name"].startswith(parent):
            candidates.append(renamed[parent] + resource["name"][len(parent) :])
        for candidate in candidates:
            if (resource["type"], candidate) in old:
                matches[resource["name"]] = candidate
                if candidate != resource["name"]:
                    renamed[resource["name"]] = candidate
                break
    return matches


def _show(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def compare(before: Document, after: Document) -> Comparison:
    """What the engine would do to go from `before` to `after` (two `synth --json` outputs of one stack)."""
    old_by_name = {r["name"]: r for r in before["resources"]}
    new_resources = [r for r in after["resources"] if not _is_component(r)]
    matches = _match(before["resources"], list(after["resources"]))
    created = {r["name"] for r in new_resources if r["name"] not in matches}
    changed_inputs = {
        r["name"]: _changed_inputs(old, r)
        for r in new_resources
        if (old := old_by_name.get(matches.get(r["name"], ""))) is not None
    }
    replaced = _replacements(new_resources, old_by_name, matches, changed_inputs, created)
    fresh = set(replaced) | created

    comparison = Comparison(stack=str(after["stack"]))
    for resource in new_resources:
        name = resource["name"]
        old_name = matches.get(name)
        alias = old_name if old_name and old_name != name else None
        if name in created:
            comparison.changes.append(Change(resource["type"], name, "create"))
        elif name in replaced:
            comparison.changes.append(
                Change(resource["type"], name, "replace", tuple(replaced[name]), _downtime(resource), alias)
            )
        else:
            ignored = _ignored(resource)
            through = sorted(
                k for k, sources in _dependencies(resource).items() if set(sources) & fresh and k not in ignored
            )
            updated = sorted(set(changed_inputs.get(name, [])) | set(through))
            action = "update" if updated else "same"
            comparison.changes.append(Change(resource["type"], name, action, tuple(updated), None, alias))
    matched_old = set(matches.values())
    for resource in before["resources"]:
        if resource["name"] not in matched_old and not _is_component(resource):
            downtime = "its replacement has another name" if resource["type"] in _DOWNTIME_ON_DELETE else None
            comparison.changes.append(Change(resource["type"], resource["name"], "delete", (), downtime))
    comparison.collisions = _collisions(before, after, comparison, matches, fresh)
    from ecsdelivery.synth.engine_order import traffic_gaps

    comparison.gaps = traffic_gaps(before, after, comparison)
    return comparison


def _ignored(resource: Mapping[str, Any]) -> set[str]:
    """Inputs under `ignoreChanges`: the engine does not diff them (they keep the old value)."""
    return set(_options(resource).get("ignoreChanges", []))


def _changed_inputs(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    ignored = _ignored(new)
    keys = set(old["inputs"]) | set(new["inputs"])
    return sorted(k for k in keys if old["inputs"].get(k) != new["inputs"].get(k) and k not in ignored)


def _follow_reasons(resource: Mapping[str, Any], fresh: set[str], replaced: Mapping[str, Any]) -> list[str]:
    """`vpcId: from platform-vpc, which is replaced`: replace-only inputs that take a value from a resource the
    deploy replaces or creates."""
    ignored = _ignored(resource)
    return [
        f"{key}: from {', '.join(sorted(set(sources) & fresh))}, which is "
        + ("replaced" if set(sources) & set(replaced) else "new")
        for key, sources in sorted(_dependencies(resource).items())
        if key in _replace_only(resource) and set(sources) & fresh and key not in ignored
    ]


def _replacements(
    resources: Sequence[Mapping[str, Any]],
    old_by_name: Mapping[str, Mapping[str, Any]],
    matches: Mapping[str, str],
    changed_inputs: Mapping[str, list[str]],
    created: set[str],
) -> dict[str, list[str]]:
    """Each replaced resource and why: its own replace-only inputs first, then, to a fixed point, those whose
    replace-only inputs come from a replaced or created resource; the name last (a hashed name follows both)."""
    replaced: dict[str, list[str]] = {}
    for resource in resources:
        name = resource["name"]
        if old_by_name.get(matches.get(name, "")) is None:
            continue
        old = old_by_name[matches[name]]
        keys = sorted(_replace_only(resource), key=lambda k: k in _NAME_INPUTS)
        reasons = [
            f"{key}: {_show(old['inputs'].get(key))} -> {_show(resource['inputs'].get(key))}"
            for key in keys
            if key in changed_inputs[name]
        ]
        if reasons:
            replaced[name] = reasons
    grew = True
    while grew:
        grew = False
        fresh = set(replaced) | created
        for resource in resources:
            name = resource["name"]
            if name not in replaced and name not in created:
                reasons = _follow_reasons(resource, fresh, replaced)
                if reasons:
                    replaced[name] = reasons
                    grew = True
    # A replacement with its own reasons may also follow another's: say so (before the name, which follows both).
    fresh = set(replaced) | created
    for resource in resources:
        name = resource["name"]
        if name not in replaced or name in created:
            continue
        direct = [r for r in replaced[name] if _input_of(r) not in _NAME_INPUTS]
        names = [r for r in replaced[name] if _input_of(r) in _NAME_INPUTS]
        shown = {_input_of(r) for r in direct}
        follows = _follow_reasons(resource, fresh, replaced)
        added = [r for r in follows if r not in replaced[name] and _input_of(r) not in shown]
        replaced[name] = direct + added + names
    return replaced


_DOWNTIME_ON_DELETE = ("aws:lb/loadBalancer:LoadBalancer",)


def _input_of(reason: str) -> str:
    """The input a reason line is about: `port: 8080 -> 9090` -> `port`."""
    return reason.split(":", 1)[0]


def _replace_only(resource: Mapping[str, Any]) -> list[str]:
    entry = REPLACE_ONLY.get(resource["type"])
    keys = list(entry.replace_on) if entry else []
    extra = _options(resource).get("replaceOnChanges", [])
    if "*" in extra:
        return sorted(set(keys) | set(resource["inputs"]))
    return keys + [key for key in extra if key not in keys]


def _downtime(resource: Mapping[str, Any]) -> str | None:
    if _options(resource).get("deleteBeforeReplace"):
        return "deleted before its replacement exists (deleteBeforeReplace)"
    entry = REPLACE_ONLY.get(resource["type"])
    return entry.downtime if entry else None


def _key(resource: Mapping[str, Any], fields: tuple[str, ...]) -> tuple[Any, ...] | None:
    """The unique key's values, or None when AWS would choose the value (a name left unset)."""
    values = tuple(json.dumps(resource["inputs"].get(f), sort_keys=True, default=str) for f in fields)
    if any(f in _NAME_INPUTS and resource["inputs"].get(f) is None for f in fields):
        return None
    return values


def _describe(resource: Mapping[str, Any], fields: tuple[str, ...]) -> str:
    return ", ".join(f"{f} {_show(resource['inputs'].get(f))}" for f in fields)


def _collisions(
    before: Document, after: Document, comparison: Comparison, matches: Mapping[str, str], fresh: set[str]
) -> list[Collision]:
    actions = {c.name: c for c in comparison.changes}
    old_to_new = {old: new for new, old in matches.items()}
    new_by_name = {r["name"]: r for r in after["resources"]}
    collisions: list[Collision] = []
    for type_, entry in REPLACE_ONLY.items():
        for fields in entry.unique_keys:
            # Keys held by old resources that still exist while the new ones are created.
            held: dict[tuple[Any, ...], tuple[str, str]] = {}
            for old in before["resources"]:
                if old["type"] != type_:
                    continue
                key = _key(old, fields)
                if key is None:
                    continue
                new_name = old_to_new.get(old["name"])
                change = actions.get(new_name) if new_name else None
                if change is None:
                    held[key] = (old["name"], "is deleted only at the end of the deploy")
                elif change.action == "replace" and not _options(new_by_name[new_name]).get("deleteBeforeReplace"):
                    held[key] = (old["name"], "(the resource it replaces) is deleted only after it is created")
                elif change.action == "update" and _key(new_by_name[new_name], fields) != key:
                    held[key] = (old["name"], "keeps it until its own update, in no set order")
            # Keys taken by new values: created, replaced, or updated resources whose key changes.
            taken: dict[tuple[Any, ...], str] = {}
            for resource in after["resources"]:
                if resource["type"] != type_:
                    continue
                change = actions.get(resource["name"])
                key = _key(resource, fields)
                if change is None or key is None or change.action == "same":
                    continue
                # A key that takes a value from a new or replaced resource (a new VPC's id) is new itself.
                if any(set(_dependencies(resource).get(f, ())) & fresh for f in fields):
                    continue
                old = before_key = None
                if change.action == "update":
                    old = next(r for r in before["resources"] if r["name"] == matches[resource["name"]])
                    before_key = _key(old, fields)
                    if before_key == key:
                        continue
                text = _describe(resource, fields)
                if key in taken:
                    collisions.append(
                        Collision(type_, text, resource["name"], taken[key], "takes it too in the same deploy")
                    )
                taken[key] = resource["name"]
                if key in held and (held[key][0] != matches.get(resource["name"]) or change.action == "replace"):
                    holder, why = held[key]
                    collisions.append(Collision(type_, text, resource["name"], holder, why))
    return collisions


def report_lines(comparison: Comparison, against: str) -> list[str]:
    """The human report: a summary line, then each replacement (why, downtime), create, delete and collision."""
    replacements = comparison.replacements
    lines = [
        f"stack {comparison.stack} against {against}: {len(replacements)} replacement(s), "
        f"{len(comparison.of('update'))} update(s), {len(comparison.of('create'))} create(s), "
        f"{len(comparison.of('delete'))} delete(s), {len(comparison.collisions)} collision(s), "
        f"{len(comparison.gaps)} traffic gap(s)"
    ]
    for change in replacements:
        was = f" (was {change.old_name})" if change.old_name else ""
        lines.append(f"  replace {change.name}{was}  {change.type}")
        lines.extend(f"    because {reason}" for reason in change.reasons)
        downtime = change.downtime or "none (the new one is created before the old one goes)"
        lines.append(f"    downtime: {downtime}")
    for action in ("create", "delete"):
        for change in comparison.of(action):
            downtime = f"  downtime: {change.downtime}" if change.downtime else ""
            lines.append(f"  {action} {change.name}  {change.type}{downtime}")
    for gap in comparison.gaps:
        lines.append(f"  DOWNTIME {gap}")
    for collision in comparison.collisions:
        lines.append(f"  COLLISION {collision.line()}")
    if comparison.collisions:
        lines.append("  the deploy would stop on a duplicate: change the edit (or rename the resource) first")
    return lines


def markdown(comparison: Comparison, against: str) -> str:
    """The report as Markdown, for a job summary or a pull-request comment."""
    replacements = comparison.replacements
    head = f"### Replacements in `{comparison.stack}`"
    if not replacements and not comparison.collisions and not comparison.gaps and not comparison.of("delete"):
        return f"{head}\n\nNothing is replaced or deleted (against `{against}`).\n"
    rows = ["| resource | type | because | downtime |", "|---|---|---|---|"]
    for change in replacements:
        because = "<br>".join(f"`{r}`" for r in change.reasons)
        rows.append(f"| `{change.name}` | `{change.type}` | {because} | {change.downtime or 'none'} |")
    for change in comparison.of("delete"):
        rows.append(f"| `{change.name}` | `{change.type}` | deleted | {change.downtime or 'none'} |")
    text = f"{head}\n\n" + "\n".join(rows) + "\n"
    if comparison.gaps:
        text += "\n**Traffic meets an empty target group** (in the engine's order):\n\n"
        text += "".join(f"- {gap}\n" for gap in comparison.gaps)
    if comparison.collisions:
        text += "\n**Collisions: the deploy would stop on a duplicate.**\n\n"
        text += "".join(f"- {c.line()}\n" for c in comparison.collisions)
    return text


__all__ = ["Change", "Collision", "Comparison", "compare", "load_synth_output", "markdown", "report_lines"]
