"""Time `python -m ecsdelivery synth` of this tree against another checkout, side by side in one run.

    git worktree add /tmp/before <commit>
    python benchmarks/synth_compare.py /tmp/before            # dev, 7 runs each
    python benchmarks/synth_compare.py /tmp/before --runs 9 dev preview

Each tree runs with its own code (`PYTHONPATH`) and its own `stacks/`, in the same interpreter and virtualenv.
The runs alternate (this tree, the other, this tree, ...) after one untimed warm-up of each, so a machine that
gets busier or quieter during the run affects both alike. `python -c pass` is timed in the same loop; the table
gives each median, the ratio to `python -c pass`, and this tree's median over the other's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGE = "111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web@sha256:" + "0" * 64


def synth_argv(env: str, tree: Path) -> list[str]:
    """The `synth` command line of `env` for the stack files of `tree` (`preview` is PR 1)."""
    argv = [sys.executable, "-m", "ecsdelivery", "synth", env, "--json", "--image", IMAGE]
    if env == "preview":
        argv += ["--pr", "1"]
    return [*argv, "--stacks-dir", str(tree / "stacks")]


def run_once(argv: Sequence[str], tree: Path) -> float:
    """Wall seconds of one process of `argv` run with `tree`'s code; it must exit 0."""
    environ = {**os.environ, "PYTHONPATH": str(tree)}
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=tree, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} in {tree} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return elapsed


def compare(other: Path, envs: Sequence[str], runs: int) -> list[dict[str, float | str]]:
    """Per env: medians of this tree (`this_s`), the other (`other_s`) and `python -c pass` (`baseline_s`)."""
    rows: list[dict[str, float | str]] = []
    for env in envs:
        cases = {"this": (synth_argv(env, ROOT), ROOT), "other": (synth_argv(env, other), other)}
        cases["baseline"] = ([sys.executable, "-c", "pass"], ROOT)
        timings: dict[str, list[float]] = {name: [] for name in cases}
        for attempt in range(runs + 1):
            for name, (argv, tree) in cases.items():
                elapsed = run_once(argv, tree)
                if attempt:  # the first round warms the file cache and the trimmed botocore models
                    timings[name].append(elapsed)
        medians = {name: statistics.median(values) for name, values in timings.items()}
        rows.append(
            {"env": env, "this_s": medians["this"], "other_s": medians["other"], "baseline_s": medians["baseline"]}
        )
    return rows


def format_table(rows: Sequence[dict[str, float | str]], other: Path, runs: int) -> str:
    lines = [
        f"median of {runs} alternating runs; this tree {ROOT.name}, other {other}",
        "",
        "| stack | this tree | other tree | this / other | `python -c pass` |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        this, that, base = float(row["this_s"]), float(row["other_s"]), float(row["baseline_s"])
        lines.append(
            f"| {row['env']} | {this:.2f} s ({this / base:.0f}x) | {that:.2f} s ({that / base:.0f}x) | "
            f"{this / that:.2f} | {base:.3f} s |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time synth of this tree against another checkout, side by side.")
    parser.add_argument("other", type=Path, help="the other checkout (e.g. a `git worktree` of an older commit)")
    parser.add_argument("envs", nargs="*", default=["dev"], help="environments to synthesise (default: dev)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per tree and environment (default: 7)")
    args = parser.parse_args(argv)
    other = args.other.resolve()
    if not (other / "ecsdelivery" / "__init__.py").is_file():
        print(f"synth_compare: {other} is not an ecsdelivery checkout", file=sys.stderr)
        return 2
    print(format_table(compare(other, args.envs, args.runs), other, args.runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
