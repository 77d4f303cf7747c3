"""How long a preview job spends on set-up, without and with the setup action's cache.

`.venv/bin/python benchmarks/ci_setup_bench.py [--runs N]` replays, as fresh processes on this machine, what
`.github/actions/setup-ecsdelivery` does on a runner, then the preview job's own work:

- without the cache: `python -m venv` + `pip install` of this checkout and its dependencies into it;
- with the cache (a hit): restore the environment the way actions/cache does (a zstd tar of the cached paths,
  extracted in place), then the same `pip install`, which finds every dependency installed and only builds
  ecsdelivery itself;
- the job's work for scale: `diff preview --pr 42` and `up preview --pr 42` through the real Automation API over
  the Pulumi CLI double (tests/fake_pulumi), since no real engine runs here.

Median of N runs (default 3) of each, with the ratio. What this machine cannot show: downloads. pip here reads a
local mirror, and the Pulumi CLI and its aws provider plugin cannot be downloaded at all; on a runner the cold
path also downloads the wheels (the environment below is about 400 MB installed), the Pulumi CLI and the aws
plugin, which the cache also restores instead.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORK = """
import sys
import time
sys.path.insert(0, {tests!r})
from fake_pulumi import FakePulumiCommand, FakeState
from ecsdelivery.cli import main
from ecsdelivery.driver import workspace

from ecsdelivery.driver.aws import AwsAccess

class Aws(AwsAccess):
    def caller_account(self, region):
        return "222222222222"

state = FakeState()
from ecsdelivery.synth.mocks import EcsMocks
state.mocks_factory = EcsMocks
workspace.HOOKS.pulumi_command = lambda: FakePulumiCommand(state)
workspace.HOOKS.aws = Aws
image = "111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web@sha256:" + "1" * 64
assert main(["up", "dev", "--image", image]) == 0  # the platform previews run on (not part of the job)
start = time.perf_counter()
assert main(["diff", "preview", "--pr", "42", "--image", image, "--markdown", "diff.md"]) == 0
assert main(["up", "preview", "--pr", "42", "--image", image]) == 0
print("SECONDS", time.perf_counter() - start)
"""


def _timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def _install(venv: Path, work: Path) -> float:
    return _timed(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(ROOT)],
        work,
    )


def cold(work: Path) -> float:
    """No cache: a new environment and every dependency installed."""
    venv = work / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    return _timed([sys.executable, "-m", "venv", str(venv)], work) + _install(venv, work)


def warm(work: Path, archive: Path) -> float:
    """A cache hit: the environment restored from its archive, then pip finds only ecsdelivery to install."""
    venv = work / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    restore = _timed(["tar", "--zstd", "-xf", str(archive)], work)
    return restore + _install(venv, work)


def job_work(work: Path) -> float:
    venv_python = work / "venv" / "bin" / "python"
    project = work / "project"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(ROOT / "stacks", project / "stacks")
    shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    env = {**os.environ, "CI": "true", "PULUMI_BACKEND_URL": ""}
    for name in ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_EVENT_PATH"):
        env.pop(name, None)
    # the double needs grpc and the test tree; the installed environment has grpc (a pulumi dependency)
    script = WORK.format(tests=str(ROOT / "tests"))
    done = subprocess.run(
        [str(venv_python), "-c", script], cwd=project, env=env, check=True, capture_output=True, text=True
    )
    return float(done.stdout.rsplit("SECONDS", 1)[1])


def run(runs: int) -> list[tuple[str, float, float]]:
    with tempfile.TemporaryDirectory(prefix="ci-setup-") as tmp:
        work = Path(tmp)
        cold_times = [cold(work) for _ in range(runs)]
        archive = work / "cache.tar.zst"
        subprocess.run(["tar", "--zstd", "-cf", str(archive), "venv"], cwd=work, check=True)
        warm_times = [warm(work, archive) for _ in range(runs)]
        work_times = [job_work(work) for _ in range(runs)]
    before, after, job = (statistics.median(t) for t in (cold_times, warm_times, work_times))
    return [
        ("set-up (venv + pip install)", before, after),
        ("diff + up preview (CLI double)", job, job),
        ("preview job", before + job, after + job),
    ]


def format_table(rows: list[tuple[str, float, float]], runs: int) -> str:
    lines = [
        f"| preview job step (median of {runs}) | no cache | cache hit | ratio |",
        "|---|---|---|---|",
    ]
    for name, before, after in rows:
        lines.append(f"| {name} | {before:.1f} s | {after:.1f} s | {before / after:.1f}x |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (default 3)")
    args = parser.parse_args(argv)
    if shutil.which("zstd") is None:
        print(
            "zstd is not installed: the cache-hit figure restores a zstd archive as actions/cache does", file=sys.stderr
        )
        return 4
    print(format_table(run(args.runs), args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
