"""`--local`: a moto server on 127.0.0.1 (or an emulator already running) and the aws provider config for it.

Emulated (moto): ECR, ECS (clusters, task definitions, services; tasks never run unless the server runs with
`MOTO_ECS_SERVICE_RUNNING=<n>`), ELBv2 (load balancers, target groups, listeners, rules), EC2 (VPC, subnets,
security groups), IAM, CloudWatch Logs, STS, Application Auto Scaling, Cloud Map. Not emulated: containers
never start and nothing answers on the service URL; ACM certificates and Route53 records are not created (the
program's `local` mode leaves them out); moto accepts some values real AWS rejects.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ecsdelivery.errors import MissingRequirementError

#: aws provider `endpoints` keys set for the emulator: only what the program uses (each adds start-up time).
ENDPOINT_KEYS = ("ecs", "ecr", "elbv2", "ec2", "iam", "logs", "sts", "appautoscaling", "servicediscovery")
TEST_ACCESS_KEY = "test"


@contextmanager
def emulator(endpoint: str | None = None) -> Iterator[str]:
    """Yield the emulator's URL: `endpoint` as given, or a moto server started on a free port for the block."""
    if endpoint:
        yield endpoint.rstrip("/")
        return
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        raise MissingRequirementError(
            "--local needs the moto server: pip install 'ecsdelivery[local]' "
            "(or pass --endpoint URL of an emulator already running)"
        ) from None

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def provider_config(endpoint: str, region: str) -> dict[str, str]:
    """Stack config (path keys) that points the aws provider at the emulator."""
    config = {
        "aws:region": region,
        "aws:accessKey": TEST_ACCESS_KEY,
        "aws:secretKey": TEST_ACCESS_KEY,
        "aws:skipCredentialsValidation": "true",
        "aws:skipRequestingAccountId": "true",
        "aws:skipMetadataApiCheck": "true",
        "aws:s3UsePathStyle": "true",
    }
    for key in ENDPOINT_KEYS:
        config[f"aws:endpoints[0].{key}"] = endpoint
    return config
