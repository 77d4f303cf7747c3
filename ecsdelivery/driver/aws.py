"""The AWS calls the driver makes itself, outside the engine: who am I (STS), ECR clients, and whether an IAM
OIDC provider exists (bootstrap)."""

from __future__ import annotations

from typing import Any

from ecsdelivery.errors import MissingRequirementError, UsageError
from ecsdelivery.images import ecr_client

#: Seconds to wait for an AWS endpoint to connect and to answer, and attempts in all: an unreachable endpoint
#: is reported within about half a minute instead of botocore's minutes of silent retries.
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 10
MAX_ATTEMPTS = 2


def _quick_config() -> Any:
    from botocore.config import Config

    return Config(
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
    )


class AwsAccess:
    """The AWS calls the driver makes itself: who am I (STS), ECR and ECS clients. `endpoint` targets an emulator."""

    def __init__(self, endpoint: str | None = None) -> None:
        self.endpoint = endpoint

    def caller_account(self, region: str) -> str | None:
        """The account of the current credentials, or None when there are none usable."""
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

        try:
            client = boto3.session.Session().client(
                "sts", region_name=region, endpoint_url=self.endpoint, config=_quick_config()
            )
        except ValueError as err:  # botocore: a malformed region or endpoint URL
            raise UsageError(f"cannot make an STS client: {err} (check the region and the endpoint URL)") from None
        try:
            return str(client.get_caller_identity()["Account"])
        except (ConnectionError, HTTPClientError) as err:  # unreachable: not the same as having no credentials
            raise MissingRequirementError(
                f"cannot reach AWS STS at {client.meta.endpoint_url} ({err}); check the network, proxy and "
                "AWS_ENDPOINT_URL settings, then retry"
            ) from None
        except (BotoCoreError, ClientError):
            return None

    def oidc_provider_exists(self, region: str, url: str) -> bool | None:
        """Whether the account has an IAM OIDC provider for `url`; None when IAM cannot be asked."""
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        host = url.removeprefix("https://")
        try:
            client = boto3.session.Session().client("iam", region_name=region, endpoint_url=self.endpoint)
            providers = client.list_open_id_connect_providers()["OpenIDConnectProviderList"]
        except (BotoCoreError, ClientError, ValueError):
            return None
        return any(str(p["Arn"]).endswith(f":oidc-provider/{host}") for p in providers)

    def ecr(self, region: str | None) -> Any:
        return ecr_client(region=region, endpoint=self.endpoint)

    def ecs(self, region: str) -> Any:
        """An ECS client for the read-only deployment calls, with the short timeouts (`ValueError` for a
        malformed region or endpoint)."""
        import boto3

        return boto3.session.Session().client(
            "ecs", region_name=region, endpoint_url=self.endpoint, config=_quick_config()
        )
