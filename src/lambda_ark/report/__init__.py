"""`lambda-ark report`: coverage, RPO, growth, drills, triggers, failures and the audit log's state,
as one self-contained HTML page or JSON (docs/audit.md).

    build_report(repo, targets=Targets(...), discovered=...) -> ReportData
    render(data) -> str                the HTML page (plotly.js inlined: no network)
    discover(aws, regions) -> ...      the live functions per account/region, for coverage
"""

from __future__ import annotations

from .collect import ReportData, build_report
from .compute import Targets
from .discover import discover
from .html import render

__all__ = ["ReportData", "Targets", "build_report", "discover", "render"]
