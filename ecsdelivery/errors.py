"""One error hierarchy; the CLI maps each class to a documented exit code.

| code | meaning                                                                 |
|------|-------------------------------------------------------------------------|
| 0    | success                                                                 |
| 1    | the deployment (or a mandatory guardrail) failed                        |
| 2    | bad usage or a bad stack file                                           |
| 3    | the stack is locked by another update                                   |
| 4    | the environment lacks something: Pulumi CLI, credentials, an image      |
| 5    | the update went through but ECS rolled the deployment back              |
| 130  | interrupted (Ctrl-C)                                                    |
| 141  | stdout was closed by its reader (`synth | head -1`)                      |
| 143  | terminated (SIGTERM); a running update is cancelled as for Ctrl-C       |
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_LOCKED = 3
EXIT_MISSING = 4
EXIT_ROLLED_BACK = 5
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
EXIT_TERMINATED = 143  # 128 + SIGTERM


class EcsDeliveryError(Exception):
    """Base of every error ecsdelivery reports to a user. `str(err)` is the message shown."""

    exit_code: int = EXIT_FAILED


class DeploymentError(EcsDeliveryError):
    """The engine ran and the update (or destroy) failed."""

    exit_code = EXIT_FAILED


class UsageError(EcsDeliveryError):
    """The command line is wrong: unknown environment, missing `--pr`, conflicting options."""

    exit_code = EXIT_USAGE


class ConfigError(EcsDeliveryError):
    """A stack file is malformed or invalid. Holds one line per problem."""

    exit_code = EXIT_USAGE

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class StackLockedError(EcsDeliveryError):
    """Another update holds the stack's lock."""

    exit_code = EXIT_LOCKED


class MissingRequirementError(EcsDeliveryError):
    """Something the command needs is absent: the Pulumi CLI, AWS credentials, an image."""

    exit_code = EXIT_MISSING


class RolledBackError(EcsDeliveryError):
    """The update went through, but ECS rolled a service's deployment back (an alarm, the circuit breaker): the
    service runs its previous revision, not what the stack says."""

    exit_code = EXIT_ROLLED_BACK
