"""Reports over synthesised resources: the monthly cost estimate (`cost`) and the worst-case rollout (`rollout`).

Both read resources through `ecsdelivery.resources`, as the guardrails do; neither imports pulumi.
"""
