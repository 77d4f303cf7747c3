"""The command line: parse, call one handler, map `EcsDeliveryError` to an exit code.

Handlers live in `ecsdelivery.commands.<module>`; those modules import pulumi, boto3 and pydantic only inside
the handler that needs them, so `--help` stays fast.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from ecsdelivery import __version__
from ecsdelivery.commands import config_cmds, driver_cmds, guard_cmds, image_cmds, synth_cmd
from ecsdelivery.errors import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, EXIT_MISSING, EXIT_USAGE, EcsDeliveryError

EXAMPLES = """\
examples:
  python -m ecsdelivery validate                      check every stack file
  python -m ecsdelivery synth dev --json              resources and outputs of dev, offline
  python -m ecsdelivery synth dev --against base.json  what an edit would replace, before merge
  python -m ecsdelivery up dev --local                deploy dev to a local AWS emulator
  python -m ecsdelivery up preview --pr 42 --image 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:sha-abc1234
  python -m ecsdelivery promote dev staging --release v1.4.0
  python -m ecsdelivery destroy preview --pr 42
  python -m ecsdelivery cleanup-previews --open-prs 12,40 --expired
  python -m ecsdelivery up bootstrap --for dev         OIDC provider and deploy roles of dev's account
"""


class _Parser(argparse.ArgumentParser):
    """Usage errors exit with code 2 and one line, as every other bad input does."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


#: Adds a group of options to a sub-command's parser.
Options = Callable[[argparse.ArgumentParser], None]
#: Runs a command: the parsed arguments in, the exit code out.
Handler = Callable[[argparse.Namespace], int]
#: Adds a sub-command: name, summary, handler, shared options.
Command = Callable[[str, str, Handler, Sequence[Options]], argparse.ArgumentParser]


def _stacks_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--stacks-dir", default="stacks", metavar="DIR", help="directory of stack files (default: stacks)")


def _at_least_one(what: str) -> Callable[[str], int]:
    """An argparse type for whole numbers from 1: `--pr 0` or `--parallel x` is one usage line (exit 2)."""

    def parse(text: str) -> int:
        if re.fullmatch(r"[0-9]{1,18}", text) and int(text) >= 1:
            return int(text)
        raise argparse.ArgumentTypeError(f"expected {what} (a whole number from 1), got {text!r}")

    return parse


def _env(p: argparse.ArgumentParser, *, pr: bool = True) -> None:
    p.add_argument(
        "env",
        metavar="ENV",
        help="environment: dev, staging, prod, shared or preview (a stack file); synth, check and up also take "
        "bootstrap --for ENV",
    )
    if pr:
        p.add_argument(
            "--pr",
            type=_at_least_one("a pull request number"),
            metavar="N",
            help="pull request number (preview only; in GitHub Actions defaults to the event's PR)",
        )


def _bootstrap_for(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--for",
        dest="bootstrap_for",
        metavar="ENV",
        help="with ENV `bootstrap`: the environment whose account to bootstrap (shared, dev, staging, prod)",
    )


def _image(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--image",
        metavar="REF",
        help="image to deploy: repo:tag or repo@sha256:... (tags resolve to digests)",
    )


def _backend(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--backend",
        metavar="URL",
        help="Pulumi backend URL (overrides the stack file and PULUMI_BACKEND_URL)",
    )
    p.add_argument(
        "--local",
        action="store_true",
        help="deploy to a local AWS emulator (moto on 127.0.0.1) with a local backend",
    )
    p.add_argument(
        "--endpoint", metavar="URL", help="with --local: use this already running emulator (e.g. LocalStack)"
    )


def _json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")


def _driver(p: argparse.ArgumentParser) -> None:
    """What every deploying command takes: where the state lives, --local, and the stack files."""
    _backend(p)
    _stacks_dir(p)


