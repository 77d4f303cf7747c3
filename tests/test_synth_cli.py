"""`python -m ecsdelivery synth` as a user runs it: output formats, payload failures and exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
STACKS = ROOT / "stacks"
IMAGE = "111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web@sha256:" + "ef" * 32


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "GITHUB_EVENT_PATH"}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "ecsdelivery", "synth", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def stacks_with(tmp_path: Path, env: str, change: dict[str, Any]) -> Path:
    """A copy of stacks/ with `change` merged over the top level of `<env>.yaml`."""
    target = tmp_path / "stacks"
    shutil.copytree(STACKS, target)
    path = target / f"{env}.yaml"
    data = yaml.safe_load(path.read_text()) or {}
    data.update(change)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


def test_json_output_has_exactly_the_documented_format() -> None:
    done = run("preview", "--pr", "42", "--image", IMAGE, "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert list(document) == ["stack", "resources", "outputs"]
    assert document["stack"] == "pr-42"
    for resource in document["resources"]:
        assert list(resource) == ["type", "name", "parent", "inputs", "options", "dependencies"]
        assert list(resource["options"])[:5] == [
            "deleteBeforeReplace",
            "protect",
            "retainOnDelete",
            "ignoreChanges",
            "dependsOn",
        ]
        assert isinstance(resource["type"], str) and isinstance(resource["name"], str)
        assert resource["parent"] is None or isinstance(resource["parent"], str)
        assert isinstance(resource["inputs"], dict)
    names = {r["name"] for r in document["resources"]}
    assert all(r["parent"] in names for r in document["resources"] if r["parent"] is not None)
    # Which inputs come from which resources, and the order the engine must keep beyond them.
    by_name = {r["name"]: r for r in document["resources"]}
    rule = by_name["web-service-rule"]
    # The live rule moves to a target group only once the service registered in it is steady ...
    assert rule["dependencies"]["actions"] == ["web-service-service", "web-service-tg"]
    service = by_name["web-service-service"]
    # ... and the service starts once its group is attached to the load balancer (by the standby rule) and the
    # load balancer may reach its container port.
    assert service["options"]["dependsOn"] == ["web-service-sg-ingress", "web-service-standby"]
    assert "web-service-tg" in service["dependencies"]["loadBalancers"]
    assert document["outputs"]["url"] == "http://pr-42.preview.example.com"
    assert document["outputs"]["imageDigest"] == "sha256:" + "ef" * 32


def test_human_output_lists_resources_outputs_and_the_check_verdict() -> None:
    done = run("dev")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "stack dev"
    assert "PLACEHOLDER: no --image given" in lines[1]
    assert any(line.strip().startswith("web-task-task  aws:ecs/taskDefinition:TaskDefinition") for line in lines)
    assert "outputs (" in done.stdout and "  url: " in done.stdout
    assert lines[-1].startswith("AWS payload checks (botocore service models):") and lines[-1].endswith(", ok")


def test_pr_stack_name_works_like_preview_with_pr() -> None:
    done = run("pr-7", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["stack"] == "pr-7"


def test_a_payload_aws_would_reject_exits_2_with_its_path(tmp_path: Path) -> None:
    # A 150-character host is a valid DNS name (the stack file accepts it), but ALB host conditions stop at 128.
    host = ".".join(["a" * 60, "b" * 60, "c" * 20, "example.com"])
    services = {"web": {"containers": [{"name": "web", "port": 8080}], "routing": {"host": host}}}
    stacks = stacks_with(tmp_path, "dev", {"services": services})
    done = run("dev", "--stacks-dir", str(stacks), "--json")
    assert done.returncode == 2
    json.loads(done.stdout)  # the result is still printed
    assert "ecsdelivery: error: AWS would reject these payloads:" in done.stderr
    path = "ecsdelivery: error: resources[web-service-rule].Conditions[0].HostHeaderConfig.Values[0]: "
    assert path in done.stderr
    assert "must be 1-128 characters" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_tag_value_aws_refuses_exits_2(tmp_path: Path) -> None:
    stacks = stacks_with(tmp_path, "dev", {"tags": {"Project": "web", "Owner": "team#1"}})
    done = run("dev", "--stacks-dir", str(stacks))
    assert done.returncode == 2
    # refused where it is written, before any payload is built
    assert "dev.yaml:" in done.stderr and "tags.Owner: tag values take letters, digits, spaces" in done.stderr
    assert "'team#1'" in done.stderr


def test_a_bad_stack_file_exits_2_with_config_lines(tmp_path: Path) -> None:
    stacks = stacks_with(tmp_path, "dev", {"services": {"web": {"containers": [{"name": "web"}], "cpu": 300}}})
    done = run("dev", "--stacks-dir", str(stacks))
    assert done.returncode == 2
    assert done.stdout == ""
    assert "cpu" in done.stderr and "ecsdelivery: error: " in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nowhere",), "unknown environment 'nowhere'"),
        (("preview",), "needs a pull request number"),
        (("prod", "--image", "111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web:v1"), "deploys by digest only"),
        (("dev", "--image", "Bad Ref"), "ecsdelivery: error: "),
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...], message: str) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_preview_takes_its_pr_from_the_github_event(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 99}}))
    done = run("preview", "--json", env={"GITHUB_EVENT_PATH": str(event)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["stack"] == "pr-99"
