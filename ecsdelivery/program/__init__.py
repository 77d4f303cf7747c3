"""The ecsdelivery Pulumi program: `delivery_program` turns the current stack's file into resources."""

from ecsdelivery.program.delivery import deliver, delivery_program

__all__ = ["deliver", "delivery_program"]
