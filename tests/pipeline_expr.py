"""GitHub Actions expressions (`${{ ... }}` and `if:`), enough of them to run this repository's workflows.

Literals, property access (`a.b`, `a['b']`, the `*` filter), `!`, `==`/`!=` (strings compared case-insensitively,
as GitHub does), `<`/`>`/`<=`/`>=`, `&&`/`||` (returning an operand), parentheses, and the functions contains,
startsWith, endsWith, format, join, toJSON, fromJSON, success, always, cancelled, failure and hashFiles.
Anything else raises `ExpressionError`, so a workflow using more than this fails the simulation loudly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|<=|>=|&&|\|\||[()!<>.,\[\]*])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)
_INTERPOLATION = re.compile(r"\$\{\{(.*?)\}\}", re.S)


class ExpressionError(ValueError):
    """An expression this evaluator does not understand."""


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"cannot read {text[pos:]!r} in {text!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _truthy(value: Any) -> bool:
    return value not in (None, False, 0, "", 0.0)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _number(value: Any) -> float:
    """GitHub's coercion to a number, used when the two sides of `==` differ in type."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip() or 0)
        except ValueError:
            return float("nan")
    return float("nan")


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if type(a) is type(b) or isinstance(a, dict | list) or isinstance(b, dict | list):
        return a == b
    return _number(a) == _number(b)


def _contains(haystack: Any, needle: Any) -> bool:
    if isinstance(haystack, list):
        return any(_equal(item, needle) for item in haystack)
    return _text(needle).lower() in _text(haystack).lower()


def _format(template: str, *args: Any) -> str:
    return (
        re.sub(r"\{(\d+)\}", lambda m: _text(args[int(m.group(1))]), template.replace("{{", "\0").replace("}}", "\1"))
        .replace("\0", "{")
        .replace("\1", "}")
    )


class _Parser:
    def __init__(self, text: str, context: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]]) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.context = context
        self.functions = functions
        self.text = text

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise ExpressionError(f"unexpected end of {self.text!r}")
        token = self.tokens[self.pos]
        if expected is not None and token[1] != expected:
            raise ExpressionError(f"expected {expected!r}, got {token[1]!r} in {self.text!r}")
        self.pos += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.pos != len(self.tokens):
            raise ExpressionError(f"unexpected {self.peek()!r} in {self.text!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == "||":
            self.take()
            right = self.and_()
            value = value if _truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.compare()
        while self.peek() == "&&":
            self.take()
            right = self.compare()
            value = right if _truthy(value) else value
        return value

    def compare(self) -> Any:
        value = self.unary()
        while self.peek() in ("==", "!=", "<", ">", "<=", ">="):
            op = self.take()[1]
            right = self.unary()
            if op == "==":
                value = _equal(value, right)
            elif op == "!=":
                value = not _equal(value, right)
            else:
                value = {"<": value < right, ">": value > right, "<=": value <= right, ">=": value >= right}[op]
        return value

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not _truthy(self.unary())
        return self.postfix(self.primary())

    def primary(self) -> Any:
        kind, text = self.take()
        if text == "(":
            value = self.or_()
            self.take(")")
            return value
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind != "name":
            raise ExpressionError(f"unexpected {text!r} in {self.text!r}")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self.peek() == "(":
            self.take("(")
            args = []
            while self.peek() != ")":
                args.append(self.or_())
                if self.peek() == ",":
                    self.take(",")
            self.take(")")
            function = self.functions.get(text) or self.functions.get(text.lower())
            if function is None:
                raise ExpressionError(f"unknown function {text}() in {self.text!r}")
            return function(*args)
        if text not in self.context:
            raise ExpressionError(f"unknown context {text!r} in {self.text!r}")
        return self.context[text]

    def postfix(self, value: Any) -> Any:
        while self.peek() in (".", "["):
            if self.take()[1] == ".":
                _kind, name = self.take()
                if name == "*":
                    value = list(value.values()) if isinstance(value, dict) else list(value or [])
                    value = _Filtered(value)
                    continue
                value = _member(value, name)
            else:
                key = self.or_()
                self.take("]")
                value = _member(value, _text(key))
        return value.items if isinstance(value, _Filtered) else value


class _Filtered:
    """The result of `.*`: property access maps over the items."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items


def _member(value: Any, name: str) -> Any:
    if isinstance(value, _Filtered):
        return _Filtered([_member(item, name) for item in value.items])
    if isinstance(value, Mapping):
        for key in value:  # property names are case-insensitive
            if str(key).lower() == name.lower():
                return value[key]
        return None
    return None


def default_functions(status: str = "success") -> dict[str, Callable[..., Any]]:
    return {
        "contains": _contains,
        "startsWith": lambda a, b: _text(a).lower().startswith(_text(b).lower()),
        "endsWith": lambda a, b: _text(a).lower().endswith(_text(b).lower()),
        "format": _format,
        "join": lambda items, sep=",": _text(sep).join(_text(i) for i in (items or [])),
        "toJSON": lambda v: json.dumps(v),
        "fromJSON": lambda v: json.loads(v),
        "success": lambda: status == "success",
        "always": lambda: True,
        "cancelled": lambda: status == "cancelled",
        "failure": lambda: status == "failure",
        "hashFiles": lambda *patterns: "0" * 64,
    }


def evaluate(expression: str, context: Mapping[str, Any], status: str = "success") -> Any:
    """The value of a bare expression (an `if:` without `${{ }}`, or the inside of one)."""
    return _Parser(expression, context, default_functions(status)).parse()


def render(value: Any, context: Mapping[str, Any], status: str = "success") -> Any:
    """Replace every `${{ }}` in `value` (strings, and recursively lists and maps); a string that is a single
    expression keeps the expression's type."""
    if isinstance(value, dict):
        return {k: render(v, context, status) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, context, status) for v in value]
    if not isinstance(value, str) or "${{" not in value:
        return value
    whole = _INTERPOLATION.fullmatch(value.strip())
    if whole and value.count("${{") == 1:
        return evaluate(whole.group(1), context, status)
    return _INTERPOLATION.sub(lambda m: _text(evaluate(m.group(1), context, status)), value)


def condition(value: Any, context: Mapping[str, Any], status: str = "success") -> bool:
    """An `if:` value: without a status function GitHub adds `success() &&`."""
    if value is None:
        return status == "success"
    if isinstance(value, bool):
        return value and status == "success"
    text = str(value).strip()
    whole = _INTERPOLATION.fullmatch(text)
    if whole:
        text = whole.group(1).strip()
    if not re.search(r"\b(success|always|cancelled|failure)\(", text):
        text = f"success() && ({text})"
    return _truthy(evaluate(text, context, status))


def text(value: Any) -> str:
    """A value as GitHub turns it into a string (step outputs, env)."""
    return _text(value)
