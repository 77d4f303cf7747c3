"""The delivery driver: stacks, backends and deployments through the Pulumi Automation API.

`plan` holds the pure decisions; `runtime` carries them out. Importing this package imports neither
pulumi nor boto3.
"""
