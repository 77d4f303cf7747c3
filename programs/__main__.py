"""Entry point for `pulumi up` in the repository: `Pulumi.yaml` has `main: programs/`."""

from programs.delivery import delivery_program

delivery_program()
