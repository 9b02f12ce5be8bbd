"""Metric names in PromQL expressions and in a Prometheus text exposition.

A deliberately small reader, not a PromQL parser: it drops string literals, label matchers,
range and subquery brackets and grouping clauses (``by (...)``, ``on (...)``...), then takes every
remaining identifier that is not a keyword and not called like a function. That is exact for the
expressions dashboards and alert rules are made of; Prometheus itself is asked whether each
expression parses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["BUILTIN_SERIES", "exported_names", "grafana_queries", "metric_names"]

_STRINGS = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^}]*\}")
_BRACKETS = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*")
_KEYWORDS = frozenset({"and", "or", "unless", "offset", "bool", "inf", "nan", "atan2", "start", "end"})
#: Series Prometheus makes itself: per-target scrape series and the alerting state.
BUILTIN_SERIES = frozenset(
    {
        "up",
        "ALERTS",
        "ALERTS_FOR_STATE",
        "scrape_duration_seconds",
        "scrape_samples_scraped",
        "scrape_samples_post_metric_relabeling",
        "scrape_series_added",
    }
)
_LABEL_VALUES = re.compile(r"label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[,)]")


def metric_names(expr: str) -> set[str]:
    """The metric (series) names an expression selects."""
    text = _STRINGS.sub('""', expr)
    text = _MATCHERS.sub(" ", text)
    text = _BRACKETS.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    names = set()
    for match in _IDENT.finditer(text):
        rest = text[match.end() :].lstrip()
        if match.group() in _KEYWORDS or rest.startswith("("):
            continue
        names.add(match.group())
    return names


def grafana_queries(node: Any) -> Iterator[str]:
    """Every PromQL expression in a Grafana dashboard: panel targets (nested rows included) and
    the metric a ``label_values(metric, label)`` template variable reads."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "expr" and isinstance(value, str):
                yield value
            elif key == "query" and isinstance(value, str | dict):
                text = value if isinstance(value, str) else str(value.get("query", ""))
                found = _LABEL_VALUES.search(text)
                if found:
                    yield found.group(1)
            else:
                yield from grafana_queries(value)
    elif isinstance(node, list):
        for item in node:
            yield from grafana_queries(item)


def exported_names(expositions: Iterable[str]) -> set[str]:
    """Every series name the expositions hold or announce (``# TYPE``), suffixes included.

    A labelled family that has not been used yet has a ``# TYPE`` line and no samples; its
    series are still exported names (they appear on first use).
    """
    names: set[str] = set()
    for text in expositions:
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(maxsplit=3)
                names.add(name)
                if kind == "counter":
                    names |= {name if name.endswith("_total") else f"{name}_total"}
                    names.add(f"{name.removesuffix('_total')}_created")
                elif kind in {"histogram", "summary"}:
                    names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count", f"{name}_created"}
            elif line and not line.startswith("#"):
                names.add(re.split(r"[{\s]", line, maxsplit=1)[0])
    return names
