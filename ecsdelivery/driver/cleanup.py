"""`cleanup-previews`: destroy and remove the previews whose pull request is closed or whose time is up.

Part of `Driver` (`ecsdelivery.driver.operations`): the previews come from its workspace, each is destroyed with
its `destroy_stack`, several at once, and its reporter prints one line per preview.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ecsdelivery.driver import plan
from ecsdelivery.errors import DeploymentError, EcsDeliveryError, UsageError

if TYPE_CHECKING:
    from ecsdelivery.driver.operations import Driver


def cleanup_previews(driver: Driver, open_prs: str | None, expired: bool, parallel: int = 4) -> int:
    """Destroy and remove previews whose PR is closed or whose time is up; report each; 1 if any failed."""
    wanted = plan.parse_open_prs(open_prs)
    if open_prs is None and not expired:
        raise UsageError("cleanup-previews needs --open-prs N,N,... and/or --expired")
    if parallel < 1:
        raise UsageError("--parallel must be at least 1")
    cfg = driver._stack_file("preview", pr=1)
    backend = driver.workspace.backend(cfg)
    previews = driver.workspace.previews(backend, with_tags=expired)
    removals = plan.previews_to_remove(
        previews, open_prs=wanted, expired=expired, now=datetime.now(UTC), ttl_hours=cfg.preview.ttl_hours
    )
    if not removals:
        driver.say(f"no preview to remove ({len(previews)} found)")
        return 0
    driver.say(f"removing {len(removals)} of {len(previews)} previews")

    def remove(removal: plan.Removal) -> str | None:
        try:
            if not driver.destroy_stack(removal.name, backend, cfg):
                driver.say(f"{removal.name}: already gone (removed by another run)")
            return None
        except EcsDeliveryError as err:
            return str(err).replace("\n", "; ")

    with driver.workspace.emulator(), ThreadPoolExecutor(max_workers=min(parallel, len(removals))) as pool:
        driver._check_account(plan.Target(env="preview", stack="previews"), cfg)
        errors = list(pool.map(remove, removals))
    failed = driver.report.cleanup([(r.name, r.reason, e) for r, e in zip(removals, errors, strict=True)])
    if failed:
        raise DeploymentError(f"{failed} of {len(removals)} previews could not be removed")
    return 0


__all__ = ["cleanup_previews"]
