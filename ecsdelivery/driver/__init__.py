"""The delivery driver: stacks, backends and deployments through the Pulumi Automation API.

Split the way Pulumi's automation module is: `workspace` (settings, backend, the CLI, opening and listing
stacks, tags, error mapping), `operations` (`Driver`: up, diff, destroy, outputs, list, promote, rollback,
cleanup over a stack), `report` (printing, GitHub step outputs and summary, the PR-comment markdown). `plan`
holds the pure decisions the operations carry out; `aws` the AWS calls the driver makes itself. Rollbacks:
`deployments` reads what ECS says of a stack's services (its deployments, rolled back or not), `rollbacks` turns
that and the `rollback` command into the stack's last-rollback record and the lines reported, and `watch` is
what the operations call. Importing this package imports neither pulumi nor boto3.
"""
