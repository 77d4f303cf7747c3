"""Find the Pulumi CLI: on PATH, else a cached install, else install a pinned version; else exit 4.

The pinned version is the version of the installed `pulumi` Python SDK, so engine and SDK match. The cache
is `$ECSDELIVERY_PULUMI_ROOT` or `~/.ecsdelivery/pulumi/<version>` (the CLI lands in `<root>/bin/pulumi`);
`~/.pulumi/bin/pulumi`, where the official installer puts it, is also tried. Set `ECSDELIVERY_NO_INSTALL=1` to
never download. An install that fails (offline, proxy) ends in `MissingRequirementError` with how to install
by hand, never a traceback. Each message is one line (GitHub shows the first line of an error as the run's
annotation, so the way to install the CLI must be on it).
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ecsdelivery.errors import MissingRequirementError

if TYPE_CHECKING:
    from pulumi.automation import PulumiCommand

INSTALL_HINT = (
    "install the Pulumi CLI: curl -fsSL https://get.pulumi.com | sh  (or: brew install pulumi/tap/pulumi), "
    "make sure `pulumi` is on PATH, then retry"
)
#: Seconds a download may stall before the install is given up.
INSTALL_TIMEOUT = 30.0


def pinned_version() -> str:
    """The CLI version installed when none is found: the pulumi SDK's own version."""
    from pulumi._version import version

    return str(version)


def cache_root(environ: Mapping[str, str]) -> Path:
    """Where ecsdelivery installs (and later finds) the CLI."""
    configured = environ.get("ECSDELIVERY_PULUMI_ROOT")
    if configured:
        return Path(configured)
    return Path.home() / ".ecsdelivery" / "pulumi" / pinned_version()


def find_pulumi_command(environ: Mapping[str, str] | None = None) -> PulumiCommand:
    """A `PulumiCommand` for a working CLI, installing one if needed; `MissingRequirementError` (exit 4) if
    none can be had."""
    from pulumi.automation import PulumiCommand
    from pulumi.automation.errors import InvalidVersionError
    from semver import VersionInfo

    environ = os.environ if environ is None else environ
    try:
        if shutil.which("pulumi", path=environ.get("PATH")):
            return PulumiCommand()
        for root in (cache_root(environ), Path.home() / ".pulumi"):
            if (root / "bin" / "pulumi").is_file():
                return PulumiCommand(root=str(root))
    except InvalidVersionError as err:
        raise MissingRequirementError(f"the Pulumi CLI found is not usable: {err}; {INSTALL_HINT}") from None
    except OSError as err:
        raise MissingRequirementError(f"the Pulumi CLI could not be run: {err}; {INSTALL_HINT}") from None
    if environ.get("ECSDELIVERY_NO_INSTALL"):
        raise MissingRequirementError(f"no Pulumi CLI found (and ECSDELIVERY_NO_INSTALL is set); {INSTALL_HINT}")
    root = cache_root(environ)
    version = pinned_version()
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(INSTALL_TIMEOUT)  # the SDK's download has no timeout of its own
    try:
        return PulumiCommand.install(root=str(root), version=VersionInfo.parse(version))
    except Exception as err:  # offline, proxy, disk: all mean "install it yourself"
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise MissingRequirementError(
            f"no Pulumi CLI found and installing version {version} into {root} failed ({reason}); {INSTALL_HINT}"
        ) from None
    finally:
        socket.setdefaulttimeout(previous)
