"""ecsdelivery: Pulumi components and a driver that ship containerised services to ECS Fargate.

The components are imported lazily so that `python -m ecsdelivery --help` never loads pulumi:

    import ecsdelivery
    repo = ecsdelivery.EcrRepository("app", ecsdelivery.EcrRepositoryArgs(name="acme-app"))
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "EcrRepository": "ecsdelivery.components.ecr",
    "EcrRepositoryArgs": "ecsdelivery.components.ecr",
    "FargateTaskDefinition": "ecsdelivery.components.task_definition",
    "FargateTaskDefinitionArgs": "ecsdelivery.components.task_definition",
    "ContainerArgs": "ecsdelivery.components.task_definition",
    "FargateService": "ecsdelivery.components.service",
    "FargateServiceArgs": "ecsdelivery.components.service",
    "Platform": "ecsdelivery.components.platform",
    "PlatformArgs": "ecsdelivery.components.platform",
    "PreviewEnvironment": "ecsdelivery.components.preview",
    "PreviewEnvironmentArgs": "ecsdelivery.components.preview",
    "GithubOidcProvider": "ecsdelivery.components.bootstrap",
    "GithubOidcProviderArgs": "ecsdelivery.components.bootstrap",
    "GithubDeployRole": "ecsdelivery.components.bootstrap",
    "GithubDeployRoleArgs": "ecsdelivery.components.bootstrap",
    "StateBackend": "ecsdelivery.components.bootstrap",
    "StateBackendArgs": "ecsdelivery.components.bootstrap",
    "StateAccess": "ecsdelivery.components.bootstrap",
    "BootstrapPlan": "ecsdelivery.bootstrap",
    "resolve_bootstrap": "ecsdelivery.bootstrap",
    "SecretArgs": "ecsdelivery.components.task_definition",
    "ContainerHealthCheckArgs": "ecsdelivery.components.task_definition",
    "AutoscalingArgs": "ecsdelivery.settings",
    "CapacityArgs": "ecsdelivery.settings",
    "DeploymentArgs": "ecsdelivery.settings",
    "HealthCheckArgs": "ecsdelivery.settings",
    "LoggingArgs": "ecsdelivery.settings",
    "ResolvedStack": "ecsdelivery.stack",
    "resolve_stack": "ecsdelivery.stack",
    "NewVpcArgs": "ecsdelivery.components.platform",
    "ExistingNetworkArgs": "ecsdelivery.components.platform",
    "PlatformRef": "ecsdelivery.components.refs",
    "preview_priority": "ecsdelivery.config.priorities",
    "Label": "ecsdelivery.naming",
    "load_stack": "ecsdelivery.config",
    "StackConfig": "ecsdelivery.config",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ecsdelivery' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
