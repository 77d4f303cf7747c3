"""Listener rule priorities of preview services: one pure, one-to-one scheme.

Every pull request owns its own block of `services_per_preview` consecutive priorities above `base`:

    priority(pr, index) = base + pr x services_per_preview + index      (0 <= index < services_per_preview)

Two open PRs never collide (the map is one-to-one: nothing wraps), and a PR keeps its priorities across
deploys. ALB priorities end at 50000, so the largest PR number is
`(50000 - base - services_per_preview + 1) // services_per_preview`: 9999 with the defaults (base 10000,
4 services per preview). Priorities below `base` are left to the environment's own services.

The stack config applies it when it loads a preview (`PreviewSettings.priority`); everything else reads the
priority the resolved stack carries. Standard library only.
"""

from __future__ import annotations

from ecsdelivery.facts import MAX_LISTENER_PRIORITY

MAX_PRIORITY = MAX_LISTENER_PRIORITY
PREVIEW_PRIORITY_BASE = 10000  # priorities below this are left to the environment's own services
SERVICES_PER_PREVIEW = 4  # priority slots each pull request owns


def largest_preview_pr(*, base: int = PREVIEW_PRIORITY_BASE, services_per_preview: int = SERVICES_PER_PREVIEW) -> int:
    """The largest PR number whose whole block of priorities fits under 50000 (0 when none fits)."""
    return max(0, (MAX_PRIORITY - base - services_per_preview + 1) // services_per_preview)


def preview_priority(
    pr_number: int,
    service_index: int = 0,
    *,
    base: int = PREVIEW_PRIORITY_BASE,
    services_per_preview: int = SERVICES_PER_PREVIEW,
) -> int:
    """The listener rule priority of a preview's service: `base + pr_number * services_per_preview + index`.

    Raises ValueError for a PR number below 1 or past the limit (`largest_preview_pr`), or an index outside
    `0..services_per_preview - 1`. The message names the limit.

        preview_priority(42)        # 10168
        preview_priority(42, 3)     # 10171
    """
    if pr_number < 1:
        raise ValueError(f"pull request numbers start at 1, got {pr_number}")
    if services_per_preview < 1:
        raise ValueError(f"services per preview must be at least 1, got {services_per_preview}")
    if not 0 <= service_index < services_per_preview:
        raise ValueError(f"service index {service_index} is outside 0..{services_per_preview - 1}")
    # The PR's whole block must fit, so a PR never gets some of its slots and not others.
    limit = largest_preview_pr(base=base, services_per_preview=services_per_preview)
    if pr_number > limit:
        raise ValueError(
            f"pull request {pr_number} is past the preview listener-rule priorities: with base {base} and "
            f"{services_per_preview} services per preview the largest PR number is {limit} "
            f"(ALB priorities end at {MAX_PRIORITY})"
        )
    return base + pr_number * services_per_preview + service_index
