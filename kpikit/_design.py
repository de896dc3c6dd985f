"""KPI design checks: warnings about KPIs that are computable but hard to act on.

The rules follow the guidance on creating KPIs (docs/kpi-spec.md, "Design checks"): every KPI
serves an objective, says what it measures, is measurable (a target with a time frame) and
tracked (a cadence and an owner); every objective is watched by leading and lagging KPIs, by
no more than seven, and not only by reach metrics when it is about acquisition or conversion.
"""

from __future__ import annotations

from kpikit import catalog
from kpikit.errors import Problem
from kpikit.spec import Kpi, Spec

__all__ = ["MAX_KPIS_PER_OBJECTIVE", "design_problems"]

#: More KPIs than this on one objective dilute attention; the lint warns.
MAX_KPIS_PER_OBJECTIVE = 7
#: Objective focuses for which reach metrics alone watch the wrong things.
_RESULT_FOCUSES = ("acquisition", "conversion")


def _is_reach(kpi: Kpi) -> bool:
    """True when the KPI uses a catalog entry of the funnel stage ``reach`` (impressions ...)."""
    if kpi.catalog is None:
        return False
    return catalog.entry(kpi.catalog).stage == "reach"


def _kpi_problems(kpi: Kpi, file: str) -> list[Problem]:
    found: list[tuple[str, str, str]] = []
    if kpi.objective is None:
        found.append(
            (
                "objective",
                "serves no objective",
                "tie every KPI to a business goal under 'objectives'",
            )
        )
    if kpi.description is None:
        found.append(
            ("description", "has no description",
             "say in one sentence what it measures, for readers who are not analysts"),
        )  # fmt: skip
    if kpi.target is None:
        found.append(
            ("target", "has no target, so nobody can tell success from failure",
             "add the value to reach and by when: target: {value: 1200000, by: 2026-12-31}"),
        )  # fmt: skip
    elif kpi.target.kind == "level" and kpi.target.by is None:  # the other forms are per period
        found.append(
            ("target", "the target has no time frame",
             "say by when to reach it: target: {value: ..., by: 2026-12-31}"),
        )  # fmt: skip
    if kpi.cadence is None:
        found.append(
            ("cadence", "has no cadence, so nobody knows how often to check it",
             "add cadence: monthly (or daily, weekly, quarterly, yearly)"),
        )  # fmt: skip
    if kpi.owner is None:
        found.append(
            ("owner", "has no owner, so nobody is answerable for it",
             "add owner: the person or role who checks it and acts on it"),
        )  # fmt: skip
    return [Problem(file, kpi.line, kpi.id, f, m, "warning", h) for f, m, h in found]


def _objective_problems(spec: Spec, oid: str, file: str) -> list[Problem]:
    obj = spec.objectives[oid]
    kpis = spec.kpis_for(oid)
    if not kpis:
        return [Problem(file, obj.line, None, f"objectives.{oid}", "no KPI serves this objective",
                        "warning")]  # fmt: skip
    found: list[tuple[str, str, str]] = []
    for kind, hint in (
        ("leading", "add a KPI that moves before the result, and give it types: [leading]"),
        ("lagging", "add a KPI that shows the result itself, and give it types: [lagging]"),
    ):
        if not any(kind in k.types for k in kpis):
            found.append(("types", f"no {kind} KPI serves this objective", hint))
    if obj.focus in _RESULT_FOCUSES and all(_is_reach(k) for k in kpis):
        found.append(
            ("focus", f"the focus is {obj.focus} but every KPI here measures reach "
             f"({', '.join(k.id for k in kpis)}); it may be watching the wrong things",
             "add a KPI of results, such as orders, conversions, conversion_rate or cpa"),
        )  # fmt: skip
    if len(kpis) > MAX_KPIS_PER_OBJECTIVE:
        found.append(
            ("kpis", f"{len(kpis)} KPIs serve this objective, more than "
             f"{MAX_KPIS_PER_OBJECTIVE}; too many to keep in view",
             "keep the few that matter most, or split the objective in two"),
        )  # fmt: skip
    return [Problem(file, obj.line, oid, f, m, "warning", h) for f, m, h in found]


def design_problems(spec: Spec, file: str) -> list[Problem]:
    """Every design warning about ``spec``: KPIs first, in file order, then objectives."""
    problems: list[Problem] = []
    for kpi in spec.kpis.values():
        problems.extend(_kpi_problems(kpi, file))
    for oid in spec.objectives:
        problems.extend(_objective_problems(spec, oid, file))
    return problems
