"""Read stack files: YAML with line numbers, imports, deep merge, `${VAR}` interpolation, then validation.

How a stack is assembled (`load_stack("dev")`):

1. `stacks/dev.yaml` is parsed. Its optional top-level `import:` lists files, relative to the importing file,
   each loaded the same way (imports may import). They are merged in order, then the file's own content on top.
2. Merging: maps merge key by key; any other value (lists and `null` included) replaces the earlier one. Two
   exceptions: an empty map `{}` clears (`services: {}`), and a map whose `mode` changes (e.g.
   `platform: {mode: stack}` over `{mode: create, ...}`) replaces the earlier map as a whole.
3. Interpolation in every string value: `${VAR}` is the variable's value, `${VAR:-default}` falls back to
   `default` when VAR is unset or empty, `$${` is a literal `${`. Variables come from the process environment,
   overlaid by `variables` (the CLI passes `PR` for previews and `IMAGE` when `--image` is given). A variable
   that is referenced, unset and has no default is an error. Results stay strings; the models convert
   "3" to 3 where a number is expected.
4. The merged data is validated by `StackConfig`. Every problem, from any stage, becomes one line
   `<file>:<line>: <key.path>: <what is wrong>` in a `ConfigError`; the line is where the YAML put the key
   (for a missing key: its parent's).
"""

from __future__ import annotations

import difflib
import os
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ecsdelivery.config.models import StackConfig, StackPlatform
from ecsdelivery.errors import ConfigError, UsageError
from ecsdelivery.naming import PREVIEW, is_preview_name, preview_number

KeyPath = tuple[str | int, ...]

RESERVED_KEYS = {"pr": "set by --pr, not in a stack file", "stack_file": "set by the loader, not in a stack file"}
_PLATFORM_MODES = ("create", "stack", "existing")
# libyaml's parser when present (several times faster); both keep line marks on every node.
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MAX_FLOW_DEPTH = 64
_MAX_NODES = 20_000  # guards against alias bombs ("billion laughs")


