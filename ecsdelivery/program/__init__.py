"""The ecsdelivery Pulumi program: `delivery_program` turns the current stack's file into resources."""

from ecsdelivery.program.delivery import delivery_program

__all__ = ["delivery_program"]
