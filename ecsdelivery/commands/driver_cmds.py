"""Handlers of the deploying commands: build a `Driver` from the arguments, run one method, return 0.

Errors propagate as `EcsDeliveryError`s (the CLI maps them to exit codes); in GitHub Actions the first line is
also printed as an `::error::` annotation.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ecsdelivery.errors import EcsDeliveryError


def _driver(args: argparse.Namespace) -> Any:
    from ecsdelivery.driver.operations import Driver, Settings

    settings = Settings(
        stacks_dir=Path(getattr(args, "stacks_dir", "stacks") or "stacks"),
        backend=getattr(args, "backend", None),
        local=bool(getattr(args, "local", False)),
        endpoint=getattr(args, "endpoint", None),
        yes=bool(getattr(args, "yes", False)),
        git_sha=getattr(args, "git_sha", None) or os.environ.get("GITHUB_SHA"),
        environ=dict(os.environ),
    )
    if settings.endpoint and not settings.local:
        from ecsdelivery.errors import UsageError

        raise UsageError("--endpoint is for --local runs only")
    from ecsdelivery.driver.github import check_writable

    check_writable(settings.environ)
    return Driver(settings)


@contextmanager
def _annotated() -> Iterator[None]:
    try:
        yield
    except EcsDeliveryError as err:
        from ecsdelivery.driver.github import error_annotation

        error_annotation(str(err), os.environ)
        raise


def _run(args: argparse.Namespace, call: Callable[[Any], object]) -> int:
    with _annotated():
        result = call(_driver(args))
    return result if isinstance(result, int) else 0


def up(args: argparse.Namespace) -> int:
    """`up ENV [--pr N] [--image REF] [--yes] [--local]`, or `up bootstrap --for ENV`."""
    from ecsdelivery.commands import bootstrap_cmds

    if bootstrap_cmds.wants_bootstrap(args):
        from ecsdelivery.bootstrap.deploy import BootstrapDeployer

        return _run(args, lambda d: BootstrapDeployer(d.settings).up(args.bootstrap_for))
    return _run(args, lambda d: d.up(args.env, args.pr, args.image))


def diff(args: argparse.Namespace) -> int:
    """`diff ENV [--pr N] [--image REF] [--markdown FILE]`."""
    return _run(args, lambda d: d.diff(args.env, args.pr, args.image, args.markdown))


def destroy(args: argparse.Namespace) -> int:
    """`destroy ENV [--pr N] [--yes]`; a missing stack is not an error."""
    return _run(args, lambda d: d.destroy(args.env, args.pr))


def outputs(args: argparse.Namespace) -> int:
    """`outputs ENV [--pr N] [--json]`."""
    return _run(args, lambda d: d.outputs(args.env, args.pr, args.json))


def list_stacks(args: argparse.Namespace) -> int:
    """`list [--json]`."""
    return _run(args, lambda d: d.list_stacks(args.json))


def promote(args: argparse.Namespace) -> int:
    """`promote SRC DST [--release TAG] [--expect-image REF] [--force] [--yes]`."""
    return _run(args, lambda d: d.promote(args.src, args.dst, args.release, args.force, args.expect_image))


def rollback(args: argparse.Namespace) -> int:
    """`rollback ENV [--pr N] [--to REF] [--yes]`."""
    return _run(args, lambda d: d.rollback(args.env, args.pr, args.to))


def cleanup_previews(args: argparse.Namespace) -> int:
    """`cleanup-previews [--open-prs N,...] [--expired] [--parallel K]`."""
    return _run(args, lambda d: d.cleanup_previews(args.open_prs, args.expired, args.parallel))
