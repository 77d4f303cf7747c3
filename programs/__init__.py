"""The ecsdelivery Pulumi program: `delivery_program` turns the current stack's file into resources."""

from programs.delivery import delivery_program

__all__ = ["delivery_program"]
