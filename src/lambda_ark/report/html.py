"""One self-contained HTML page: plotly.js inlined once, every chart and table in the file itself.

Nothing is fetched when the page is opened (no CDN, no fonts, no MathJax), so it reads offline and
can be attached to an audit as it is.
"""

from __future__ import annotations

import html
import json
from typing import Any

import plotly.io as pio
from plotly.offline import get_plotlyjs

from .charts import CHARTS
from .collect import ReportData

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f5f7fa;color:#1b2631}
header{background:#102a43;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.8}
main{padding:16px 32px;display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);
gap:16px}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:12px 16px}
section.wide{grid-column:1/3}h2{font-size:16px;margin:4px 0 8px}
table{border-collapse:collapse;width:100%;font-size:12px}td,th{border-bottom:1px solid #e4e7eb;padding:4px 6px;
text-align:left;overflow-wrap:anywhere}.ok{color:#2e7d32;font-weight:600}.bad{color:#c62828;font-weight:600}.chart{min-height:300px}
.tiles{display:flex;gap:12px;flex-wrap:wrap}.tile{background:#f0f4f8;border-radius:6px;padding:8px 12px}
.tile b{display:block;font-size:20px}
"""


def _table(rows: list[dict[str, Any]], columns: list[str], empty: str) -> str:
    if not rows:
        return f"<p>{html.escape(empty)}</p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(r.get(c)))}</td>" for c in columns) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any) -> str:
    if isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return value[:8]  # a snapshot or record id: its prefix names it everywhere else too
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _chart(data: ReportData, name: str) -> str:
    fig = CHARTS[name](data)
    return str(pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=f"chart-{name}",
                           config={"displaylogo": False, "responsive": True}))


def _tiles(data: ReportData) -> str:
    audit_ok = data.audit.get("ok")
    behind = sum(1 for r in data.rpo_functions if not r["ok"])
    tiles = [("snapshots", str(data.snapshots)), ("functions protected", str(len(data.rpo_functions))),
             ("beyond RPO target", str(behind)), ("drills", str(len(data.drills))),
             ("failures", str(len(data.failures))), ("anomalies", str(len(data.anomalies))),
             ("audit log", "verified" if audit_ok else f"{len(data.audit.get('problems', []))} problems")]
    return "<div class='tiles'>" + "".join(f"<div class='tile'><b>{html.escape(v)}</b>{html.escape(k)}</div>"
                                           for k, v in tiles) + "</div>"


def render(data: ReportData) -> str:
    """The page. The data also goes in, as JSON, for whoever wants the numbers behind a chart."""
    audit = data.audit
    audit_line = (f"<p class='ok'>audit log verified: {audit.get('events')} events in {audit.get('chains')} chains"
                  "</p>" if audit.get("ok") else
                  f"<p class='bad'>audit log: {len(audit.get('problems', []))} problems</p>")
    never = [{"account": r["account"], "region": r["region"], "functions": r["never_backed_up"]}
             for r in data.coverage if r["never_backed_up"]]
    sections = [
        ("wide", "Summary", _tiles(data)),
        ("", "Coverage", _chart(data, "coverage") + _table(never, ["account", "region", "functions"],
                                                           "No discovered function was never backed up"
                                                           if any(r["discovered"] is not None for r in data.coverage)
                                                           else "The live estate was not listed (report --discover)")),
        ("", "RPO per job", _chart(data, "rpo-jobs")),
        ("wide", "RPO per function", _chart(data, "rpo-heatmap")),
        ("", "Repository growth and deduplication", _chart(data, "growth") + _table(
            [data.storage], ["pack_bytes", "window_stored_bytes", "window_logical_bytes", "dedup_ratio"], "")),
        ("", "Drills", _chart(data, "drills")),
        ("", "Triggers", _chart(data, "triggers")),
        ("", "Lost triggers", _table(data.lost_triggers, ["time", "function", "kind", "before", "after"],
                                     "No function lost a trigger between snapshots")),
        ("", "Anomalies (mass deletions)", _table(data.anomalies, ["time", "snapshot", "scope"], "None")),
        ("", "Failures", _table(data.failures, ["time", "what", "id", "detail"], "None")),
        ("wide", "Audit log", audit_line + _table([{"problem": p} for p in audit.get("problems", [])], ["problem"],
                                                  "No missing, reordered or altered event")
         + _table([{"command": c, "events": n} for c, n in sorted(audit.get("commands", {}).items())],
                  ["command", "events"], "No events")),
    ]
    body = "".join(f"<section class='{cls}'><h2>{html.escape(title)}</h2>{content}</section>"
                   for cls, title, content in sections)
    payload = json.dumps(data.model_dump(mode="json"), sort_keys=True).replace("</", "<\\/")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>lambda-ark report — {html.escape(data.repository)}</title><style>{_STYLE}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>"
        f"<header><h1>lambda-ark report</h1><p>{html.escape(data.repository)} · generated "
        f"{data.generated:%Y-%m-%d %H:%M} UTC · {data.snapshots} snapshots</p></header>"
        f"<main>{body}</main><script type='application/json' id='report-data'>{payload}</script></body></html>"
    )
