"""`python -m ecsdelivery`: the same CLI as the `ecsdelivery` console script."""

from ecsdelivery.cli import main

raise SystemExit(main())
