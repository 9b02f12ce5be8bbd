"""Figures the cluster tier measured: printed by the tests and kept in .tools/cluster/<name>.json
(the numbers docs/reliability.md quotes)."""

from __future__ import annotations

import json

from tests.cluster.topology import ROOT

REPORT_DIR = ROOT / ".tools" / "cluster"


def record(name: str, figures: dict[str, object]) -> None:
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    (REPORT_DIR / f"{name}.json").write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    print(f"\n[cluster] {name}: {json.dumps(figures, sort_keys=True)}")
