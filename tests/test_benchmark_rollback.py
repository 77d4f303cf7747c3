"""The benchmark's rollback comparison: prod rolls back on alarms, the peers' defaults do not."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_prod_rolls_back_automatically_and_the_peers_do_not() -> None:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.rollback_figures()
    ours = rows[0]
    assert ours["tool"].startswith("ecsdelivery prod") and "CANARY" in ours["tool"]
    assert ours["automatic_s"] == 180 and ours["full_traffic_s"] == 330
    peers = {row["tool"]: row for row in rows[1:]}
    assert {row["automatic_s"] for row in peers.values()} == {None}
    assert peers["AWS CDK (rolling)"]["redeploy_s"] == 450
    text = "\n".join(module.rollback_lines(rows))
    assert "| AWS Copilot (rolling) | none (alarms are not wired) | 210 s after someone notices | 150 s |" in text
