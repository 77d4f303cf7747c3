"""`diff`: a `pulumi preview` of a stack, with each service's worst-case rollout and a PR-comment body.

Part of `Driver` (`ecsdelivery.driver.operations`), which it runs with: the stack file, image and stack come
from the driver's checks, the output goes to its reporter. A stack that does not exist yet is created for the
preview and removed again, so a diff leaves nothing behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecsdelivery.driver.report import changes_text, check_writable_file, diff_markdown
from ecsdelivery.errors import UsageError
from ecsdelivery.reports import rollout
from ecsdelivery.stack import ResolvedStack
from ecsdelivery.synth import synthesize_stack

if TYPE_CHECKING:
    from ecsdelivery.driver.operations import Driver


def preview_diff(driver: Driver, env: str, pr: int | None, image: str | None, markdown: str | None) -> int:
    """Preview ENV and state each service's worst-case rollout; with `markdown`, write a PR-comment body
    (changes per type, URL, image, rollout)."""
    from pulumi.automation import OpType

    workspace = driver.workspace
    target, resolved = driver._start(env, pr, image=image)
    cfg = resolved.config
    if markdown:
        check_writable_file(markdown, "--markdown")
    backend = workspace.backend(cfg)
    workspace.pulumi()
    per_type: dict[str, dict[str, int]] = {}

    def on_event(event: Any) -> None:
        pre = event.resource_pre_event
        if pre is None or pre.metadata.type == "pulumi:pulumi:Stack":
            return
        op = pre.metadata.op.value if isinstance(pre.metadata.op, OpType) else str(pre.metadata.op)
        counts = per_type.setdefault(pre.metadata.type, {})
        counts[op] = counts.get(op, 0) + 1

    with workspace.emulator():
        requested = driver.resolve_image(image, cfg) if image else None  # a refused image creates nothing
        existing = driver._existing(target.stack, backend)
        deploy_image = requested or (workspace.deployed(existing).image if existing is not None else None)
        resolved = resolved.with_image(deploy_image)
        stack = existing or workspace.open(target.stack, backend, create=True)
        try:
            with workspace.mapped(target.stack, "configuring the stack"):
                workspace.apply_config(stack, workspace.program_config(resolved))
            title = f"pulumi preview {target.stack}"
            with workspace.mapped(target.stack, "the preview", stack), driver.report.stream(title):
                result = stack.preview(
                    on_output=driver.say, on_event=on_event, refresh=workspace.ephemeral_emulator() or None
                )
            outputs = {k: v.value for k, v in stack.outputs().items()}
        finally:
            if existing is None:
                # diff only looks: the empty stack it needed for the preview goes again, so no stack is
                # left that nothing deployed (and that `cleanup-previews --expired` could not date).
                driver._remove_empty(stack, target.stack)
    changes = dict(result.change_summary or {})
    url = outputs.get("url") or resolved.url
    driver.say(f"\n{target.stack}: {changes_text(changes)}")
    rollout_lines, rollout_markdown = rollout_report(resolved)
    for line in rollout_lines:
        driver.say(line)
    body = diff_markdown(target.stack, deploy_image, url, per_type, changes, rollout_markdown)
    if markdown:
        try:
            Path(markdown).write_text(body, encoding="utf-8")
        except OSError as err:
            raise UsageError(f"cannot write --markdown {markdown}: {err.strerror or err}") from None
        driver.say(f"wrote {markdown}")
    driver.report.summary(body)
    return 0


def rollout_report(resolved: ResolvedStack) -> tuple[list[str], str]:
    """The worst-case rollout of the stack's services: lines to print and markdown for the PR comment.

    Computed from the offline synth of the same resolved stack (`ecsdelivery.synth.synthesize_stack`),
    not from the preview's steps: on a first preview the engine does not know yet most of what the report
    reads (container definitions are built from other resources' outputs; the ARNs that tie a service to its
    target group and task definition do not exist), while the synth resolves all of it, and `synth` prints
    the same figures.
    """
    result = synthesize_stack(resolved)
    return rollout.synth_lines(result), rollout.markdown(result.resources, result.stack)


__all__ = ["preview_diff", "rollout_report"]
