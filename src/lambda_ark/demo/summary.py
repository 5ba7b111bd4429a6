"""Short summaries for the demo's output: what a restore brought back, counted per kind."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

from ..restore.apply import RestoreResult

Ids = Callable[[str, Any], Iterable[Hashable]]  # (function name, kind data) -> identities restored

# kind, singular, plural, identities (so an API shared by two functions counts once)
_TALLY: tuple[tuple[str, str, str, Ids], ...] = (
    ("function", "function", "functions", lambda n, d: [n]),
    ("versions", "version", "versions", lambda n, d: [(n, v["version"]) for v in d]),
    ("aliases", "alias", "aliases", lambda n, d: [(n, a["name"]) for a in d]),
    ("layers", "layer version", "layer versions", lambda n, d: [x["arn"] for x in d]),
    ("policy", "policy statement", "policy statements",
     lambda n, d: [(n, q, s.get("Sid")) for q, ss in d.items() for s in ss]),
    ("mappings", "event source mapping", "event source mappings", lambda n, d: [(n, i) for i in range(len(d))]),
    ("url", "function URL", "function URLs", lambda n, d: [n]),
    ("invoke_config", "destination config", "destination configs", lambda n, d: [n]),
    ("concurrency", "concurrency setting", "concurrency settings", lambda n, d: [n]),
    ("s3_notifications", "S3 notification", "S3 notifications", lambda n, d: [(e["bucket"], e["id"]) for e in d]),
    ("apigateway", "REST API", "REST APIs", lambda n, d: [e["id"] for e in d]),
    ("apigatewayv2", "HTTP API", "HTTP APIs", lambda n, d: [e["id"] for e in d]),
    ("eventbridge", "EventBridge rule", "EventBridge rules", lambda n, d: [(e["bus"], e["name"]) for e in d]),
    ("scheduler", "schedule", "schedules", lambda n, d: [(e["group"], e["name"]) for e in d]),
    ("sns", "SNS subscription", "SNS subscriptions", lambda n, d: [(e["topic_arn"], e["endpoint"]) for e in d]),
    ("alb", "ALB target group", "ALB target groups", lambda n, d: [g["name"] for g in d]),
    ("logs_subscriptions", "log subscription", "log subscriptions",
     lambda n, d: [(e["log_group"], e["filter"]) for e in d]),
    ("cognito", "user pool trigger", "user pool triggers", lambda n, d: [(e["pool_id"], k) for e in d
                                                                          for k in e["triggers"]]),
    ("cloudfront", "CloudFront distribution", "CloudFront distributions",
     lambda n, d: [a["distribution_id"] for a in d.get("associations", [])]),
)


def tally(records: list[dict[str, Any]]) -> dict[str, int]:
    """How many of each thing the records hold, by kind name."""
    out = {}
    for kind, _, _, ids in _TALLY:
        seen = {i for rec in records if (data := rec["items"].get(kind)) for i in ids(rec["name"], data)}
        if seen:
            out[kind] = len(seen)
    return out


def tally_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts[k]} {one if counts[k] == 1 else many}" for k, one, many, _ in _TALLY if k in counts)


def actions(result: RestoreResult) -> str:
    return ", ".join(f"{n} {a}" for a, n in sorted(result.counts().items())) or "nothing to do"


def problems(result: RestoreResult, *, verifying: bool) -> list[str]:
    """Failed changes of an apply; anything but unchanged/skipped in a verifying re-plan."""
    if not verifying:
        return [f"{c.kind} {c.target}: {c.detail}" for c in result.failed]
    return [f"not restored exactly: {c.kind} {c.target} ({c.action} {c.detail})".strip()
            for c in result.changes if c.action not in ("unchanged", "skipped")]
