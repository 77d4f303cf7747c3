"""Scan what `synth` renders with checkov, an independent IaC scanner, through a Terraform plan JSON.

pulumi-aws is bridged from the Terraform AWS provider, so each synthesised `aws:` resource is a Terraform
resource under another spelling: the type token names the Terraform type (`aws:ecs/service:Service` ->
`aws_ecs_service`), camelCase inputs are the snake_case attributes, a nested object is a block (a list of one
object in plan JSON) and a list input of objects is a repeated block under its singular name
(`capacityProviderStrategies` -> `capacity_provider_strategy`). `to_plan()` writes that as the JSON
`terraform show -json` prints for a plan, with the synth's `dependencies` as configuration references so checkov's
graph checks see which bucket a policy belongs to and which load balancer a web ACL guards; checkov then scans it
with `--framework terraform_plan`.

    python benchmarks/checkov_scan.py dev staging prod [--json] [--checkov PATH] [--keep DIR]

prints passed/failed counts per stack and each failed check. Exit 0 when it ran, 1 when a check failed and
`--fail-on-findings` is given, 141 when the reader closes the pipe, 2 when checkov is not installed (one line:
install it in a separate virtual environment, `pip install checkov`, and pass `--checkov`) or a stack is bad.
Awsx components (the VPC) are remote components with no children under mocks: they are left out, and so is
anything not an `aws:` resource.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: Terraform types whose name is not `aws_<module>_<resource>` (the bridge dropped or renamed the module).
TERRAFORM_TYPES = {
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:lb/loadBalancer:LoadBalancer": "aws_lb",
}
#: Inputs that are Terraform maps (objects in plan JSON), not blocks.
MAP_INPUTS = frozenset({"tags", "tagsAll", "dimensions"})


def snake(name: str) -> str:
    """`loadBalancerArn` -> `load_balancer_arn`."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def singular(name: str) -> str:
    """The Terraform block name of a Pulumi list input: `metricQueries` -> `metricQuery`, `rules` -> `rule`."""
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


def terraform_type(token: str) -> str | None:
    """`aws:ecs/service:Service` -> `aws_ecs_service`; None for what is not a pulumi-aws resource."""
    if token in TERRAFORM_TYPES:
        return TERRAFORM_TYPES[token]
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != "aws" or "/" not in parts[1]:
        return None
    module = parts[1].split("/")[0].lower()
    return f"aws_{module}_{snake(parts[2])}"


