"""`--help`, `--version`, `validate` and `schema` as the user runs them: subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from config_helpers import write_stacks

from ecsdelivery import __version__

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecsdelivery", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_help_lists_commands_and_examples() -> None:
    result = run("--help")
    assert result.returncode == 0, result.stderr
    for command in ("validate", "schema", "synth", "up", "diff", "destroy", "promote", "cleanup-previews"):
        assert command in result.stdout
    assert "examples:" in result.stdout


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from ecsdelivery.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])\n"
        "heavy = sorted(m for m in ('pulumi', 'boto3', 'botocore', 'pydantic', 'yaml') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"ecsdelivery {__version__}"


def test_validate_all_shipped_stacks() -> None:
    result = run("validate")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines == [
        "dev: ok (acme-dev-web, 1 service, us-east-1)",
        "preview: ok (acme-preview-web-pr-1, as PR 1, 1 service, us-east-1)",
        "prod: ok (acme-prod-web, 1 service, us-east-1)",
        "shared: ok (acme-shared-web, 0 services, us-east-1)",
        "staging: ok (acme-staging-web, 1 service, us-east-1)",
    ]


def test_validate_named_environments() -> None:
    result = run("validate", "prod", "dev")
    assert result.returncode == 0, result.stderr
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["prod", "dev"]


def test_validate_unknown_environment_exits_2() -> None:
    result = run("validate", "qa")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "ecsdelivery: error: unknown environment 'qa'; known: dev, preview, prod, shared, staging"
    )


def test_validate_bad_stack_prints_every_problem_and_exits_2(tmp_path: Path) -> None:
    write_stacks(
        tmp_path,
        {
            "good.yaml": "import: [catalog/base.yaml]\n",
            "bad.yaml": "import: [catalog/base.yaml]\nservices:\n  web:\n    log_retention_days: 4\n    exec: maybe\n",
        },
    )
    result = run("validate", "--stacks-dir", "stacks", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout.splitlines() == ["bad: invalid (2 problems)", "good: ok (acme-good-web, 1 service, us-east-1)"]
    errors = result.stderr.splitlines()
    assert errors[0].startswith("ecsdelivery: error: stacks/bad.yaml:4: services.web.log_retention_days: 4 is not")
    assert errors[1].startswith("ecsdelivery: error: stacks/bad.yaml:5: services.web.exec: ")
    assert len(errors) == 2
    assert "Traceback" not in result.stderr


def test_validate_malformed_yaml(tmp_path: Path) -> None:
    write_stacks(tmp_path, {"env.yaml": "a: [1,\n"})
    result = run("validate", "--stacks-dir", "stacks", cwd=tmp_path)
    assert result.returncode == 2
    assert "ecsdelivery: error: stacks/env.yaml:2: malformed YAML" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_without_stack_files(tmp_path: Path) -> None:
    result = run("validate", "--stacks-dir", "nothing-here", cwd=tmp_path)
    assert result.returncode == 2
    assert "no stack files" in result.stderr


def test_schema_prints_json_schema() -> None:
    result = run("schema")
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert schema["title"] == "ecsdelivery stack file"
    assert schema == json.loads((ROOT / "schema" / "stack.schema.json").read_text())
