"""Values reach AWS exactly as written, or the file is refused with a line saying how to write them."""

from __future__ import annotations

from pathlib import Path

import pytest
from config_helpers import write_stacks

from ecsdelivery.cli import build_parser
from ecsdelivery.config import load_stack
from ecsdelivery.errors import ConfigError

FULLWIDTH_TWO = "\uff12"
ARABIC_ONE = "\u0661"
SERVICE = """\
import: [catalog/base.yaml]
services:
  web:
    containers:
      - name: web
        port: 8080
{extra}
"""


def _load(tmp_path: Path, text: str):
    stacks = write_stacks(tmp_path, {"dev.yaml": text})
    return load_stack("dev", stacks_dir=stacks)


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, text)
    return info.value.problems


# --- text keys keep the text -------------------------------------------------------------------------------------

AS_WRITTEN = [
    ("012345", "012345"),  # YAML 1.1: octal 5349
    ("12:30:00", "12:30:00"),  # sexagesimal 45000
    ("1.10", "1.10"),  # float 1.1
    ("0x1F", "0x1F"),  # hex 31
    ("on", "on"),  # true
    ("no", "no"),  # false
    ("Yes", "Yes"),
    ("2024-01-01", "2024-01-01"),  # a date
    ("1_000", "1_000"),  # 1000
    (".inf", ".inf"),
    ("-0", "-0"),
    ("0b101", "0b101"),
    ("'012'", "012"),
    ('"on"', "on"),
]


@pytest.mark.parametrize(("written", "expected"), AS_WRITTEN)
def test_environment_values_reach_aws_as_written(tmp_path: Path, written: str, expected: str) -> None:
    extra = f"        environment:\n          VALUE: {written}\n    routing: {{}}"
    config = _load(tmp_path, SERVICE.format(extra=extra))
    assert config.services["web"].containers[0].environment == {"VALUE": expected}


def test_tags_commands_and_list_items_keep_their_text(tmp_path: Path) -> None:
    extra = (
        "        command: [sleep, 010, 1.50]\n"
        "        health_check: {command: [CMD, check, on]}\n"
        "    routing: {}\n"
        "    tags: {CostCenter: 012345, Review: 2024-01-01}"
    )
    config = _load(tmp_path, SERVICE.format(extra=extra) + "tags: {Owner: off}\n")
    web = config.services["web"]
    assert web.containers[0].command == ["sleep", "010", "1.50"]
    assert web.containers[0].health_check is not None
    assert web.containers[0].health_check.command == ["CMD", "check", "on"]
    assert web.tags == {"CostCenter": "012345", "Review": "2024-01-01"}
    assert config.tags == {"Owner": "off"}


def test_an_import_overridden_by_quoted_text_keeps_the_quoted_text(tmp_path: Path) -> None:
    stacks = write_stacks(
        tmp_path,
        {
            "catalog/env.yaml": "import: [base.yaml]\nservices:\n  web:\n    containers:\n"
            "      - name: web\n        port: 8080\n        environment: {A: 0777, B: 0777}\n",
            "dev.yaml": "import: [catalog/env.yaml]\nservices:\n  web:\n    containers:\n"
            "      - name: web\n        port: 8080\n        environment: {A: '0777', B: 0777}\n",
        },
    )
    config = load_stack("dev", stacks_dir=stacks)
    assert config.services["web"].containers[0].environment == {"A": "0777", "B": "0777"}


# --- number and boolean keys refuse what YAML 1.1 would change --------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ("    desired_count: 012", "services.web.desired_count: '012' is 10 to YAML 1.1"),
        ("    desired_count: 1:30", "services.web.desired_count: '1:30' is 90 to YAML 1.1"),
        ("    desired_count: 1_0", "services.web.desired_count: '1_0' is 10 to YAML 1.1"),
        ("    desired_count: 0x2", "services.web.desired_count: '0x2' is 2 to YAML 1.1"),
        ("    routing: {priority: true}", "services.web.routing.priority: true is a boolean; write a number"),
        ("    desired_count: on", "services.web.desired_count: on is a boolean; write a number"),
        ("    exec: 1", "services.web.exec: 1 is a number; write true or false"),
        ("    desired_count: 2.0", "services.web.desired_count: 2.0 is not a whole number"),
        ("    desired_count: .0", "services.web.desired_count: .0 is not a whole number"),
    ],
)
def test_number_and_boolean_keys_refuse_yaml11_readings(tmp_path: Path, extra: str, fragment: str) -> None:
    if "routing" not in extra:
        extra += "\n    routing: {}"
    problems = _problems(tmp_path, SERVICE.format(extra=extra))
    assert any(fragment in p and "stacks/dev.yaml:" in p for p in problems), problems


def test_plain_numbers_and_booleans_still_read(tmp_path: Path) -> None:
    extra = "    desired_count: 3\n    exec: yes\n    routing: {priority: 120}"
    web = _load(tmp_path, SERVICE.format(extra=extra)).services["web"]
    assert (web.desired_count, web.exec, web.routing and web.routing.priority) == (3, True, 120)


# --- merge keys ----------------------------------------------------------------------------------------------------