@dataclass(frozen=True)
class Location:
    """Where a key was written: file (as shown to the user) and 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


def format_path(path: KeyPath) -> str:
    """`services.web.containers[0].cpu` from ("services", "web", "containers", 0, "cpu")."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _display(path: Path) -> str:
    """The path as the user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # outside the directory; a symlink loop
        return str(path)


# --- interpolation -------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\$\$\{|\$\{(?P<body>[^}]*)\}|\$\{")
_REFERENCE = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>.*))?", re.DOTALL)


def interpolate(value: str, variables: Mapping[str, str]) -> tuple[str, list[str]]:
    """Expand `${VAR}`, `${VAR:-default}` and `$${` in `value`; returns the text and the problems found."""
    problems: list[str] = []

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "$${":
            return "${"
        body = match.group("body")
        if body is None:
            problems.append("unterminated '${' (write '$${' for a literal '${')")
            return token
        reference = _REFERENCE.fullmatch(body)
        if reference is None:
            problems.append(f"'${{{body}}}' is not a variable reference; use ${{NAME}} or ${{NAME:-default}}")
            return token
        name, default = reference.group("name"), reference.group("default")
        current = variables.get(name)
        if default is not None and not current:
            return default
        if current is None:
            problems.append(f"variable {name} is not set and has no default (set it, or write ${{{name}:-default}})")
            return token
        return current

    return _TOKEN.sub(replace, value), problems


# --- YAML with locations -------------------------------------------------------------------------------------


@dataclass
class _Document:
    data: Any
    locations: dict[KeyPath, Location]
    # The text of plain scalars YAML 1.1 read as something else (`012345` -> 5349, `on` -> true), by key path.
    written: dict[KeyPath, str] = field(default_factory=dict)


class _Reader:
    """Turns one file's YAML nodes into plain data, recording the line of every key and list item."""

    def __init__(self, display: str, variables: Mapping[str, str], problems: list[str]) -> None:
        self.display = display
        self.variables = variables
        self.problems = problems
        self.locations: dict[KeyPath, Location] = {}
        self.written: dict[KeyPath, str] = {}
        self.nodes = 0

    def problem(self, line: int, path: KeyPath, message: str) -> None:
        self.problems.append(f"{self.display}:{line}: {format_path(path)}: {message}")

    def read(self, text: str) -> _Document | None:
        too_deep = _flow_too_deep(text)
        if too_deep:
            self.problems.append(
                f"{self.display}:{too_deep}: malformed YAML: nested more than {_MAX_FLOW_DEPTH} levels"
            )
            return None
        loader: Any = None
        try:
            loader = _SafeLoader(text)  # checks the characters already
            node = loader.get_single_node()
            self.locations[()] = Location(self.display, 1)
            data = {} if node is None else self.convert(loader, node, ())
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            line = mark.line + 1 if mark else 1
            what = " ".join(p for p in (err.context, err.problem) if p)
            self.problems.append(f"{self.display}:{line}: malformed YAML: {what}")
            return None
        except yaml.reader.ReaderError as err:
            line = text[: err.position].count("\n") + 1
            self.problems.append(f"{self.display}:{line}: malformed YAML: character {err.character!r}: {err.reason}")
            return None
        except yaml.YAMLError as err:
            self.problems.append(f"{self.display}:1: malformed YAML: {err}")
            return None
        except RecursionError:
            self.problems.append(f"{self.display}:1: malformed YAML: nested too deeply")
            return None
        finally:
            if loader is not None:
                loader.dispose()
        if not isinstance(data, dict):
            self.problem(1, (), f"a stack file is a mapping of keys, not {_type_name(data)}")
            return None
        return _Document(data, self.locations, self.written)

    def pairs(self, node: yaml.MappingNode, path: KeyPath, *, report: bool) -> list[tuple[yaml.Node, yaml.Node]]:
        """The key/value nodes of a mapping with YAML merge keys applied (`<<: *base` or `<<: [*a, *b]`).

        Keys written in the mapping win over merged ones, and an earlier merged mapping over a later one, as
        YAML specifies; a key written twice in the same mapping is a problem (reported once, where it is).
        """
        own: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        sources: list[yaml.MappingNode] = []
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                members = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                if not all(isinstance(member, yaml.MappingNode) for member in members):
                    if report:
                        self.problem(line, path, "'<<' merges a mapping or a list of mappings (e.g. <<: *base)")
                    continue
                sources.extend(members)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                if report:
                    self.problem(line, path, "keys must be plain strings")
                continue
            # The key's text as written: YAML 1.1 would turn `on:` or `yes:` into booleans.
            key = str(key_node.value)
            if key in own:
                if report:
                    first = own[key][0].start_mark.line + 1
                    self.problem(line, (*path, key), f"duplicate key (also line {first})")
                continue
            own[key] = (key_node, value_node)
        merged: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for source in sources:
            self.nodes += 1
            if self.nodes > _MAX_NODES:
                raise yaml.YAMLError(f"more than {_MAX_NODES} values (too many aliases?)")
            for key_node, value_node in self.pairs(source, path, report=False):
                merged.setdefault(str(key_node.value), (key_node, value_node))
        return [pair for key, pair in merged.items() if key not in own] + list(own.values())

    def convert(self, loader: Any, node: yaml.Node, path: KeyPath) -> Any:
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            raise yaml.YAMLError(f"more than {_MAX_NODES} values (too many aliases?)")
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in self.pairs(node, path, report=True):
                key = str(key_node.value)
                self.locations[(*path, key)] = Location(self.display, key_node.start_mark.line + 1)
                result[key] = self.convert(loader, value_node, (*path, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.locations[(*path, index)] = Location(self.display, item.start_mark.line + 1)
                items.append(self.convert(loader, item, (*path, index)))
            return items
        value = loader.construct_object(node, deep=True)
        if not node.style and value is not None and not isinstance(value, str):  # plain: None, or "" (libyaml)
            # A plain scalar YAML 1.1 turned into something else: keep the text for keys that take text.
            self.written[path] = str(node.value)
        if isinstance(value, str) and "$" in value:
            value, problems = interpolate(value, self.variables)
            for message in problems:
                self.problem(node.start_mark.line + 1, path, message)
        return value


def _flow_too_deep(text: str) -> int:
    """The line where `[`/`{` nesting passes `_MAX_FLOW_DEPTH` (0 if never).

    PyYAML's scanner slows down quadratically with flow nesting, so absurd depths are refused up front. The count
    skips quoted text roughly; real stack files stay far below the limit.
    """
    if text.count("[") + text.count("{") <= _MAX_FLOW_DEPTH:
        return 0
    depth, quote, line = 0, "", 1
    for char in text:
        if char == "\n":
            line += 1
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
            if depth > _MAX_FLOW_DEPTH:
                return line
        elif char in "]}":
            depth = max(depth - 1, 0)
    return 0


def _one_line(problem: str) -> str:
    """Keys and values may hold line breaks; a problem is always one line."""
    return problem.replace("\r", "\\r").replace("\n", "\\n")


def _type_name(value: Any) -> str:
    return {
        type(None): "null",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


# --- imports and merge ---------------------------------------------------------------------------------------


def _merge(base: Any, over: Any, path: KeyPath, replaced: set[KeyPath]) -> Any:
    """Deep merge: maps key by key, everything else (lists too) replaced; a changed `mode` replaces the map."""
    if isinstance(base, dict) and isinstance(over, dict):
        if path and not over and base:  # an explicit `{}` clears, e.g. `services: {}` in the shared stack
            replaced.add(path)
            return {}
        if "mode" in base and "mode" in over and base["mode"] != over["mode"]:
            replaced.add(path)
            return dict(over)
        merged = dict(base)
        for key, value in over.items():
            merged[key] = _merge(base[key], value, (*path, key), replaced) if key in base else value
        return merged
    replaced.add(path)
    return over


def _merge_documents(base: _Document, over: _Document) -> _Document:
    replaced: set[KeyPath] = set()
    data = _merge(base.data, over.data, (), replaced)
    locations = {
        path: location
        for path, location in base.locations.items()
        if not any(path[:n] in replaced for n in range(1, len(path)))
    }
    locations.update(over.locations)
    written = {
        path: text
        for path, text in base.written.items()
        if path not in over.locations and not any(path[:n] in replaced for n in range(1, len(path)))
    }
    written.update(over.written)
    return _Document(data, locations, written)


def _import_target(root: Path, importer: Path, name: str) -> tuple[Path | None, str]:
    """The file `name` imported by `importer` names, or None and why not.

    Imports are relative to the importing file and never leave `root`, the stacks directory: an absolute path,
    a `../` past it or a symlink out of it is refused before it is read, so no error line quotes a foreign file.
    """
    where = _display(root)
    if Path(name).is_absolute() or name.startswith("~"):
        return None, f"imported file {name} is not relative to this file; imports stay inside {where}"
    try:
        target = (importer.parent / name).resolve(strict=True)
    except FileNotFoundError:
        return None, f"imported file {name} not found"
    except (OSError, RuntimeError) as err:  # a symlink loop, a directory that cannot be read
        reason = getattr(err, "strerror", None) or str(err)
        return None, f"imported file {name} cannot be read: {reason}"
    if not target.is_relative_to(root):
        return None, f"imported file {name} is outside {where}; imports stay inside the stacks directory"
    try:
        if not target.is_file():
            return None, f"imported file {name} is not a file"
    except OSError as err:
        return None, f"imported file {name} cannot be read: {err.strerror}"
    return target, ""


def _load_file(
    path: Path, chain: tuple[Path, ...], variables: Mapping[str, str], problems: list[str], root: Path
) -> _Document | None:
    """One file with its imports (inside `root`, the stacks directory) merged underneath it."""
    display = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        problems.append(f"{display}:1: cannot read the file: {err}")
        return None
    reader = _Reader(display, variables, problems)
    document = reader.read(text)
    if document is None:
        return None
    imports = document.data.pop("import", [])
    import_line = document.locations.get(("import",), Location(display, 1)).line
    if isinstance(imports, str):
        imports = [imports]
    if not isinstance(imports, list):
        reader.problem(import_line, ("import",), f"must be a list of file names, not {_type_name(imports)}")
        imports = []
    merged = _Document({}, {(): Location(display, 1)})
    chain = (*chain, path)
    for index, name in enumerate(imports):
        line = document.locations.get(("import", index), Location(display, import_line)).line
        if not isinstance(name, str) or not name:
            reader.problem(line, ("import", index), f"must be a file name, not {_type_name(name)}")
            continue
        target, why = _import_target(root, path, name)
        if target is None:
            named = Path(os.path.normpath(path.parent / name))
            route = " -> ".join(_display(p) for p in (*chain, named))
            reader.problem(line, ("import", index), f"{why} (import chain: {route})")
            continue
        if target in chain:
            route = " -> ".join(_display(p) for p in (*chain, target))
            reader.problem(line, ("import", index), f"import cycle: {route}")
            continue
        imported = _load_file(target, chain, variables, problems, root)
        if imported is not None:
            merged = _merge_documents(merged, imported)
    for path_key in [k for k in document.locations if k and k[0] == "import"]:
        del document.locations[path_key]
    for path_key in [k for k in document.written if k and k[0] == "import"]:
        del document.written[path_key]
    return _merge_documents(merged, document)


# --- values as written ----------------------------------------------------------------------------------------

# How a number in a stack file is written when YAML 1.1 and the reader agree on it: plain decimal.
_PLAIN_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")


def _kinds_at(path: KeyPath) -> set[type]:
    """The scalar types (str, int, bool) the models accept at a data key path; empty when the path is unknown."""
    current: list[Any] = [StackConfig]
    for element in path:
        following: list[Any] = []
        for candidate in current:
            origin = typing.get_origin(candidate)
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                field_info = candidate.model_fields.get(str(element))
                if field_info is not None:
                    following.extend(_unwrap(field_info.annotation))
            elif (origin is list and isinstance(element, int)) or (origin is dict and isinstance(element, str)):
                following.extend(_unwrap(typing.get_args(candidate)[-1]))
        current = following
    kinds: set[type] = set()
    for candidate in current:
        if typing.get_origin(candidate) is typing.Literal:
            kinds.update(type(arg) for arg in typing.get_args(candidate))
        elif candidate in (str, int, bool, float):
            kinds.add(candidate)
    return kinds


def _set(data: Any, path: KeyPath, value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _get(data: Any, path: KeyPath) -> Any:
    for part in path:
        data = data[part]
    return data


def values_as_written(document: _Document) -> list[str]:
    """Give every key the value its text says, not what YAML 1.1 made of it; returns the problems.

    Keys that take text get the plain scalar exactly as written (`ZIP: 012345` stays "012345", `TIME: 12:30:00`
    stays "12:30:00", `VERSION: 1.10` stays "1.10", `FLAG: on` stays "on"). A number key refuses what is not a
    plain decimal number (`012` is 10 to YAML 1.1 and 12 to a reader; `1:30` is 90), a number key refuses
    `true`, and a true/false key refuses a number, each with a line saying how to write it.
    """
    problems: list[str] = []
    for path, text in document.written.items():
        try:
            value = _get(document.data, path)
        except (KeyError, IndexError, TypeError):
            continue
        kinds = _kinds_at(path)
        where = _nearest(path, document.locations)
        if str in kinds and not kinds & {int, bool, float}:
            _set(document.data, path, text)
        elif isinstance(value, bool) and kinds and bool not in kinds:
            problems.append(f"{where}: {format_path(path)}: {text} is a boolean; write a number")
        elif isinstance(value, int) and not isinstance(value, bool) and int in kinds:
            if not _PLAIN_INT.fullmatch(text):
                problems.append(
                    f"{where}: {format_path(path)}: {text!r} is {value} to YAML 1.1 and may not be what you meant; "
                    "write the number in plain decimal"
                )
        elif isinstance(value, float) and int in kinds and float not in kinds:
            problems.append(f"{where}: {format_path(path)}: {text} is not a whole number; write one in plain decimal")
        elif isinstance(value, int | float) and not isinstance(value, bool) and kinds == {bool}:
            problems.append(f"{where}: {format_path(path)}: {text} is a number; write true or false")
    return problems


# --- validation errors -> lines ------------------------------------------------------------------------------


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types behind Annotated/Optional/Union."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg) if t is not type(None)]
    return [annotation]


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class at a pydantic error location (used to list allowed keys)."""
    current: list[Any] = [StackConfig]
    for element in loc:
        following: list[Any] = []
        for candidate in current:
            origin = typing.get_origin(candidate)
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                field = candidate.model_fields.get(str(element))
                if field is not None:
                    following.extend(_unwrap(field.annotation))
                elif element in _PLATFORM_MODES:
                    following.append(candidate)
            elif (origin is list and isinstance(element, int)) or origin is dict:
                following.extend(_unwrap(typing.get_args(candidate)[-1]))
        # a discriminated union: the tag picks the member
        tagged = [
            c
            for c in following
            if isinstance(c, type)
            and issubclass(c, BaseModel)
            and "mode" in c.model_fields
            and element in typing.get_args(c.model_fields["mode"].annotation)
        ]
        current = tagged or following
        if not current:
            return None
    models = [c for c in current if isinstance(c, type) and issubclass(c, BaseModel)]
    return models[0] if len(models) == 1 else None


def _data_path(loc: tuple[Any, ...], data: Any) -> KeyPath:
    """Drop pydantic's own location parts (union tags, `[key]`) to get the key path in the YAML."""
    path: list[str | int] = []
    node = data
    for index, element in enumerate(loc):
        if element == "[key]":
            continue
        if index == 1 and loc[0] == "platform" and element in _PLATFORM_MODES:
            continue  # the discriminated union's tag
        present = (isinstance(node, dict) and element in node) or (
            isinstance(node, list) and isinstance(element, int) and 0 <= element < len(node)
        )
        node = node[element] if present else None  # type: ignore[index]
        path.append(element)
    return tuple(path)


_RELATIVE = re.compile(r"^@(?P<path>.*?): ")  # keys (tag keys) may hold spaces
_PART = re.compile(r"\[([0-9]+)\]|([^.\[\]]+)")


def _relative(text: str) -> tuple[tuple[str | int, ...], str]:
    match = _RELATIVE.match(text)
    if not match:
        return (), text
    parts = tuple(int(i) if i else name for i, name in _PART.findall(match.group("path")))
    return parts, text[match.end() :]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(error: Any, loc: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], str]]:
    kind, message, given = error["type"], error["msg"], error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return [(loc, "required key is missing")]
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        allowed = [name for name in (model.model_fields if model else {}) if name not in RESERVED_KEYS]
        text = "unknown key"
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        if close:
            text += f" (did you mean {close[0]!r}?)"
        if allowed and len(allowed) <= 16:
            text += f"; allowed keys: {', '.join(allowed)}"
        return [(loc, text)]
    if kind == "literal_error":
        legal = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return [(loc, f"{_short(given)} is not allowed; legal values: {legal}")]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        legal = ", ".join(_PLATFORM_MODES)
        if kind == "union_tag_not_found":
            return [((*loc, "mode"), f"required key is missing; legal values: {legal}")]
        return [((*loc, "mode"), f"{_short(ctx.get('tag'))} is not a platform mode; legal values: {legal}")]
    if kind == "value_error":
        text = message.removeprefix("Value error, ")
        return [((*loc, *rel), what) for rel, what in (_relative(line) for line in text.splitlines())]
    if kind == "string_pattern_mismatch":
        return [(loc, f"{_short(given)} does not match the pattern {ctx.get('pattern')}")]
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return [(loc, f"{message[0].lower()}{message[1:]}, not {_type_name(given)} {_short(given)}")]
    return [(loc, f"{message[0].lower()}{message[1:]} (got {_short(given)})")]


def _nearest(path: KeyPath, locations: Mapping[KeyPath, Location]) -> Location:
    for n in range(len(path), -1, -1):
        location = locations.get(path[:n])
        if location is not None:
            return location
    return next(iter(locations.values()))


def validation_problems(err: ValidationError, document: _Document) -> list[str]:
    """One `<file>:<line>: <key.path>: <what>` line per validation error."""
    located: dict[str, tuple[str, int]] = {}
    for error in err.errors(include_url=False):
        for loc, what in _message(error, tuple(error["loc"])):
            path = _data_path(loc, document.data)
            where = _nearest(path, document.locations)
            located.setdefault(f"{where}: {format_path(path)}: {what}", (where.file, where.line))
    # in file order, as a reader goes through them
    return sorted(located, key=lambda line: located[line])


# --- public entry points -------------------------------------------------------------------------------------


_ENVIRONMENT_NAME = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?")


def _stack_files(stacks_dir: str | os.PathLike[str]) -> list[Path]:
    directory = Path(stacks_dir)
    try:
        return sorted(p for p in directory.glob("*.yaml") if p.is_file())
    except OSError:
        return []


def stack_file_problem(name: str) -> str | None:
    """Why `stacks/<name>.yaml` cannot be an environment, or None when it can."""
    if is_preview_name(name):
        return (
            f"a stack file cannot be named {name}.yaml: {name} is the stack of PR {name[3:]}'s preview, which is "
            "made from preview.yaml; rename the file"
        )
    if not _ENVIRONMENT_NAME.fullmatch(name) or len(name) > 64:
        return (
            f"{name}.yaml is not an environment name: a lowercase letter, then lowercase letters, digits and '-', "
            "not ending in '-', at most 64 characters; rename the file"
        )
    return None


def list_environments(stacks_dir: str | os.PathLike[str] = "stacks") -> list[str]:
    """Environment names: the top-level `<name>.yaml` files of `stacks_dir` whose name can be an environment.

    Any such file is an environment every command accepts (`qa.yaml` is the environment and stack `qa`);
    `preview.yaml` is the template of the `pr-<N>` stacks. Catalog files live in subdirectories. Files that
    cannot be an environment (`pr-5.yaml`, `QA.yaml`) are listed by `stack_file_problems`.
    """
    return [p.stem for p in _stack_files(stacks_dir) if stack_file_problem(p.stem) is None]


def stack_file_problems(stacks_dir: str | os.PathLike[str] = "stacks") -> list[str]:
    """One line per top-level `*.yaml` file of `stacks_dir` that cannot be an environment."""
    return [
        f"{_display(path)}:1: {problem}"
        for path in _stack_files(stacks_dir)
        if (problem := stack_file_problem(path.stem)) is not None
    ]


def load_document(
    env: str, *, stacks_dir: str | os.PathLike[str] = "stacks", variables: Mapping[str, str] | None = None
) -> _Document:
    """The merged, interpolated data of `stacks/<env>.yaml` with the location of every key (no validation)."""
    known = list_environments(stacks_dir)
    if env not in known:
        where = f"in {_display(Path(stacks_dir))}" if Path(stacks_dir).is_dir() else f"({stacks_dir} does not exist)"
        raise UsageError(f"unknown environment {env!r}; known {where}: {', '.join(known) or 'none'}")
    values = {**os.environ, **(variables or {})}
    problems: list[str] = []
    root = Path(stacks_dir).resolve()
    path, why = _import_target(root, root / "stack", f"{env}.yaml")
    if path is None:
        raise ConfigError(
            [f"{_display(Path(stacks_dir) / f'{env}.yaml')}:1: {why.replace('imported file', 'stack file')}"]
        )
    document = _load_file(path, (), values, problems, root)
    if problems or document is None:
        raise ConfigError(
            [_one_line(p) for p in problems] or [f"{_display(Path(stacks_dir) / f'{env}.yaml')}:1: cannot load"]
        )
    return document


def load_stack(
    env: str,
    *,
    stacks_dir: str | os.PathLike[str] = "stacks",
    pr: int | None = None,
    variables: Mapping[str, str] | None = None,
) -> StackConfig:
    """Load, merge and validate the stack file of `env`.

    Args:
        env: dev, staging, prod, shared, preview (or any stacks/<env>.yaml); `pr-<N>` means preview with PR N.
        stacks_dir: directory of the stack files. Default: "stacks".
        pr: the pull request number; required for `preview`, refused for the others.
        variables: values for `${VAR}` interpolation, overlaid on the process environment.

    Raises:
        UsageError: unknown environment, or a missing/unexpected PR number (exit code 2).
        ConfigError: anything wrong in the files, one line per problem (exit code 2).

    Example:
        config = load_stack("preview", pr=42)
        config.stack_name                       # "pr-42"
        config.services["web"].routing.host     # "pr-42.preview.example.com"
    """
    number = preview_number(env)
    if number is not None:
        if pr is not None and pr != number:
            raise UsageError(f"stack {env} and --pr {pr} disagree")
        env, pr = PREVIEW, number
    if env == "preview" and pr is None:
        raise UsageError("the preview environment needs a pull request number (--pr N)")
    if pr is not None and env != "preview":
        raise UsageError(f"--pr applies to the preview environment only, not {env!r}")
    if pr is not None and pr < 1:
        raise UsageError(f"pull request numbers start at 1, not {pr}")
    if pr is not None and (Path(stacks_dir) / f"pr-{pr}.yaml").is_file():
        # Never read: say so rather than deploy the preview template in its place.
        raise ConfigError([f"{_display(Path(stacks_dir) / f'pr-{pr}.yaml')}:1: {stack_file_problem(f'pr-{pr}')}"])
    values = dict(variables or {})
    if pr is not None:
        values["PR"] = str(pr)
    document = load_document(env, stacks_dir=stacks_dir, variables=values)
    data = document.data
    problems = [f"{document.locations[(key,)]}: {key}: {why}" for key, why in RESERVED_KEYS.items() if key in data]
    if pr is not None and data.get("environment", "preview") != "preview":
        problems.append(f"{_nearest(('environment',), document.locations)}: environment: must be 'preview' here")
    if problems:
        raise ConfigError(problems)
    problems = values_as_written(document)
    if problems:
        raise ConfigError([_one_line(p) for p in problems])
    data.setdefault("environment", env)
    data["pr"] = pr
    data["stack_file"] = env
    try:
        config = StackConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError([_one_line(p) for p in validation_problems(err, document)]) from None
    if pr is not None:
        problems = _previews_shadowed(config, stacks_dir)
        if problems:
            raise ConfigError(problems)
    return config


def _previews_shadowed(preview: StackConfig, stacks_dir: str | os.PathLike[str]) -> list[str]:
    """A preview shares its platform stack's listener, below that stack's own rules: a rule of that stack that
    matches any host and every path of a preview service takes all of the preview's traffic."""
    platform = preview.platform
    if not isinstance(platform, StackPlatform) or platform.stack not in list_environments(stacks_dir):
        return []
    try:
        document = load_document(platform.stack, stacks_dir=stacks_dir)
        owner = load_stack(platform.stack, stacks_dir=stacks_dir)
    except (ConfigError, UsageError):
        return []  # the platform stack's own problems are reported when it is loaded
    problems = []
    for name, service in owner.services.items():
        routing = service.routing
        if routing is None or routing.host is not None:
            continue
        covered = [
            other
            for other, mine in preview.services.items()
            if mine.routing is not None
            and ("/*" in routing.path_patterns or set(mine.routing.path_patterns) <= set(routing.path_patterns))
        ]
        if covered:
            where = _nearest(("services", name, "routing"), document.locations)
            problems.append(
                f"{where}: services.{name}.routing: matches any host on the listener previews share, at priority "
                f"{routing.priority}, ahead of every preview rule: the preview's {covered[0]} would never get "
                "traffic; give it a routing.host"
            )
    return problems