def attributes(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Pulumi inputs as Terraform plan values: snake_case names, blocks as lists, maps kept as objects."""
    values: dict[str, Any] = {}
    for key, value in inputs.items():
        if key in MAP_INPUTS or not isinstance(value, (Mapping, list)):
            values[snake(key)] = value
        elif isinstance(value, Mapping):
            values[snake(key)] = [attributes(value)]
        elif value and all(isinstance(item, Mapping) for item in value):
            values[snake(singular(key))] = [attributes(item) for item in value]
        else:
            values[snake(key)] = value
    return values


def address(resource: Mapping[str, Any]) -> str | None:
    """`<terraform type>.<logical name>` of a synthesised resource."""
    kind = terraform_type(str(resource["type"]))
    return None if kind is None else f"{kind}.{resource['name']}"


def _references(
    resource: Mapping[str, Any], addresses: Mapping[str, str], dependencies: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    expressions: dict[str, Any] = {}
    for key, names in dependencies.items():
        found = [addresses[name] for name in names if name in addresses]
        if found:
            value = resource["inputs"].get(key)
            repeated = isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value)
            attribute = snake(singular(key)) if repeated else snake(key)
            expressions[attribute] = {"references": [ref for a in found for ref in (f"{a}.id", a)]}
    return expressions


def to_plan(synth: Mapping[str, Any]) -> dict[str, Any]:
    """The Terraform plan JSON (`terraform show -json` of a plan) of a `synth --json` document."""
    resources = [r for r in synth["resources"] if address(r) is not None]
    addresses = {str(r["name"]): str(address(r)) for r in resources}
    planned, changes, configuration = [], [], []
    for resource in resources:
        kind, name = str(address(resource)).split(".", 1)
        values = attributes(resource.get("inputs") or {})
        common = {"address": f"{kind}.{name}", "mode": "managed", "type": kind, "name": name}
        planned.append({**common, "provider_name": "registry.terraform.io/hashicorp/aws", "values": values})
        changes.append({**common, "change": {"actions": ["create"], "before": None, "after": values}})
        expressions = _references(resource, addresses, (resource.get("dependencies") or {}))
        configuration.append({**common, "expressions": expressions})
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": configuration}},
    }


class CheckovMissing(Exception):
    """checkov is not installed where we looked."""


def find_checkov(given: str | None) -> str:
    """The checkov executable: `--checkov`, else `$CHECKOV`, else `checkov` on PATH."""
    candidate = given or os.environ.get("CHECKOV") or shutil.which("checkov")
    if not candidate or not (Path(candidate).is_file() or shutil.which(candidate)):
        raise CheckovMissing(
            "checkov is not installed: install it in a separate virtual environment (python -m venv /tmp/checkov "
            "&& /tmp/checkov/bin/pip install checkov) and pass --checkov /tmp/checkov/bin/checkov"
        )
    return candidate


def run_checkov(checkov: str, plan: Mapping[str, Any], keep: Path | None, stack: str) -> dict[str, Any]:
    """Scan one plan; returns checkov's JSON report (`summary`, `results.failed_checks`, ...)."""
    directory = keep or Path(tempfile.mkdtemp(prefix="checkov-plan-"))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stack}.tfplan.json"
    path.write_text(json.dumps(plan, indent=1), encoding="utf-8")
    command = [checkov, "-f", str(path), "--framework", "terraform_plan", "-o", "json", "--soft-fail"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"checkov failed on {path}: {done.stderr.strip().splitlines()[-1:] or done.returncode}")
    report = json.loads(done.stdout)
    if keep is None:
        shutil.rmtree(directory, ignore_errors=True)
    # One framework gives one report; some versions wrap it in a list.
    return report[0] if isinstance(report, list) else report


def failures(report: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(check id, resource address, check name) of each failed check."""
    failed = (report.get("results") or {}).get("failed_checks") or []
    return sorted((f["check_id"], f["resource"], f["check_name"]) for f in failed)


def scan(stacks: Iterable[str], checkov: str, keep: Path | None) -> dict[str, Any]:
    """Per stack: passed and failed counts and the failures."""
    from ecsdelivery.synth import synthesize

    results: dict[str, Any] = {}
    for stack in stacks:
        report = run_checkov(checkov, to_plan(synthesize(stack).to_json()), keep, stack)
        summary = report.get("summary") or {}
        results[stack] = {
            "passed": summary.get("passed", 0),
            "failed": summary.get("failed", 0),
            "failures": [list(f) for f in failures(report)],
        }
    return results


def _print(results: Mapping[str, Any]) -> None:
    print("| stack | passed | failed |")
    print("|---|---|---|")
    for stack, result in results.items():
        print(f"| {stack} | {result['passed']} | {result['failed']} |")
    for stack, result in results.items():
        for check_id, resource, name in result["failures"]:
            print(f"{stack}: {check_id} {resource}: {name}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stacks", nargs="*", default=["dev", "staging", "prod"], help="stacks to scan")
    parser.add_argument("--checkov", help="the checkov executable (default: $CHECKOV, else checkov on PATH)")
    parser.add_argument("--keep", type=Path, help="keep the plan JSON files in this directory")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--fail-on-findings", action="store_true", help="exit 1 when a check fails")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from ecsdelivery.errors import EcsDeliveryError

    try:
        results = scan(args.stacks, find_checkov(args.checkov), args.keep)
    except CheckovMissing as missing:
        print(f"checkov_scan: error: {missing}", file=sys.stderr)
        return 2
    except EcsDeliveryError as error:
        print(f"checkov_scan: error: {str(error).splitlines()[0]}", file=sys.stderr)
        return 2
    try:
        if args.json:
            print(json.dumps(results, indent=2))
        else:
            _print(results)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader closed the pipe (`| head`): stop quietly, as the ecsdelivery CLI does.
        # A standard output without a file descriptor (captured) has nothing left to flush.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    failed = any(r["failed"] for r in results.values())
    return 1 if failed and args.fail_on_findings else 0


if __name__ == "__main__":
    sys.exit(main())
