"""Draw a bench result file as a PNG: requests/s per implementation and scenario, p50/p99 beside.

uv run --project bench/chart python bench/chart/chart.py bench/results/<date>.json out.png
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

COLOURS = {"fleet": "#2f6fba", "fleet-2w": "#7fa7d9", "fastapi": "#d9822b", "ceiling": "#5a9e4b"}


def main(source: Path, target: Path) -> None:
    report = json.loads(source.read_text())
    scenarios = [(k, s) for k, s in report["scenarios"].items() if "implementations" in s]
    fig, axes = plt.subplots(len(scenarios), 2, figsize=(11, 3.2 * len(scenarios)), squeeze=False)
    for row, (key, scenario) in enumerate(scenarios):
        impls = scenario["implementations"]
        names = list(impls)
        colours = [COLOURS.get(n, "#888888") for n in names]
        ax = axes[row][0]
        bars = ax.barh(names, [impls[n]["rps"] for n in names], color=colours)
        ax.bar_label(bars, fmt="%.0f", padding=3)
        ax.invert_yaxis()
        ax.set_xlabel("requests/s (median of rounds)")
        ax.set_title(f"scenario {key}: {scenario['name']}", loc="left", fontsize=10)
        ax.margins(x=0.15)
        ax = axes[row][1]
        ys = range(len(names))
        ax.barh([y - 0.2 for y in ys], [impls[n]["p50_ms"] for n in names], height=0.4, color=colours, label="p50")
        ax.barh([y + 0.2 for y in ys], [impls[n]["p99_ms"] for n in names], height=0.4, color=colours, alpha=0.45,
                label="p99")  # fmt: skip
        ax.set_yticks(list(ys), names)
        ax.invert_yaxis()
        ax.set_xlabel("latency ms (solid p50, light p99)")
        ratios = scenario.get("ratios") or {}
        text = "\n".join(f"{k.replace('_', ' ')}: {v:.2f}" for k, v in ratios.items() if v is not None)
        if text:
            ax.text(0.98, 0.02, text, transform=ax.transAxes, ha="right", va="bottom", fontsize=8,
                    bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "#cccccc"})  # fmt: skip
    machine = report["machine"]
    fig.suptitle(
        f"fleet bench {report['date']} - {machine['cpu']} x{machine['cores']} - "
        f"{report['settings']['connections']} connections, wrk {report['settings']['wrk_threads']} threads",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(target, dpi=90)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