def _yes(p: argparse.ArgumentParser) -> None:
    p.add_argument("--yes", action="store_true", help="confirm changes to a protected environment non-interactively")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; workflow tests check every `python -m ecsdelivery` call against it."""
    parser = _Parser(
        prog="ecsdelivery",
        description="Ship containerised services to AWS ECS Fargate: previews per PR, then dev, staging, prod.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ecsdelivery {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, summary: str, handler: Handler, options: Sequence[Options] = ()) -> argparse.ArgumentParser:
        """A sub-command running `handler`, with the shared `options` in the order given."""
        sub = commands.add_parser(name, help=summary, description=summary)
        sub.set_defaults(handler=handler)
        for add in options:
            add(sub)
        return sub

    _offline_commands(command)
    _deploying_commands(command)
    _promotion_commands(command)
    _image_command(command)
    return parser


def _offline_commands(command: Command) -> None:
    """validate, schema, synth, check, cost: nothing deployed, no credentials."""
    p = command("validate", "load and validate stack files, one line per environment", config_cmds.validate, ())
    p.add_argument("envs", nargs="*", metavar="ENV", help="environments to validate (default: all)")
    _stacks_dir(p)
    command("schema", "print the JSON Schema of a stack file", config_cmds.schema, ())
    p = command(
        "synth",
        "run the program offline under mocks; print resources and outputs",
        synth_cmd.synth,
        (_env, _image, _bootstrap_for, _stacks_dir, _json),
    )
    p.add_argument(
        "--against",
        metavar="BEFORE.json",
        help="list what AWS would replace since an earlier `synth --json` of the stack, and why; exit 1 on a "
        "name collision",
    )
    p.add_argument("--markdown", metavar="FILE", help="with --against: also write the list as Markdown to FILE")
    command(
        "check",
        "run the guardrail rules over the synthesised stack",
        guard_cmds.check,
        (_env, _image, _bootstrap_for, _stacks_dir, _json),
    )
    command("cost", "estimate the monthly cost of what the stack creates", guard_cmds.cost, (_env, _stacks_dir, _json))


def _deploying_commands(command: Command) -> None:
    """up, diff, destroy, outputs, list: they all take the backend options and --stacks-dir, last."""
    command(
        "up",
        "deploy an environment (create or update its stack)",
        driver_cmds.up,
        (_env, _image, _bootstrap_for, _yes, _driver),
    )
    p = command("diff", "preview the changes an up would make", driver_cmds.diff, (_env, _image))
    p.add_argument("--markdown", metavar="FILE", help="write a PR-comment body to FILE")
    _driver(p)
    command(
        "destroy", "destroy an environment's resources and remove its stack", driver_cmds.destroy, (_env, _yes, _driver)
    )
    command("outputs", "print a stack's outputs", driver_cmds.outputs, (_env, _json, _driver))
    command(
        "list", "list stacks with environment, PR, image and last update", driver_cmds.list_stacks, (_json, _driver)
    )


def _promotion_commands(command: Command) -> None:
    """promote, rollback, cleanup-previews."""
    p = command("promote", "deploy the digest one environment runs to the next", driver_cmds.promote, ())
    p.add_argument("src", metavar="SRC", help="environment to promote from")
    p.add_argument("dst", metavar="DST", help="environment to promote to")
    p.add_argument("--release", metavar="TAG", help="also tag the digest in ECR with this release version")
    p.add_argument(
        "--expect-image",
        metavar="REF",
        help="refuse unless SRC runs exactly this image: a tag in its ECR repository (sha-<commit>), "
        "repo:tag, or a digest",
    )
    p.add_argument("--force", action="store_true", help="allow skipping a step of the promotion order")
    _yes(p)
    _driver(p)

    p = command("rollback", "redeploy a previous digest or release tag", driver_cmds.rollback, (_env,))
    p.add_argument("--to", metavar="REF", help="digest, release tag or image reference (default: the previous digest)")
    _yes(p)
    _driver(p)

    p = command(
        "cleanup-previews",
        "destroy preview stacks whose PR is closed or whose time is up",
        driver_cmds.cleanup_previews,
        (),
    )
    p.add_argument("--open-prs", metavar="N,N,...", help="comma-separated open PR numbers; others are removed")
    p.add_argument("--expired", action="store_true", help="also remove previews whose expiry has passed")
    p.add_argument(
        "--parallel",
        type=_at_least_one("a number of stacks"),
        default=4,
        metavar="K",
        help="stacks destroyed at once (default: 4)",
    )
    _driver(p)


def _image_command(command: Command) -> None:
    """image resolve | tag."""
    p = command("image", "resolve or add tags on ECR images through the ECR API", image_cmds.image, ())
    image = p.add_subparsers(dest="image_command", metavar="ACTION", parser_class=_Parser, required=True)
    q = image.add_parser("resolve", help="print the digest a tag points to")
    q.add_argument("repo", metavar="REPO", help="repository name or URL")
    q.add_argument("tag", metavar="TAG")
    q = image.add_parser("tag", help="add a tag to an image by copying its manifest (no layers move)")
    q.add_argument("repo", metavar="REPO", help="repository name or URL")
    q.add_argument("source", metavar="DIGEST|TAG", help="the image to tag")
    q.add_argument("new_tag", metavar="NEW_TAG")
    for q in (image.choices["resolve"], image.choices["tag"]):
        q.add_argument("--region", metavar="REGION", help="AWS region (default: from the AWS environment)")
        q.add_argument("--endpoint", metavar="URL", help="ECR endpoint URL (e.g. a local emulator)")


class Terminated(KeyboardInterrupt):
    """SIGTERM (CI cancellation, `timeout`, `docker stop`): handled as Ctrl-C is, so a running update is
    cancelled and its lock released; the exit code is 128 + the signal's number (143)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, frame: object) -> None:
    raise Terminated(signum)


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """While a command runs, SIGTERM raises `Terminated` in the main thread (as SIGINT raises KeyboardInterrupt)."""
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread (e.g. the CLI called from a worker): leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _silence_stdout() -> None:
    """After stdout failed (a closed pipe, a full disk), point it at /dev/null so the exit flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        with _sigterm_interrupts():
            code = int(args.handler(args) or 0)
            sys.stdout.flush()
        return code
    except EcsDeliveryError as err:
        for line in str(err).splitlines() or [type(err).__name__]:
            print(f"ecsdelivery: error: {line}", file=sys.stderr)
        return err.exit_code
    except Terminated as err:
        print("ecsdelivery: terminated", file=sys.stderr)
        return 128 + err.signum
    except KeyboardInterrupt:
        print("ecsdelivery: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`synth | head -1`): stop quietly, as a shell's command killed by SIGPIPE does.
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as err:
        # Writing the output failed (`schema > /dev/full`): one line, not a traceback.
        _silence_stdout()
        where = err.filename or "standard output"
        print(f"ecsdelivery: error: I/O error on {where}: {err.strerror or err}", file=sys.stderr)
        return EXIT_MISSING
