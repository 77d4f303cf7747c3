"""`validate` and `schema`: check stack files and print their JSON Schema.

pydantic and the loader are imported inside the handlers, so `--help` never pays for them.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from ecsdelivery.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from ecsdelivery.config.models import StackConfig

# A preview stack is validated as this pull request (the host template and priorities need a number).
SAMPLE_PR = 1


def validate(args: argparse.Namespace) -> int:
    """Load and validate the named environments (all by default); one line per environment on stdout.

    Every problem of every environment is reported (one line each) before exiting with code 2.
    """
    from ecsdelivery.config import list_environments, load_stack
    from ecsdelivery.config.loader import stack_file_problems
    from ecsdelivery.naming import StackId

    stacks_dir = getattr(args, "stacks_dir", "stacks")
    known = list_environments(stacks_dir)
    if not known:
        raise UsageError(f"no stack files (*.yaml) in {stacks_dir}")
    envs = list(getattr(args, "envs", None) or known)
    unknown = [env for env in envs if env not in known and not StackId.parse(env).is_preview]
    if unknown:
        raise UsageError(f"unknown environment {unknown[0]!r}; known: {', '.join(known)}")
    problems: list[str] = [] if getattr(args, "envs", None) else stack_file_problems(stacks_dir)
    loaded: dict[str, StackConfig] = {}
    for env in envs:
        pr = SAMPLE_PR if env == "preview" else None
        try:
            config = load_stack(env, stacks_dir=stacks_dir, pr=pr)
        except ConfigError as err:
            print(f"{env}: invalid ({len(err.problems)} problem{'s' if len(err.problems) != 1 else ''})", flush=True)
            problems.extend(p for p in err.problems if p not in problems)
            continue
        loaded[env] = config
        count = len(config.services)
        name = config.label.id if pr is None else f"{config.label.id}, as PR {pr}"
        print(f"{env}: ok ({name}, {count} service{'s' if count != 1 else ''}, {config.region})", flush=True)
    problems.extend(shared_names(loaded, stacks_dir))
    if problems:
        raise ConfigError(problems)
    return 0


def shared_names(configs: dict[str, StackConfig], stacks_dir: str) -> list[str]:
    """Two stack files whose resources would carry the same AWS names in one account and region (a `qa.yaml`
    that says `environment: dev`): the second deploy would fail on names the first one holds, or take them over."""
    first: dict[tuple[str, str, str], str] = {}
    problems = []
    for env, config in configs.items():
        if not config.services and config.platform is None:
            continue  # no named resources of its own beyond the repository (shared)
        key = (config.label.id, config.accounts[0] if config.accounts else "", config.region)
        if key in first:
            problems.append(
                f"{stacks_dir}/{env}.yaml: environment: {config.environment} gives the same AWS names "
                f"({config.label.id}) as {stacks_dir}/{first[key]}.yaml in account {key[1]} and {key[2]}; "
                "give it an environment of its own"
            )
        else:
            first[key] = env
    return problems


def schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of a stack file (the one `schema/stack.schema.json` holds)."""
    from ecsdelivery.config import stack_schema

    print(json.dumps(stack_schema(), indent=2))
    return 0
