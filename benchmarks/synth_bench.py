"""Time `python -m ecsdelivery synth` as whole processes: dev, and generated stacks of 1, 10 and 50 services.

    python benchmarks/synth_bench.py            # 5 runs each (median), table on stdout
    python benchmarks/synth_bench.py --runs 9

Each figure is the median wall time of N runs of a fresh `python -m ecsdelivery synth <env> --json` process
(stdout discarded), after one untimed warm-up that fills the OS file cache and the trimmed botocore model
cache. `python -c pass` is timed the same way in the same run, and every figure is also given as a ratio to
it, so results from a slow or busy machine can be compared with a quiet one. Targets (DESIGN.md): dev at most
1.5 s, 50 services at most 3 s, growing linearly (the per-service cost between 10 and 50 services is printed).

`run_synth_benchmark()` returns the figures as a dict for the full benchmark suite.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEV_TARGET_S = 1.5
FIFTY_TARGET_S = 3.0
IMAGE = "111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web@sha256:" + "0" * 64


def generated_stack(services: int) -> str:
    """A stack file with `services` routed services on a platform of its own (as dev has)."""
    lines = [
        "import:",
        "  - catalog/defaults.yaml",
        f"environment: bench-{services}",
        'accounts: ["222222222222"]',
        "platform:",
        "  mode: create",
        "  nat: single",
        "services:",
    ]
    for index in range(services):
        lines += [
            f"  s{index}:",
            "    containers:",
            "      - name: app",
            "        port: 8080",
            "    routing:",
            f'      path_patterns: ["/s{index}/*"]',
        ]
    return "\n".join(lines) + "\n"


def write_stacks(directory: Path, counts: Sequence[int]) -> Path:
    """A stacks directory: a copy of the repository's stacks plus `bench-<n>.yaml` for each count."""
    target = directory / "stacks"
    shutil.copytree(ROOT / "stacks", target)
    for count in counts:
        (target / f"bench-{count}.yaml").write_text(generated_stack(count))
    return target


def time_process(argv: Sequence[str], runs: int) -> list[float]:
    """Wall seconds of `runs` runs of `argv` (each must exit 0), after one untimed warm-up."""
    timings = []
    for attempt in range(runs + 1):
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
        if attempt:
            timings.append(elapsed)
    return timings


def run_synth_benchmark(runs: int = 5, counts: Sequence[int] = (1, 10, 50)) -> dict[str, Any]:
    """Median process times: `baseline` (python -c pass), `dev`, and `services[n]`, in seconds, plus ratios.

    Returns {"runs", "baseline_s", "rows": [{"name", "median_s", "ratio", "target_s"}], "per_service_ms",
    "targets_met"}.
    """
    python = sys.executable
    baseline = statistics.median(time_process([python, "-c", "pass"], runs))
    rows = []
    with tempfile.TemporaryDirectory(prefix="ecsdelivery-bench-") as temporary:
        stacks = write_stacks(Path(temporary), counts)
        cases = [("dev", "dev", DEV_TARGET_S)]
        cases += [
            (f"{n} service{'s' if n > 1 else ''}", f"bench-{n}", FIFTY_TARGET_S if n == 50 else None) for n in counts
        ]
        medians: dict[str, float] = {}
        for name, env, target in cases:
            argv = [python, "-m", "ecsdelivery", "synth", env, "--json", "--image", IMAGE, "--stacks-dir", str(stacks)]
            median = statistics.median(time_process(argv, runs))
            medians[env] = median
            rows.append({"name": name, "median_s": median, "ratio": median / baseline, "target_s": target})
    per_service = None
    if len(counts) >= 2:
        low, high = min(counts), max(counts)
        per_service = (medians[f"bench-{high}"] - medians[f"bench-{low}"]) / (high - low) * 1000
    met = all(row["target_s"] is None or row["median_s"] <= row["target_s"] for row in rows)
    return {"runs": runs, "baseline_s": baseline, "rows": rows, "per_service_ms": per_service, "targets_met": met}


def format_table(figures: dict[str, Any]) -> str:
    """The figures as a Markdown table (what the README shows)."""
    lines = [
        f"median of {figures['runs']} runs; `python -c pass`: {figures['baseline_s']:.3f} s",
        "",
        "| stack | median | x `python -c pass` | target |",
        "|---|---|---|---|",
    ]
    for row in figures["rows"]:
        target = f"<= {row['target_s']:.1f} s" if row["target_s"] else ""
        verdict = "" if not target else (" (met)" if row["median_s"] <= row["target_s"] else " (MISSED)")
        lines.append(f"| {row['name']} | {row['median_s']:.2f} s | {row['ratio']:.0f}x | {target}{verdict} |")
    if figures["per_service_ms"] is not None:
        lines += ["", f"each extra service adds {figures['per_service_ms']:.0f} ms"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time `python -m ecsdelivery synth` as whole processes.")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per case (default: 5)")
    args = parser.parse_args(argv)
    figures = run_synth_benchmark(runs=args.runs)
    print(format_table(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
