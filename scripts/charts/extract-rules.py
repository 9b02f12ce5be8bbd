"""Write each rendered PrometheusRule's groups as a plain Prometheus rule file for promtool.

    python scripts/charts/extract-rules.py RENDERED.yaml OUT_DIR

Writes OUT_DIR/<PrometheusRule name>.rules.yaml; fails when the manifest holds no PrometheusRule.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


def main(rendered: Path, out_dir: Path) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for doc in yaml.safe_load_all(rendered.read_text(encoding="utf-8")):
        if not doc or doc.get("kind") != "PrometheusRule":
            continue
        target = out_dir / f"{doc['metadata']['name']}.rules.yaml"
        target.write_text(yaml.safe_dump({"groups": doc["spec"]["groups"]}, sort_keys=False, width=1000))
        written.append(target)
    if not written:
        print(f"{rendered}: no PrometheusRule found", file=sys.stderr)
        return 1
    for target in written:
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
