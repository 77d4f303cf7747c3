"""Pulumi component resources: EcrRepository, FargateTaskDefinition, FargateService, Platform, PreviewEnvironment;
and for bootstrapping an account, GithubOidcProvider, GithubDeployRole and StateBackend (`components.bootstrap`).

Each takes `(name, args, opts=None)`, names its children `f"{name}-<suffix>"` with `parent=self`, takes every
physical name and tag from `ecsdelivery.naming.Label`, and never reads files, environment variables or config.
"""
