"""The AWS calls the driver makes itself, outside the engine: who am I (STS), ECR clients, and whether an IAM
OIDC provider exists (bootstrap)."""

from __future__ import annotations

from typing import Any

from ecsdelivery.errors import UsageError
from ecsdelivery.images import ecr_client


class AwsAccess:
    """The AWS calls the driver makes itself: who am I (STS) and ECR clients. `endpoint` targets an emulator."""

    def __init__(self, endpoint: str | None = None) -> None:
        self.endpoint = endpoint

    def caller_account(self, region: str) -> str | None:
        """The account of the current credentials, or None when there are none usable."""
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            client = boto3.session.Session().client("sts", region_name=region, endpoint_url=self.endpoint)
        except ValueError as err:  # botocore: a malformed region or endpoint URL
            raise UsageError(f"cannot make an STS client: {err} (check the region and the endpoint URL)") from None
        try:
            return str(client.get_caller_identity()["Account"])
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
