"""Entry point for `pulumi up` in the repository: `Pulumi.yaml` has `main: programs/`.

Pulumi runs this directory with `runpy.run_path`, which puts `programs/` itself (not the repository root) on
`sys.path`; the root is added so `programs` and `ecsdelivery` import even without `pip install -e .`.
"""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from programs.delivery import delivery_program  # noqa: E402

delivery_program()
