"""Load pulumi-aws resource classes one module at a time, for a faster offline synth.

`import pulumi_aws` is lazy, but the first use of a namespace (`aws.ec2.SecurityGroup`) runs the namespace's
`__init__`, which imports every resource of that namespace: about 0.8 s for `ec2`, 0.3 s for `cloudwatch`
and `ecs`, on these machines, mostly for classes a program never uses. After `install()`, a namespace first
looks a name up in the module the generated code puts it in (`SecurityGroup` -> `ec2/security_group.py`,
`get_caller_identity` -> `get_caller_identity.py`, argument types -> `_inputs.py`), and only when that fails
runs the namespace's own `__init__` as before. The classes are the same objects either way.

It changes process-wide module state, so only short-lived commands call it (`python -m ecsdelivery synth`);
the library never installs it on import.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import types
from typing import Any

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_FALLBACKS = ("_inputs", "outputs", "_enums")


def snake_case(name: str) -> str:
    """`SecurityGroupIngressRule` -> `security_group_ingress_rule` (the generated module naming)."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


class _OnDemandNamespace(types.ModuleType):
    """A pulumi-aws namespace package that imports only the module holding each name asked for."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        for candidate in (snake_case(name), *_FALLBACKS):
            try:
                module = importlib.import_module(f"{self.__name__}.{candidate}")
            except ModuleNotFoundError:
                continue
            if candidate == name:  # a submodule (`from . import outputs`)
                setattr(self, name, module)
                return module
            if name in vars(module):
                value = vars(module)[name]
                setattr(self, name, value)
                return value
        # Not where the naming convention says: run the namespace's own __init__ (everything), as pulumi-aws does.
        spec = self.__spec__
        if spec is None or spec.loader is None or vars(self).get("_fully_loaded"):
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        self._fully_loaded = True
        spec.loader.exec_module(self)
        return object.__getattribute__(self, name)


#: The namespaces ecsdelivery's components use.
NAMESPACES = ("acm", "appautoscaling", "cloudwatch", "ec2", "ecr", "ecs", "iam", "kms", "lb", "route53", "s3", "vpc")


def install(package: str = "pulumi_aws", namespaces: tuple[str, ...] = NAMESPACES) -> None:
    """Make the given namespaces of `package` load on demand, unless already loaded (idempotent)."""
    root = importlib.import_module(package)
    for name in namespaces:
        value = vars(root).get(name)
        # Only pulumi's lazy modules not yet touched (their class changes on first use); `__spec__` is one of the
        # attributes they answer without loading.
        if not isinstance(value, types.ModuleType) or type(value).__name__ != "_LazyModule":
            continue
        spec = value.__spec__
        if spec is None or spec.loader is None or not spec.submodule_search_locations:
            continue
        spec = importlib.util.spec_from_file_location(
            spec.name, spec.origin, submodule_search_locations=list(spec.submodule_search_locations)
        )
        if spec is None:
            continue
        module = importlib.util.module_from_spec(spec)
        module.__class__ = _OnDemandNamespace
        sys.modules[spec.name] = module
        setattr(root, name, module)
