"""`synth|check|up bootstrap --for ENV`: the bootstrap program of one environment's account.

`synth bootstrap --for ENV [--json]` prints what it would create, offline, in the shape `synth` prints.
Exit codes: 0; 2 for a bad `--for`, a missing or malformed `github:` section, or a stack file problem.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ecsdelivery.errors import UsageError

BOOTSTRAP = "bootstrap"


def wants_bootstrap(args: argparse.Namespace) -> bool:
    """True for `... bootstrap --for ENV`; a usage error for `--for` without `bootstrap` or the other way round."""
    target = getattr(args, "bootstrap_for", None)
    if args.env != BOOTSTRAP:
        if target is not None:
            raise UsageError(f"--for is for bootstrap only: `{args.command} bootstrap --for {target}`")
        return False
    if not target:
        raise UsageError(f"{args.command} bootstrap needs --for ENV (shared, dev, staging or prod)")
    for option in ("pr", "image"):
        if getattr(args, option, None) is not None:
            raise UsageError(f"--{option} does not apply to bootstrap")
    return True


def _plan(args: argparse.Namespace) -> Any:
    from ecsdelivery.bootstrap import resolve_bootstrap
    from ecsdelivery.synth import fastimport

    fastimport.install()  # load only the pulumi-aws modules the programs use
    return resolve_bootstrap(args.bootstrap_for, stacks_dir=args.stacks_dir, project=project_name())


def project_name() -> str:
    """The Pulumi project name from `Pulumi.yaml` in the working directory (default `ecsdelivery`)."""
    from pathlib import Path

    import yaml

    try:
        data = yaml.safe_load(Path("Pulumi.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return "ecsdelivery"
    name = data.get("name") if isinstance(data, dict) else None
    return str(name) if name else "ecsdelivery"


def synth(args: argparse.Namespace) -> int:
    """Print the bootstrap program's resources and outputs for the account of `--for ENV`."""
    from ecsdelivery.bootstrap import synthesize_bootstrap
    from ecsdelivery.commands.synth_cmd import render_resources
    from ecsdelivery.errors import ConfigError
    from ecsdelivery.synth import check_payloads

    plan = _plan(args)
    result = synthesize_bootstrap(plan)
    problems = check_payloads(result)
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print(f"stack {result.stack} (account {plan.account}, {plan.region}; GitHub repository {plan.github})")
        render_resources(result, sys.stdout)
        for role in plan.roles:
            print(f"role {role.name} trusts {', '.join(role.subjects)}")
    sys.stdout.flush()
    if problems:
        raise ConfigError(["AWS would reject these payloads:", *problems])
    return 0


def check(args: argparse.Namespace) -> int:
    """Run the bootstrap guardrails over what `--for ENV` would create; 1 when one fails."""
    from ecsdelivery.bootstrap import synthesize_bootstrap
    from ecsdelivery.bootstrap.guardrails import RULES, evaluate_bootstrap

    plan = _plan(args)
    result = synthesize_bootstrap(plan)
    violations = evaluate_bootstrap(result.resources, plan)
    if args.json:
        document = {
            "stack": result.stack,
            "environment": BOOTSTRAP,
            "account": plan.account,
            "rules": [rule.id for rule in RULES],
            "violations": [v.to_json() for v in violations],
            "mandatory": len(violations),
            "advisory": 0,
            "passed": not violations,
        }
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(f"check {result.stack}: {len(result.resources)} resources, {len(RULES)} rules")
        for violation in violations:
            print(f"  {violation.line()}")
        print(f"{'FAILED' if violations else 'passed'}: {len(violations)} mandatory, 0 advisory violation(s)")
    sys.stdout.flush()
    return 1 if violations else 0
