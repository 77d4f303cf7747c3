"""Every benchmark in one command: `.venv/bin/python benchmarks/run.py [--runs N] [--markdown FILE]`.

Prints Markdown tables (what the README's "Benchmarks" and "Cost and rollout" sections show):

1. start-up: `python -m ecsdelivery --help` against `python -c pass` (median of N fresh processes, ratio);
2. synth: the dev stack and generated stacks of 1, 10 and 50 services (`benchmarks/synth_bench.py`);
3. `check` and `cost` of every stack in `stacks/`, each a fresh process (median of N);
4. the monthly cost and the worst-case rollout of every stack and of a default preview;
5. side by side, the same figures for the defaults of AWS Copilot, Pulumi awsx and AWS CDK, computed by the
   same code (`ecsdelivery.reports.cost.estimate`, `ecsdelivery.reports.rollout`) from their documented default values.

Timings are whole processes and wall clock: compare them with the `python -c pass` line of the same run.
No timing is asserted anywhere; the targets from DESIGN.md are printed next to the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from synth_bench import IMAGE, format_table, run_synth_benchmark, time_process  # noqa: E402

HELP_TARGET_S = 0.2
PREVIEW_PR = 42
PREVIEW_COST_TARGET = 3.0


def stack_cases() -> list[tuple[str, list[str]]]:
    """(label, CLI arguments) for every stack file: previews get a PR number."""
    from ecsdelivery.config import list_environments

    cases = []
    for env in list_environments(stacks_dir=str(ROOT / "stacks")):
        args = [env, "--pr", str(PREVIEW_PR)] if env == "preview" else [env]
        cases.append((f"pr-{PREVIEW_PR}" if env == "preview" else env, args))
    return cases


def startup(runs: int) -> dict[str, float]:
    python = sys.executable
    baseline = statistics.median(time_process([python, "-c", "pass"], runs))
    help_s = statistics.median(time_process([python, "-m", "ecsdelivery", "--help"], runs))
    return {"baseline_s": baseline, "help_s": help_s}


def command_timings(runs: int) -> list[dict[str, Any]]:
    """Median process time of `check` and `cost` for every stack."""
    python = sys.executable
    rows = []
    for label, args in stack_cases():
        row: dict[str, Any] = {"stack": label}
        for command in ("check", "cost"):
            extra = ["--image", IMAGE] if command == "check" else []
            argv = [python, "-m", "ecsdelivery", command, *args, *extra, "--json"]
            row[command] = statistics.median(time_process(argv, runs))
        rows.append(row)
    return rows


def stack_figures() -> list[dict[str, Any]]:
    """Cost and rollout of every stack, synthesised in this process."""
    from ecsdelivery.synth import fastimport

    fastimport.install()
    from ecsdelivery.config import load_stack
    from ecsdelivery.reports.cost import estimate
    from ecsdelivery.reports.rollout import report, target_for
    from ecsdelivery.synth import synthesize

    rows = []
    for label, args in stack_cases():
        env = args[0]
        pr = PREVIEW_PR if env == "preview" else None
        config = load_stack(env, stacks_dir=str(ROOT / "stacks"), pr=pr)
        result = synthesize(env, pr=pr, image=IMAGE, stacks_dir=str(ROOT / "stacks"))
        budgets = report(result.resources)
        rows.append(
            {
                "stack": label,
                "cost": estimate(result.resources, region=config.region, stack=label).total_monthly_usd,
                "rollout_s": max((b.worst_case_seconds for b in budgets), default=None),
                "rollout": "; ".join(
                    f"{b.interval:g}x{b.healthy_threshold:g}+{b.start_period:g}+{b.deregistration_delay:g}"
                    for b in budgets
                ),
                "target_s": target_for(label),
                "window": ", ".join(f"{b.min_running}..{b.max_running} tasks" for b in budgets),
            }
        )
    return rows


# --------------------------------------------------------------------------------------------------------------
# Peers: a one-service preview environment made with each tool's defaults, as resource records


def _service(name: str, *, public_ip: bool, spot: bool = False) -> dict[str, Any]:
    strategy = [{"capacityProvider": "FARGATE_SPOT" if spot else "FARGATE", "weight": 1, "base": 0}]
    inputs = {
        "name": name,
        "desiredCount": 1,
        "capacityProviderStrategies": strategy,
        "taskDefinition": f"arn:aws:ecs:us-east-1:1:task-definition/{name}:1",
        "networkConfiguration": {"assignPublicIp": public_ip, "subnets": ["a", "b"]},
    }
    return {"type": "aws:ecs/service:Service", "name": f"{name}-svc", "parent": name, "inputs": inputs}


def _task(name: str, cpu: int = 256, memory: int = 512) -> dict[str, Any]:
    inputs = {"family": name, "cpu": str(cpu), "memory": str(memory), "runtimePlatform": {"cpuArchitecture": "X86_64"}}
    return {"type": "aws:ecs/taskDefinition:TaskDefinition", "name": f"{name}-task", "parent": name, "inputs": inputs}


def _logs(name: str, days: int | None) -> dict[str, Any]:
    inputs = {"retentionInDays": days} if days else {}
    return {"type": "aws:cloudwatch/logGroup:LogGroup", "name": f"{name}-logs", "parent": name, "inputs": inputs}


def _alb(name: str, zones: int = 2) -> dict[str, Any]:
    inputs = {"internal": False, "subnets": [f"public-{i}" for i in range(zones)]}
    return {
        "type": "aws:lb/loadBalancer:LoadBalancer",
        "name": f"{name}-alb",
        "parent": f"{name}-env",
        "inputs": inputs,
    }


def _vpc(name: str, nat: str, zones: int) -> dict[str, Any]:
    inputs = {"natGateways": {"strategy": nat}, "numberOfAvailabilityZones": zones}
    return {"type": "awsx:ec2:Vpc", "name": f"{name}-vpc", "parent": f"{name}-env", "inputs": inputs}


def peer_previews() -> dict[str, list[dict[str, Any]]]:
    """One preview environment per tool, from documented defaults (0.25 vCPU / 0.5 GB, one task, on-demand).

    - AWS Copilot: an environment per preview with its own VPC (two zones, no NAT: tasks in public subnets with
      public IPs) and its own internet-facing ALB; logs kept 30 days.
    - Pulumi awsx: an ApplicationLoadBalancer of its own in the default VPC (two zones assumed) and a
      FargateService with a public IP; logs kept 7 days (assumed).
    - AWS CDK ApplicationLoadBalancedFargateService: a new VPC (two zones in an environment-agnostic stack, one
      NAT gateway per zone), its own ALB, private tasks; logs never expire.
    - ecsdelivery: the synthesised default preview (shared ALB, no NAT, Spot).
    """
    return {
        "AWS Copilot": [_service("copilot", public_ip=True), _task("copilot"), _logs("copilot", 30), _alb("copilot")],
        "Pulumi awsx": [_service("awsx", public_ip=True), _task("awsx"), _logs("awsx", 7), _alb("awsx")],
        "AWS CDK": [
            _service("cdk", public_ip=False),
            _task("cdk"),
            _logs("cdk", None),
            _alb("cdk"),
            _vpc("cdk", "OnePerAz", 2),
        ],
    }


def peer_figures(ours: dict[str, Any] | None) -> list[dict[str, Any]]:
    from ecsdelivery.reports.cost import estimate
    from ecsdelivery.reports.rollout import PEERS

    rows = []
    if ours is not None:
        rows.append({"tool": "ecsdelivery (default preview)", "rollout_s": ours["rollout_s"], "cost": ours["cost"]})
    for tool, resources in peer_previews().items():
        budget = PEERS[tool]
        rows.append(
            {
                "tool": tool,
                "rollout_s": budget.worst_case_seconds,
                "rollout": f"{budget.interval:g}x{budget.healthy_threshold:g}+{budget.deregistration_delay:g}",
                "cost": estimate(resources).total_monthly_usd,
            }
        )
    return rows


def rollback_figures() -> list[dict[str, Any]]:
    """Prod's time to roll a release that serves errors back, against the peers' defaults (none of which roll
    back on alarms: after someone notices, a redeploy of the old version takes their worst-case rollout)."""
    from ecsdelivery.reports.rollout import PEERS, report
    from ecsdelivery.synth import synthesize

    rows = []
    for budget in report(synthesize("prod", stacks_dir=str(ROOT / "stacks")).resources):
        rows.append(
            {
                "tool": f"ecsdelivery prod `{budget.service}` ({budget.strategy_terms()})",
                "automatic_s": budget.time_to_rollback,
                "redeploy_s": budget.worst_case_seconds,
                "full_traffic_s": budget.time_to_full_traffic,
            }
        )
    for tool, budget in PEERS.items():
        rows.append(
            {"tool": f"{tool} (rolling)", "automatic_s": None, "redeploy_s": budget.worst_case_seconds,
             "full_traffic_s": budget.time_to_full_traffic}
        )  # fmt: skip
    return rows


# --------------------------------------------------------------------------------------------------------------


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu or platform.machine()}), Python {platform.python_version()}, {platform.system()}"
    )


def rollback_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The rollback comparison as Markdown table lines (after a blank line)."""
    lines: list[str] = []
    lines += [
        "",
        "| prod release that serves errors | automatic rollback (worst case) | manual redeploy of the old version | "
        "all traffic on a new release |",
        "|---|---|---|---|",
    ]
    for row in rows:
        automatic = "none (alarms are not wired)" if row["automatic_s"] is None else f"{row['automatic_s']:g} s"
        lines.append(
            f"| {row['tool']} | {automatic} | {row['redeploy_s']:g} s after someone notices | "
            f"{row['full_traffic_s']:g} s |"
        )
    return lines


