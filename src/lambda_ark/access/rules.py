"""Zone-scoped access to a repository bucket, as pure data: the statements lambda-ark owns in the
bucket policy, how they merge with everything else there, and the CORS rule for the report page.

lambda-ark's statements are the ones whose Sid starts with `LambdaArk`; applying replaces exactly
those and keeps every other statement where it was, so applying twice changes nothing.

    LambdaArkDenyInsecureTransport   deny any request without TLS (everyone, the break-glass role too)
    LambdaArkDenyOutsideZones        deny unless through a listed VPC endpoint or from a listed CIDR
    LambdaArkDenyUnlistedPrincipals  deny any principal not listed
The break-glass role is exempt from the last two, always. Deny statements rather than a narrow
Allow: a Deny wins over any identity policy that grants more, which is what a perimeter needs.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError

PREFIX = "LambdaArk"
TLS = "LambdaArkDenyInsecureTransport"
ZONES = "LambdaArkDenyOutsideZones"
PRINCIPALS = "LambdaArkDenyUnlistedPrincipals"
CORS_ID = "lambda-ark-report"
_VPCE = re.compile(r"^vpce-[0-9a-f]{8,17}$")
_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:(iam|sts)::\d{12}:[\w+=,.@/*-]+$")


@dataclass(frozen=True)
class Zones:
    """Who may reach the repository, and from where."""

    vpces: tuple[str, ...] = ()
    cidrs: tuple[str, ...] = ()
    principals: tuple[str, ...] = ()
    break_glass: str = ""
    cors_origins: tuple[str, ...] = ()

    def validate(self) -> Zones:
        for v in self.vpces:
            if not _VPCE.match(v):
                raise UsageError(f"--allow-vpce {v!r}: not a VPC endpoint id (vpce-0123456789abcdef0)")
        for c in self.cidrs:
            try:
                ipaddress.ip_network(c, strict=False)
            except ValueError:
                raise UsageError(f"--allow-cidr {c!r}: not an IP range (203.0.113.0/24, 2001:db8::/32)") from None
        for p in (*self.principals, self.break_glass):
            if not _ARN.match(p):
                raise UsageError(f"principal {p!r}: give an IAM ARN (arn:aws:iam::111122223333:role/backup)")
        for o in self.cors_origins:
            if not re.match(r"^https://[^/\s]+$", o):
                raise UsageError(f"--cors-origin {o!r}: give an https origin without a path (https://ops.example.com)")
        return self


def statements(bucket: str, prefix: str, zones: Zones) -> list[dict[str, Any]]:
    """lambda-ark's statements for a repository at s3://bucket/prefix."""
    bucket_arn = f"arn:aws:s3:::{bucket}"
    objects = f"{bucket_arn}/{prefix}*"
    out: list[dict[str, Any]] = [{
        "Sid": TLS, "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }]
    exempt = {"ArnNotLike": {"aws:PrincipalArn": [zones.break_glass]}}
    if zones.vpces or zones.cidrs:
        cond: dict[str, Any] = {}
        if zones.vpces:
            cond["StringNotEquals"] = {"aws:SourceVpce": sorted(zones.vpces)}
        if zones.cidrs:
            cond["NotIpAddress"] = {"aws:SourceIp": sorted(zones.cidrs)}
        out.append({"Sid": ZONES, "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": [bucket_arn, objects], "Condition": cond | exempt})
    if zones.principals:
        allowed = sorted({*zones.principals, zones.break_glass})
        out.append({"Sid": PRINCIPALS, "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": [bucket_arn, objects], "Condition": {"ArnNotLike": {"aws:PrincipalArn": allowed}}})
    return out


def ours(statement: dict[str, Any]) -> bool:
    return str(statement.get("Sid", "")).startswith(PREFIX)


def merge(current: dict[str, Any] | None, new: list[dict[str, Any]]) -> dict[str, Any]:
    """`current` with lambda-ark's statements replaced by `new`: others keep their place, ours come
    where the first of ours was (else at the end)."""
    doc = dict(current or {"Version": "2012-10-17", "Statement": []})
    doc.setdefault("Version", "2012-10-17")
    existing = doc.get("Statement", [])
    existing = existing if isinstance(existing, list) else [existing]
    at = next((i for i, st in enumerate(existing) if ours(st)), None)
    others = [st for st in existing if not ours(st)]
    at = len(others) if at is None else sum(1 for st in existing[:at] if not ours(st))
    doc["Statement"] = others[:at] + new + others[at:]
    return doc


def cors_rules(current: list[dict[str, Any]], origins: tuple[str, ...]) -> list[dict[str, Any]]:
    """`current` CORS rules with lambda-ark's (reading the report page from those origins only)."""
    rules = [r for r in current if r.get("ID") != CORS_ID]
    if origins:
        rules.append({"ID": CORS_ID, "AllowedOrigins": sorted(origins), "AllowedMethods": ["GET", "HEAD"],
                      "AllowedHeaders": ["Authorization", "Range", "x-amz-content-sha256", "x-amz-date",
                                         "x-amz-security-token"],
                      "ExposeHeaders": ["Content-Length", "Content-Range", "ETag"], "MaxAgeSeconds": 3600})
    return rules


def canonical(doc: Any) -> str:
    return json.dumps(doc, indent=2, sort_keys=True)


@dataclass
class Plan:
    """What `access apply` changes: the policy and CORS rules before and after."""

    bucket: str
    policy_before: dict[str, Any] | None
    policy_after: dict[str, Any]
    cors_before: list[dict[str, Any]] = field(default_factory=list)
    cors_after: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def policy_changed(self) -> bool:
        return canonical(self.policy_before) != canonical(self.policy_after)

    @property
    def cors_changed(self) -> bool:
        return canonical(self.cors_before) != canonical(self.cors_after)

    @property
    def changed(self) -> bool:
        return self.policy_changed or self.cors_changed

    def diff(self) -> list[str]:
        import difflib

        lines: list[str] = []
        for what, before, after in (("bucket policy", self.policy_before, self.policy_after),
                                    ("CORS", self.cors_before or None, self.cors_after or None)):
            a = canonical(before).splitlines() if before else []
            b = canonical(after).splitlines() if after else []
            lines += list(difflib.unified_diff(a, b, f"{self.bucket} {what} (now)", f"{self.bucket} {what} (planned)",
                                               lineterm=""))
        return lines
