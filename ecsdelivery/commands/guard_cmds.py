"""`python -m ecsdelivery check ENV` and `python -m ecsdelivery cost ENV`: guardrails and cost, offline.

Both synthesise the stack under mocks (no CLI, no network, no credentials) and read the recorded resources.

`check` runs every guardrail rule (`ecsdelivery.guardrails.rules`, the same functions the policy pack in
`policy/` wraps) and prints each violation: severity, rule id, resource, message and fix. Exit codes: 0 when
no mandatory rule fails (advisory findings are printed only), 1 when one does, 2 for a bad stack file.
`--json` prints `{"stack", "environment", "violations": [{rule, severity, resource, type, message, fix}],
"mandatory", "advisory", "passed"}`.

`cost` prints each priced item and the monthly total (`ecsdelivery.reports.cost`); `--json` prints
`{"stack", "region", "items": [...], "total_monthly_usd", "prices_as_of", "sources", "assumptions", "notes"}`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any


def _synthesize(args: argparse.Namespace) -> tuple[Any, Any, list[dict[str, Any]]]:
    """(stack config, SynthResult, resources with their options) for ENV [--pr N] [--image REF]."""
    from ecsdelivery.events import pr_from_event
    from ecsdelivery.synth import fastimport

    fastimport.install()  # load only the pulumi-aws modules the components use
    from ecsdelivery.synth import synthesize

    pr = getattr(args, "pr", None)
    if args.env == "preview" and pr is None:
        pr = pr_from_event(os.environ)
    result = synthesize(args.env, pr=pr, image=getattr(args, "image", None), stacks_dir=args.stacks_dir)
    assert result.resolved is not None
    resources = [{**r, "options": result.options.get(r["name"], {})} for r in result.resources]
    return result.resolved.config, result, resources


def check(args: argparse.Namespace) -> int:
    """Run the guardrail rules over the synthesised stack; 1 when a mandatory rule fails."""
    from ecsdelivery.commands import bootstrap_cmds

    if bootstrap_cmds.wants_bootstrap(args):
        return bootstrap_cmds.check(args)
    from ecsdelivery.errors import ConfigError
    from ecsdelivery.guardrails import MANDATORY, RuleContext, evaluate, rule_ids
    from ecsdelivery.synth import check_payloads

    config, result, resources = _synthesize(args)
    problems = check_payloads(result)  # what synth refuses, check refuses too
    context = RuleContext(environment=config.environment, pr=config.pr, protected=config.protected)
    violations = evaluate(resources, context)
    mandatory = sum(1 for v in violations if v.severity == MANDATORY)
    advisory = len(violations) - mandatory
    if args.json:
        document = {
            "stack": result.stack,
            "environment": config.environment,
            "image": result.image,
            "placeholder_image": result.placeholder_image,
            "rules": rule_ids(),
            "violations": [v.to_json() for v in violations],
            "mandatory": mandatory,
            "advisory": advisory,
            "passed": mandatory == 0 and not problems,
            "payload_problems": problems,
        }
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(f"check {result.stack}: {len(resources)} resources, {len(rule_ids())} rules")
        if result.placeholder_image:
            print("  note: no --image given; a placeholder digest stands in for the deploy image")
        for violation in violations:
            print(f"  {violation.line()}")
        verdict = "FAILED" if mandatory else "passed"
        print(f"{verdict}: {mandatory} mandatory, {advisory} advisory violation(s)")
    sys.stdout.flush()
    if problems:
        raise ConfigError(["AWS would reject these payloads:", *problems])
    return 1 if mandatory else 0


def cost(args: argparse.Namespace) -> int:
    """Estimate the monthly cost of what the stack creates."""
    from ecsdelivery.reports.cost import estimate, render

    config, result, resources = _synthesize(args)
    report = estimate(resources, region=config.region, stack=result.stack)
    if args.json:
        json.dump(report.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for line in render(report):
            print(line)
    sys.stdout.flush()
    return 0
