"""`python -m ecsdelivery synth ENV`: the stack's resources and outputs, offline, with the AWS payload checks.

Human output lists every resource (logical name, type token, parent, compact inputs), the outputs, and the
result of the botocore payload checks. `--json` prints exactly

    {"stack": "dev", "resources": [{"type": ..., "name": ..., "parent": ..., "inputs": {...}}], "outputs": {...}}

Exit codes: 0 when every payload is valid; 2 for a bad stack file, a bad `--image`, or an AWS payload that
the API would reject (one `ecsdelivery: error: resources[<name>].<path>: <problem>` line each).

Other reports can add lines to the human output through `ecsdelivery.reports.rollout.synth_lines(result) ->
Iterable[str]` (the rollout-time report), printed after the outputs when that function exists.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from ecsdelivery.errors import UsageError

INPUTS_WIDTH = 200  # characters of compact inputs per resource in the human output (--json has them all)


def _compact(value: Any, width: int = INPUTS_WIDTH) -> str:
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
    return text if len(text) <= width else text[: width - 3] + "..."


def _tree(resources: list[dict[str, Any]]) -> Iterable[tuple[int, dict[str, Any]]]:
    """(depth, resource) in registration order, each child under its parent."""
    children: dict[str | None, list[dict[str, Any]]] = {}
    names = {r["name"] for r in resources}
    for resource in resources:
        parent = resource["parent"] if resource["parent"] in names else None
        children.setdefault(parent, []).append(resource)

    def walk(parent: str | None, depth: int) -> Iterable[tuple[int, dict[str, Any]]]:
        for resource in children.get(parent, []):
            yield depth, resource
            yield from walk(resource["name"], depth + 1)

    return walk(None, 0)


def _extra_lines(result: Any) -> list[str]:
    """Lines other reports add to the human output: the rollout report."""
    from ecsdelivery.reports.rollout import synth_lines

    return list(synth_lines(result))


def render_resources(result: Any, out: TextIO) -> None:
    """The resource tree and the outputs of a `SynthResult`."""
    print(f"resources ({len(result.resources)}):", file=out)
    for depth, resource in _tree(result.resources):
        indent = "  " * (depth + 1)
        parent = f"  parent={resource['parent']}" if resource["parent"] else ""
        print(f"{indent}{resource['name']}  {resource['type']}{parent}", file=out)
        print(f"{indent}  {_compact(resource['inputs'])}", file=out)
    print(f"outputs ({len(result.outputs)}):", file=out)
    for key, value in result.outputs.items():
        print(f"  {key}: {_compact(value)}", file=out)


def render(result: Any, problems: list[str], out: TextIO) -> None:
    """The human report of a `SynthResult`."""
    image = result.image or "none"
    if result.placeholder_image:
        image += "  (PLACEHOLDER: no --image given; a real deploy needs one)"
    print(f"stack {result.stack}", file=out)
    print(f"image {image}", file=out)
    for reference in result.stack_references:
        print(f"reads stack {reference} (StackReference; its outputs are mocked offline)", file=out)
    render_resources(result, out)
    for line in _extra_lines(result):
        print(line, file=out)
    from ecsdelivery.synth.awsshapes import CHECKS

    checked = sum(1 for r in result.resources if r["type"] in CHECKS)
    verdict = "ok" if not problems else f"{len(problems)} problem(s)"
    print(f"AWS payload checks (botocore service models): {checked} resources checked, {verdict}", file=out)


def _against(result: Any, problems: list[str], against: str, markdown_path: str | None, *, as_json: bool) -> int:
    """Compare with an earlier synth output: print (and write) the replacements; exit 1 on a collision."""
    from ecsdelivery.errors import ConfigError, DeploymentError
    from ecsdelivery.synth.replacements import compare, load_synth_output, markdown, report_lines

    before = load_synth_output(against, stack=result.stack)
    comparison = compare(before, result.to_json())
    if as_json:
        json.dump(comparison.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print("\n".join(report_lines(comparison, against)))
    sys.stdout.flush()
    if markdown_path:
        Path(markdown_path).write_text(markdown(comparison, against), encoding="utf-8")
    if problems:
        raise ConfigError(["AWS would reject these payloads:", *problems])
    if comparison.collisions:
        raise DeploymentError(
            f"{len(comparison.collisions)} collision(s): the deploy would stop on a duplicate "
            f"(first: {comparison.collisions[0].line()})"
        )
    return 0


def synth(args: argparse.Namespace) -> int:
    """Run the program for ENV offline, print it, and fail with exit code 2 on an invalid AWS payload."""
    from ecsdelivery.commands import bootstrap_cmds

    if bootstrap_cmds.wants_bootstrap(args):
        if getattr(args, "against", None) or getattr(args, "markdown", None):
            raise UsageError("--against and --markdown compare a stack's program; `synth bootstrap` takes neither")
        return bootstrap_cmds.synth(args)
    from ecsdelivery.errors import ConfigError
    from ecsdelivery.events import pr_from_event
    from ecsdelivery.synth import fastimport

    # Load only the pulumi-aws modules the components use (seconds faster per process).
    fastimport.install()
    from ecsdelivery.synth import check_payloads, synthesize

    # A short-lived process: what is imported lives until exit, and the run's garbage is freed at exit, so the
    # cyclic collector has nothing worth its time here (it would walk the pulumi-aws modules' million objects
    # on every full collection).
    gc.freeze()
    gc.disable()

    against = getattr(args, "against", None)
    markdown_path = getattr(args, "markdown", None)
    if markdown_path and not against:
        raise UsageError("--markdown needs --against BEFORE.json (it writes the list of replacements)")
    if markdown_path:
        from ecsdelivery.driver.report import check_writable_file

        check_writable_file(markdown_path, "--markdown")
    if against:
        # Before the program runs: a file that is no synth output is refused at once.
        from ecsdelivery.synth.replacements import load_synth_output

        load_synth_output(against, stack=None)
    pr = args.pr
    if args.env == "preview" and pr is None:
        pr = pr_from_event(os.environ)
    result = synthesize(args.env, pr=pr, image=args.image, stacks_dir=args.stacks_dir)
    problems = check_payloads(result)
    for warning in result.warnings:
        print(f"ecsdelivery: warning: {warning}", file=sys.stderr)
    if against:
        return _against(result, problems, against, markdown_path, as_json=args.json)
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        render(result, problems, sys.stdout)
    sys.stdout.flush()
    # The process ends next: freezing what is alive spares the interpreter a last full collection at exit
    # (about 0.4 s of a 1.5 s run).
    gc.freeze()
    if problems:
        raise ConfigError(["AWS would reject these payloads:", *problems])
    return 0