def render(figures: dict[str, Any]) -> str:
    start = figures["startup"]
    lines = [
        f"machine: {figures['machine']}; median of {figures['runs']} runs per process figure",
        "",
        "| start-up | median | x `python -c pass` | target |",
        "|---|---|---|---|",
        f"| `python -c pass` | {start['baseline_s']:.3f} s | 1x | |",
        f"| `python -m ecsdelivery --help` | {start['help_s']:.3f} s | {start['help_s'] / start['baseline_s']:.1f}x | "
        f"<= {HELP_TARGET_S} s ({'met' if start['help_s'] <= HELP_TARGET_S else 'MISSED'}) |",
        "",
        "synth (whole process):",
        "",
        format_table(figures["synth"]),
        "",
        "| stack | `check` | `cost` | monthly cost | worst-case rollout | target | capacity during rollout |",
        "|---|---|---|---|---|---|---|",
    ]
    costs = {row["stack"]: row for row in figures["stacks"]}
    for row in figures["commands"]:
        info = costs.get(row["stack"], {})
        rollout = "-" if info.get("rollout_s") is None else f"{info['rollout_s']:g} s ({info['rollout']})"
        target = "" if info.get("target_s") is None else f"<= {info['target_s']:g} s"
        lines.append(
            f"| {row['stack']} | {row['check']:.2f} s | {row['cost']:.2f} s | {info.get('cost', 0):.2f} USD | "
            f"{rollout} | {target} | {info.get('window') or '-'} |"
        )
    lines += [
        "",
        "| one preview environment | worst-case rollout | monthly cost |",
        "|---|---|---|",
    ]
    for row in figures["peers"]:
        lines.append(f"| {row['tool']} | {row['rollout_s']:g} s | {row['cost']:.2f} USD |")
    lines += rollback_lines(figures.get("rollback", []))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run every ecsdelivery benchmark and print the tables.")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per process figure (default: 5)")
    parser.add_argument("--markdown", metavar="FILE", help="also write the tables to FILE")
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {"runs": args.runs, "machine": machine()}
    figures["startup"] = startup(max(args.runs, 9))
    figures["synth"] = run_synth_benchmark(runs=args.runs)
    figures["commands"] = command_timings(args.runs)
    figures["stacks"] = stack_figures()
    preview = next((row for row in figures["stacks"] if row["stack"].startswith("pr-")), None)
    figures["peers"] = peer_figures(preview)
    figures["rollback"] = rollback_figures()
    text = render(figures)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