def test_merge_key_then_explicit_key_the_explicit_key_wins(tmp_path: Path) -> None:
    text = (
        "import: [catalog/base.yaml]\n"
        "services:\n"
        "  worker: &base\n"
        "    cpu: 256\n"
        "    memory: 512\n"
        "    desired_count: 2\n"
        "    containers: [{name: worker}]\n"
        "  web:\n"
        "    <<: *base\n"
        "    cpu: 512\n"
        "    memory: 1024\n"
        "    containers: [{name: web, port: 8080}]\n"
        "    routing: {}\n"
    )
    web = _load(tmp_path, text).services["web"]
    assert (web.cpu, web.memory, web.desired_count) == (512, 1024, 2)
    assert [c.name for c in web.containers] == ["web"]


def test_earlier_merge_source_wins_over_later(tmp_path: Path) -> None:
    text = (
        "import: [catalog/base.yaml]\n"
        "services:\n"
        "  a: &a {desired_count: 2, containers: [{name: a}]}\n"
        "  b: &b {desired_count: 3, exec: true, containers: [{name: b}]}\n"
        "  c:\n"
        "    <<: [*a, *b]\n"
    )
    c = _load(tmp_path, text).services["c"]
    assert (c.desired_count, c.exec, c.containers[0].name) == (2, True, "a")


def test_a_key_written_twice_is_still_a_duplicate(tmp_path: Path) -> None:
    text = (
        "import: [catalog/base.yaml]\nservices:\n  a: &a {desired_count: 2}\n  b:\n    <<: *a\n"
        "    cpu: 256\n    cpu: 512\n"
    )
    problems = _problems(tmp_path, text)
    assert any(p.endswith("stacks/dev.yaml:7: services.b.cpu: duplicate key (also line 6)") for p in problems), problems


def test_merging_a_scalar_is_one_line(tmp_path: Path) -> None:
    text = "import: [catalog/base.yaml]\nx: &x 5\nservices:\n  b:\n    <<: *x\n"
    problems = _problems(tmp_path, text)
    assert any("stacks/dev.yaml:5: services.b: '<<' merges a mapping" in p for p in problems), problems


# --- patterns end at the end of the text, digits are ASCII ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('accounts: ["222222222222\\n"]', "accounts[0]: '222222222222\\n' is not an AWS account id"),
        ("accounts: [" + FULLWIDTH_TWO * 12 + "]", "is not an AWS account id"),
        ('region: "us-east-' + ARABIC_ONE + '"', "region: "),
        (
            'services: {web: {containers: [{name: web, port: 8080}], routing: {host: "api.example.com\\n"}}}',
            "services.web.routing.host: ",
        ),
        (
            "services: {web: {containers: [{name: web, port: 8080}], deployment: {alarms: "
            '{notification_topic_arn: "arn:aws:sns:us-east-1:' + FULLWIDTH_TWO * 12 + ':alerts"}}}}',
            "services.web.deployment.alarms.notification_topic_arn: ",
        ),
    ],
)
def test_trailing_newlines_and_unicode_digits_are_refused(tmp_path: Path, text: str, fragment: str) -> None:
    problems = _problems(tmp_path, "import: [catalog/base.yaml]\n" + text + "\n")
    assert any(fragment in p for p in problems), problems


@pytest.mark.parametrize("value", [ARABIC_ONE * 2, FULLWIDTH_TWO * 2, "42\n", "\u00b2", "1" * 30])
def test_pr_takes_ascii_digits_only(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["up", "preview", "--pr", value])
    assert info.value.code == 2
    assert "expected a pull request number" in capsys.readouterr().err


# --- autoscaling: the count follows the minimum ---------------------------------------------------------------------


def test_desired_count_follows_autoscaling_min_unless_set(tmp_path: Path) -> None:
    extra = "    routing: {}\n    autoscaling: {enabled: true, min: 2, max: 6}"
    assert _load(tmp_path, SERVICE.format(extra=extra)).services["web"].desired_count == 2
    problems = _problems(tmp_path, SERVICE.format(extra=extra + "\n    desired_count: 1"))
    assert any("services.web.desired_count: 1 is outside autoscaling min..max (2..6)" in p for p in problems)


@pytest.mark.parametrize(
    ("tags", "fragment"),
    [
        ('{Owner: "a\\nb"}', "tags.Owner: tag values take letters, digits, spaces"),
        ('{"bad key!": x}', "tags.bad key!: tag keys take letters, digits, spaces"),
        ("{Team: a;b}", "tags.Team: tag values take"),
    ],
)
def test_tags_aws_would_refuse_are_refused_at_their_line(tmp_path: Path, tags: str, fragment: str) -> None:
    problems = _problems(tmp_path, f"import: [catalog/base.yaml]\ntags: {tags}\n")
    assert any(fragment in p and "dev.yaml:2:" in p for p in problems), problems


def test_tags_aws_takes_are_accepted(tmp_path: Path) -> None:
    tags = {"Owner": "Équipe web", "Path": "a/b:c=d+e-f@g_h.i", "Empty": ""}
    text = "import: [catalog/base.yaml]\ntags: {Owner: Équipe web, Path: a/b:c=d+e-f@g_h.i, Empty: ''}\n"
    stacks = write_stacks(tmp_path, {"dev.yaml": text})
    assert load_stack("dev", stacks_dir=stacks).tags == tags
