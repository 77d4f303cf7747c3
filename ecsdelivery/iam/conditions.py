"""IAM `Condition` blocks: every operator applies (AND), any value of one key matches (OR).

Operators: String(Not)Equals, String(Not)EqualsIgnoreCase, String(Not)Like, Numeric(Not)Equals,
NumericLessThan(Equals), NumericGreaterThan(Equals), Bool, Arn(Not)Equals, Arn(Not)Like, Null; each with the
`IfExists` suffix (a missing key matches) and the `ForAnyValue:`/`ForAllValues:` set prefixes. As AWS does, a
key missing from the request fails a positive operator and satisfies a negated one (`...Not...`). An operator
not listed here is refused (`ValueError`), so a policy is never judged by a rule this module does not know.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Match = Callable[[str, str], bool]


def _like(value: str, pattern: str) -> bool:
    from ecsdelivery.iam.evaluate import wildcard_match

    return wildcard_match(pattern, value)


def _numeric(compare: Callable[[float, float], bool]) -> Match:
    def match(value: str, expected: str) -> bool:
        try:
            return compare(float(value), float(expected))
        except ValueError:
            return False

    return match


#: Positive operators; each has a negated `...Not...` twin where AWS defines one.
_POSITIVE: dict[str, Match] = {
    "StringEquals": operator.eq,
    "StringEqualsIgnoreCase": lambda v, e: v.lower() == e.lower(),
    "StringLike": _like,
    "NumericEquals": _numeric(operator.eq),
    "NumericLessThan": _numeric(operator.lt),
    "NumericLessThanEquals": _numeric(operator.le),
    "NumericGreaterThan": _numeric(operator.gt),
    "NumericGreaterThanEquals": _numeric(operator.ge),
    "Bool": lambda v, e: v.lower() == e.lower(),
    "ArnEquals": _like,
    "ArnLike": _like,
}
_NEGATED: dict[str, str] = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str | bool | int | float):
        value = [value]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in value]


def _one(op: str, key: str, expected: Sequence[str], context: Mapping[str, Any]) -> bool:
    qualifier, _, name = op.rpartition(":")
    if_exists = name.endswith("IfExists")
    base = name.removesuffix("IfExists")
    present = key in context and context[key] is not None
    actual = _values(context.get(key))

    if base == "Null":
        wants_missing = expected[0].lower() == "true"
        return (not present) == wants_missing
    if not present:
        if if_exists or base in _NEGATED:
            return True
        return qualifier == "ForAllValues"
    negated = base in _NEGATED
    match = _POSITIVE.get(_NEGATED.get(base, base))
    if match is None:
        raise ValueError(f"unsupported IAM condition operator {op!r}")

    def hit(value: str) -> bool:
        return any(match(value, e) for e in expected)

    if qualifier == "ForAllValues":
        result = all(hit(v) for v in actual)
        return (not result) if negated else result
    result = any(hit(v) for v in actual)
    return (not result) if negated else result


def conditions_match(condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, Any]) -> bool:
    """True when every operator and key of `condition` holds for the request `context`."""
    for op, keys in condition.items():
        qualifier = op.rpartition(":")[0]
        if qualifier not in ("", "ForAnyValue", "ForAllValues"):
            raise ValueError(f"unsupported IAM condition set operator {qualifier!r}")
        for key, expected in keys.items():
            if not _one(op, key, _values(expected), context):
                return False
    return True
