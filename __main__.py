"""Entry point for `pulumi up` in the repository: Pulumi runs the project directory's `__main__.py`.

The program itself lives in the package (`ecsdelivery.program`); the driver runs the same function inline.
"""

from ecsdelivery.program import delivery_program

delivery_program()
