"""What the driver tells people: printed lines, GitHub step outputs and job summary, the PR-comment markdown.

`Reporter` prints to one stream and writes GitHub's files from one environment; the operations hand it what
happened (an `UpReport`, a stack's outputs, the stacks of a backend, a cleanup's results) and it says it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ecsdelivery.driver import github
from ecsdelivery.driver.deployments import ServiceState, short_task_definition
from ecsdelivery.driver.rollbacks import RollbackRecord
from ecsdelivery.errors import UsageError


def check_writable_file(path: str, option: str) -> None:
    """Refuse (exit 2), before any work, an output file (`--markdown FILE`) that cannot be written."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{option} {path} is a directory; give a file name")
    if not target.parent.is_dir():
        raise UsageError(f"{option} {path}: directory {target.parent} does not exist")


@dataclass
class UpReport:
    """What an `up` did, for printing and for GitHub."""

    stack: str
    env: str
    image: str | None
    outputs: dict[str, Any]
    changes: dict[str, int]


def changes_text(changes: Mapping[str, int]) -> str:
    """`2 create, 1 update`, or `no changes`."""
    shown = {op: n for op, n in changes.items() if op != "same" and n}
    return ", ".join(f"{n} {op}" for op, n in sorted(shown.items())) or "no changes"


def _value_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def diff_markdown(
    stack: str,
    image: str | None,
    url: str | None,
    per_type: Mapping[str, Mapping[str, int]],
    totals: Mapping[str, int],
    rollout: str = "",
) -> str:
    """A PR-comment body: what would change, per resource type, with the image and URL, then `rollout` (the
    markdown of `ecsdelivery.reports.rollout.markdown`: each service's worst-case rollout time) when there is
    one."""
    ops = [op for op in ("create", "update", "replace", "delete") if any(op in c for c in per_type.values())]
    lines = [
        f"### `{stack}`: {changes_text(totals)}",
        "",
        f"- image: `{image or '-'}`",
        f"- url: {url or '-'}",
        "",
    ]
    changed = {t: c for t, c in per_type.items() if any(c.get(op) for op in ops)}
    if changed:
        lines += ["| resource type | " + " | ".join(ops) + " |", "|---|" + "---|" * len(ops)]
        for type_ in sorted(changed):
            lines.append(f"| `{type_}` | " + " | ".join(str(changed[type_].get(op, 0) or "") for op in ops) + " |")
    else:
        lines.append("No resource changes.")
    if rollout.strip():
        lines += ["", rollout.strip()]
    return "\n".join(lines) + "\n"


def _ecs_json(state: ServiceState) -> dict[str, Any]:
    latest = state.latest
    return {
        "serviceName": state.service_name,
        "taskDefinition": short_task_definition(state.running_task_definition),
        "image": state.running_image,
        "latestDeployment": {"arn": latest.arn, "status": latest.status} if latest else None,
    }


def _rollback_cell(rollback: Mapping[str, Any] | None) -> str:
    """`manual 2026-05-01T12:00:00Z`, `ecs web alarm 2026-05-01T12:00:00Z`, or `-`."""
    if not rollback:
        return "-"
    parts = [rollback.get("by"), rollback.get("service"), rollback.get("trigger"), rollback.get("at")]
    return " ".join(str(p) for p in parts if p)


class Reporter:
    """Prints to `out`; writes `$GITHUB_OUTPUT` and `$GITHUB_STEP_SUMMARY` when `environ` names them."""

    def __init__(self, out: TextIO, environ: Mapping[str, str], err: TextIO | None = None) -> None:
        self.out = out
        self.environ = environ
        self.err = err

    def say(self, line: str = "") -> None:
        print(line, file=self.out, flush=True)

    def warn(self, line: str) -> None:
        """A one-line warning on standard error (standard output stays parseable with `--json`)."""
        print(f"warning: {line}", file=self.err or sys.stderr, flush=True)

    def stream(self, title: str) -> AbstractContextManager[None]:
        """Fold the engine's output printed inside into one GitHub log group."""
        return github.group(title, self.environ, self.out)

    def summary(self, markdown: str) -> None:
        github.append_summary(self.environ, markdown)

    def deployed(self, report: UpReport) -> None:
        """An `up`'s changes and outputs (URL first); the step outputs `url`, `image`, `stack`; a summary table."""
        url = report.outputs.get("url")
        self.say(f"\n{report.stack}: {changes_text(report.changes)}")
        if url:
            self.say(f"url: {url}")
        for key in sorted(report.outputs):
            if key != "url":
                self.say(f"{key}: {_value_text(report.outputs[key])}")
        github.write_outputs(self.environ, {"url": str(url or ""), "image": report.image or "", "stack": report.stack})
        self.summary(
            "\n".join(
                [
                    f"### Deployed `{report.stack}`",
                    "",
                    "| | |",
                    "|---|---|",
                    f"| environment | {report.env} |",
                    f"| image | `{report.image or '-'}` |",
                    f"| url | {url or '-'} |",
                    f"| changes | {changes_text(report.changes)} |",
                ]
            )
        )

    def outputs(
        self,
        values: Mapping[str, Any],
        as_json: bool,
        last_rollbacks: Mapping[str, RollbackRecord | None] | None = None,
        states: Sequence[ServiceState] | None = None,
    ) -> None:
        """A stack's outputs, URL first, then a `rollback <service>:` line per service; or all of it as JSON
        (`rollbacks`: each service's last rollback or null; `ecs`: what ECS runs, when it could be asked)."""
        last_rollbacks = last_rollbacks or {}
        if as_json:
            extra: dict[str, Any] = {}
            if last_rollbacks:
                extra["rollbacks"] = {k: (r.to_json() if r else None) for k, r in last_rollbacks.items()}
            if states is not None:
                extra["ecs"] = {s.key: _ecs_json(s) for s in states}
            self.say(json.dumps({**values, **extra}, indent=2, sort_keys=True))
            return
        if "url" in values:
            self.say(f"url: {values['url']}")
        for key in sorted(k for k in values if k != "url"):
            self.say(f"{key}: {_value_text(values[key])}")
        for key, record in last_rollbacks.items():
            self.say(f"rollback {key}: {record.line() if record else 'none recorded'}")

    def stacks(self, rows: Sequence[Mapping[str, Any]], as_json: bool, backend_url: str) -> None:
        """The table (or JSON) of `list`."""
        if as_json:
            self.say(json.dumps(list(rows), indent=2))
            return
        if not rows:
            self.say(f"no stacks in {backend_url}")
            return
        self.say(f"{'STACK':<16} {'ENV':<9} {'PR':<6} {'LAST UPDATE':<21} {'LAST ROLLBACK':<44} IMAGE")
        for row in rows:
            rollback = row.get("rollback")
            self.say(
                f"{row['stack']:<16} {row['environment']:<9} {row['pr'] or '-'!s:<6} "
                f"{row['lastUpdate'] or '-':<21} {_rollback_cell(rollback):<44} {row['image'] or '-'}"
            )

    def cleanup(self, results: Sequence[tuple[str, str, str | None]]) -> int:
        """Each (stack, reason, error or None) of a preview cleanup, and its summary table; returns the failures."""
        failed = 0
        for name, reason, error in results:
            if error is None:
                self.say(f"removed {name} ({reason})")
            else:
                failed += 1
                self.say(f"FAILED  {name} ({reason}): {error}")
        self.summary(
            "\n".join(
                ["### Preview cleanup", "", "| stack | reason | result |", "|---|---|---|"]
                + [f"| {n} | {r} | {'removed' if e is None else 'failed: ' + e} |" for n, r, e in results]
            )
        )
        return failed
