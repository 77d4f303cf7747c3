"""`check` and `cost` end to end: every shipped stack passes the mandatory rules, a bad one fails with a list."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ecsdelivery.cli import main
from ecsdelivery.config import list_environments

ROOT = Path(__file__).resolve().parent.parent
STACKS = ROOT / "stacks"


def _args(env: str) -> list[str]:
    return [env, "--pr", "42"] if env == "preview" else [env]


@pytest.mark.parametrize("env", list_environments(stacks_dir=str(STACKS)))
def test_every_stack_passes_the_mandatory_rules(env: str, capsys: pytest.CaptureFixture[str]):
    code = main(["check", *_args(env), "--stacks-dir", str(STACKS), "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0, [v for v in document["violations"] if v["severity"] == "mandatory"]
    assert document["passed"] is True and document["mandatory"] == 0


def _bad_stacks(tmp_path: Path) -> Path:
    """A copy of stacks/ whose prod turns off deletion protection, runs one task and puts a password in env."""
    stacks = tmp_path / "stacks"
    shutil.copytree(STACKS, stacks)
    prod = stacks / "prod.yaml"
    text = prod.read_text()
    for old, new in [
        ("load_balancer_deletion_protection: true", "load_balancer_deletion_protection: false"),
        ("    desired_count: 2\n", "    desired_count: 1\n"),
        ("      enabled: true\n      min: 2", "      enabled: false\n      min: 2"),
        (
            "    cpu: 512\n",
            "    cpu: 512\n    containers:\n      - name: web\n        port: 8080\n"
            "        environment:\n          DB_PASSWORD: hunter2\n",
        ),
    ]:
        assert old in text, old
        text = text.replace(old, new)
    prod.write_text(text)
    return stacks


def test_a_bad_stack_fails_and_lists_every_violation(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    stacks = _bad_stacks(tmp_path)
    code = main(["check", "prod", "--stacks-dir", str(stacks)])
    out = capsys.readouterr().out
    assert code == 1
    for rule, resource in [
        ("prod-alb-deletion-protection", "platform-alb"),
        ("no-plain-secrets", "web-task-task"),
        ("prod-high-availability", "web-service-service"),
    ]:
        assert f"[mandatory] {rule}: {resource} " in out, out
    assert "DB_PASSWORD" in out and "Fix: " in out
    assert "FAILED: 3 mandatory" in out


def test_a_tag_outside_previews_fails_the_digest_rule(capsys: pytest.CaptureFixture[str]):
    image = "111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web:sha-abc1234"
    code = main(["check", "staging", "--image", image, "--stacks-dir", str(STACKS), "--json"])
    violations = json.loads(capsys.readouterr().out)["violations"]
    assert code == 1
    assert [(v["rule"], v["resource"]) for v in violations if v["severity"] == "mandatory"] == [
        ("image-digest", "web-task-task")
    ]


def test_a_bad_stack_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    stacks = tmp_path / "stacks"
    shutil.copytree(STACKS, stacks)
    (stacks / "dev.yaml").write_text((stacks / "dev.yaml").read_text() + "\nnot_a_key: 1\n")
    assert main(["check", "dev", "--stacks-dir", str(stacks)]) == 2
    assert "not_a_key" in capsys.readouterr().err


def test_cost_json_as_a_subprocess():
    env = {**os.environ, "GITHUB_EVENT_PATH": ""}
    run = subprocess.run(
        [sys.executable, "-m", "ecsdelivery", "cost", "preview", "--pr", "42", "--json", "--stacks-dir", str(STACKS)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["stack"] == "pr-42" and report["region"] == "us-east-1"
    kinds = {item["kind"] for item in report["items"]}
    assert {"fargate-vcpu", "fargate-memory", "logs-ingest"} <= kinds
    # The preview shares dev's load balancer and has no NAT: neither is priced again.
    assert not kinds & {"alb-hours", "nat-hours"}
    assert report["total_monthly_usd"] == round(sum(i["monthly_usd"] for i in report["items"]), 2)
    assert report["total_monthly_usd"] <= 3.0


def test_cost_table_lists_items_and_total(capsys: pytest.CaptureFixture[str]):
    assert main(["cost", "prod", "--stacks-dir", str(STACKS)]) == 0
    out = capsys.readouterr().out
    assert "nat-hours" in out and "alb-hours" in out and "total:" in out
