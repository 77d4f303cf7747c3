"""The README's CLI, driver and image sections show every command and option of `build_parser()`, with examples
the parser accepts, and the exit-code table lists exactly the codes `ecsdelivery.errors` defines."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from ecsdelivery import errors
from ecsdelivery.cli import build_parser

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
SECTIONS = ("CLI", "Deploying (driver)", "Image commands")
SAMPLES = {"IMAGE": "111111111111.dkr.ecr.us-east-1.amazonaws.com/acme/web@sha256:" + "a" * 64}


def section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def examples() -> list[list[str]]:
    """argv of every `python -m ecsdelivery ...` line in the sh blocks of the CLI sections."""
    found = []
    for title in SECTIONS:
        for block in re.findall(r"^```sh\n(.*?)^```", section(title), re.S | re.M):
            for line in block.splitlines():
                if line.startswith("python -m ecsdelivery"):
                    line = re.sub(r"\$(\w+)|\$\{(\w+)\}", lambda m: SAMPLES[m.group(1) or m.group(2)], line)
                    argv = shlex.split(line, comments=True)[3:]
                    found.append(argv[: argv.index(">")] if ">" in argv else argv)
    return found


def commands() -> dict[str, argparse.ArgumentParser]:
    """`up`, `diff`, ..., and `image resolve`, `image tag`, each with its parser."""
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    subs = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
                    if subs:
                        walk(sub, f"{prefix}{name} ")
                    else:
                        found[f"{prefix}{name}"] = sub

    walk(build_parser(), "")
    return found


def options(parser: argparse.ArgumentParser) -> list[tuple[str, str]]:
    """(option, help) of a command's options: an option shared by several commands is one option."""
    return [(a.option_strings[-1], str(a.help)) for a in parser._actions if a.option_strings and a.dest != "help"]


def test_every_example_parses() -> None:
    parser = build_parser()
    found = examples()
    assert len(found) >= 20
    for argv in found:
        if argv == ["--version"]:
            continue
        try:
            parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"README example `ecsdelivery {shlex.join(argv)}` is rejected by the CLI")


def test_every_command_and_option_has_an_example() -> None:
    """Each command has an example; each option (the same option on several commands counts once) is shown
    with at least one command that takes it."""
    found = examples()
    assert ["--version"] in found
    missing, shown, wanted = [], set(), set()
    for name, parser in commands().items():
        words = name.split()
        uses = [argv for argv in found if argv[: len(words)] == words]
        if not uses:
            missing.append(name)
        for option in options(parser):
            wanted.add(option)
            if any(option[0] in argv for argv in uses):
                shown.add(option)
    missing += sorted(f"{option} ({help_})" for option, help_ in wanted - shown)
    assert not missing, f"README has no example of: {missing}"


def test_the_cli_table_lists_every_command() -> None:
    table = section("CLI")
    missing = [name for name in commands() if f"| `{name}" not in table]
    assert not missing, missing


def test_exit_code_table_matches_the_errors_module() -> None:
    codes = {int(code) for code in re.findall(r"^\| (\d+) \|", section("Exit codes"), re.M)}
    defined = {value for name, value in vars(errors).items() if name.startswith("EXIT_")}
    assert codes == defined == {0, 1, 2, 3, 4, 5, 130, 141, 143}
