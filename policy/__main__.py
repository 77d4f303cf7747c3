"""ecsdelivery's guardrails as a Pulumi policy pack: `pulumi preview --policy-pack policy`.

The policies wrap the rule functions of `ecsdelivery.guardrails.rules`, the same ones
`python -m ecsdelivery check` runs offline, so the two never disagree.
"""

import sys
from pathlib import Path

# Run from a checkout: the rules are imported from the repository next to this directory.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from ecsdelivery.guardrails.pack import PACK_NAME, build_policies

PolicyPack(
    name=PACK_NAME,
    policies=build_policies(),
    enforcement_level=EnforcementLevel.ADVISORY,
    description="ecsdelivery guardrails: network exposure, TLS, ECR, logs, secrets, rollbacks, prod and previews.",
)
