"""The report's charts: plotly figures built from `ReportData` (drawn offline by the bundled plotly.js)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from .collect import ReportData

_LAYOUT: dict[str, Any] = {"margin": {"l": 60, "r": 20, "t": 40, "b": 60}, "height": 360,
                           "template": "plotly_white", "font": {"size": 12}}
HOUR = 3600.0


def _fig(title: str, **layout: Any) -> go.Figure:
    return go.Figure(layout={**_LAYOUT, "title": {"text": title}, **layout})


def coverage(data: ReportData) -> go.Figure:
    fig = _fig("Functions protected per account/region", barmode="stack")
    where = [f"{r['account']}/{r['region']}" for r in data.coverage]
    fig.add_bar(name="protected", x=where, y=[r["protected"] for r in data.coverage], marker_color="#2e7d32")
    if any(r["discovered"] is not None for r in data.coverage):
        fig.add_bar(name="not protected", x=where, y=[len(r["unprotected"]) for r in data.coverage],
                    marker_color="#c62828")
    return fig


def rpo_heatmap(data: ReportData) -> go.Figure:
    heat = data.rpo_heatmap
    fig = _fig("RPO: newest good snapshot age ÷ target, per function and day (≤ 1 is within target)",
               height=max(300, 60 + 22 * len(heat.get("functions", []))))
    fig.add_heatmap(z=heat.get("ratio", []), x=heat.get("days", []), y=heat.get("functions", []), zmin=0, zmax=2,
                    colorscale=[[0, "#2e7d32"], [0.5, "#fdd835"], [1, "#c62828"]], hoverongaps=False,
                    colorbar={"title": {"text": "age ÷ target"}})
    fig.update_yaxes(automargin=True)
    return fig


def rpo_jobs(data: ReportData) -> go.Figure:
    fig = _fig("RPO per job: newest good snapshot age vs target (hours)", barmode="group")
    jobs = [r["job"] for r in data.rpo_jobs]
    fig.add_bar(name="age", x=jobs, y=[(r["age_seconds"] or 0) / HOUR for r in data.rpo_jobs],
                marker_color=["#2e7d32" if r["ok"] else "#c62828" for r in data.rpo_jobs])
    fig.add_bar(name="target", x=jobs, y=[r["target_seconds"] / HOUR for r in data.rpo_jobs], marker_color="#90a4ae")
    return fig


def growth(data: ReportData) -> go.Figure:
    fig = _fig("Repository growth: stored vs logical bytes (MiB)")
    t = [g["time"] for g in data.growth]
    fig.add_scatter(name="stored (after deduplication)", x=t, y=[g["stored_total"] / 2**20 for g in data.growth],
                    mode="lines+markers")
    fig.add_scatter(name="logical (without it)", x=t, y=[g["logical_total"] / 2**20 for g in data.growth],
                    mode="lines+markers")
    return fig


def drills(data: ReportData) -> go.Figure:
    fig = _fig("Drills: RTO over time per job (seconds; ✕ failed, drawn at 0)")
    for job in sorted({d["job"] for d in data.drills}):
        runs = [d for d in data.drills if d["job"] == job]
        passed = [d for d in runs if d["status"] == "passed"]
        failed = [d for d in runs if d["status"] != "passed"]
        fig.add_scatter(name=f"{job}: passed", x=[d["time"] for d in passed], y=[d["rto_seconds"] for d in passed],
                        mode="lines+markers", marker={"size": 9})
        if failed:
            fig.add_scatter(name=f"{job}: {len(failed)} not passed", x=[d["time"] for d in failed], y=[0] * len(failed),
                            mode="markers", text=[d["status"] for d in failed],
                            marker={"symbol": "x", "size": 12, "color": "#c62828"})
    return fig


def triggers(data: ReportData) -> go.Figure:
    fig = _fig("Triggers per kind (latest snapshot of each scope)")
    fig.add_bar(x=list(data.triggers), y=list(data.triggers.values()), marker_color="#1565c0")
    return fig


CHARTS = {"coverage": coverage, "rpo-heatmap": rpo_heatmap, "rpo-jobs": rpo_jobs, "growth": growth,
          "drills": drills, "triggers": triggers}
