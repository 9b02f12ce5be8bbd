"""Print a bench result file as the Markdown tables docs/performance.md shows.

uv run --frozen python bench/table.py bench/results/<date>.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def tables(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"Run {report['date']} on {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}, "
        f"Python {m['python']} ({', '.join(f'{k} {v}' for k, v in m['versions'].items())}); "
        f"commit {report.get('git', {}).get('commit', '?')}.",
        "",
        f"Command: `{report['command']}`",
        "",
    ]
    s = report["settings"]
    lines += [
        f"wrk: {s['connections']} connections, {s['wrk_threads']} threads, "
        f"{s['rounds']} rounds of {s['duration_s']:g} s per implementation "
        f"(after a {s['warmup_s']:g} s warm-up), implementations alternated within each round.",
        "",
    ]
    for key, scenario in report["scenarios"].items():
        if "skipped" in scenario:
            lines += [f"Scenario {key}: skipped ({scenario['skipped']}).", ""]
            continue
        lines += [
            f"**Scenario {key}: `{scenario['name']}`**",
            "",
            "| implementation | req/s (median) | p50 ms | p99 ms | p99/p50 | errors | worker RSS under load |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for name, row in scenario["implementations"].items():
            lines.append(
                f"| {name} | {row['rps']:.0f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | "
                f"{row['p99_ms'] / row['p50_ms']:.1f} | {row['errors']} of {row['requests']} | "
                f"{row['rss_worker_kb'] / 1024:.0f} MiB |"
            )
        ratios = scenario.get("ratios") or {}
        if ratios:
            lines += ["", "| ratio (median of per-round ratios) | value |", "|---|---:|"]
            lines += [f"| {k} | {v:.2f} |" for k, v in ratios.items()]
        lines.append("")
    lines += [
        "| process | start-to-ready | worker RSS at rest |",
        "|---|---:|---:|",
    ]
    for name, seconds in report["start_to_ready_s"].items():
        lines.append(f"| {name} | {seconds:.2f} s | {report['rss_rest_kb'].get(name, 0) / 1024:.0f} MiB |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(tables(json.loads(Path(sys.argv[1]).read_text())))
