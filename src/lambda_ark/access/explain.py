"""`access show`: a bucket policy and CORS rules in words, lambda-ark's statements and anyone else's."""

from __future__ import annotations

from typing import Any

from .rules import CORS_ID, PRINCIPALS, TLS, ZONES, ours

_KEYS = {"aws:SecureTransport": "TLS", "aws:SourceVpce": "VPC endpoint", "aws:SourceIp": "source address",
         "aws:PrincipalArn": "principal", "aws:PrincipalAccount": "account", "aws:PrincipalOrgID": "organization"}
_OPS = {"StringEquals": "is", "StringNotEquals": "is not", "StringLike": "matches", "StringNotLike": "does not match",
        "ArnEquals": "is", "ArnNotEquals": "is not", "ArnLike": "is", "ArnNotLike": "is not", "IpAddress": "is in",
        "NotIpAddress": "is not in", "Bool": "is", "Null": "is missing:"}


def _list(values: Any) -> str:
    items = [str(v) for v in (values if isinstance(values, list) else [values])]
    if len(items) <= 1:
        return items[0] if items else "nobody"
    return ", ".join(items[:-1]) + " or " + items[-1]


def _condition(cond: dict[str, Any]) -> str:
    parts = []
    for op, keys in cond.items():
        for key, values in keys.items():
            if key == "aws:SecureTransport" and op == "Bool":
                parts.append("the request is " + ("not over TLS" if str(values).lower() == "false" else "over TLS"))
                continue
            verb = _OPS.get(op.removesuffix("IfExists"), op)
            parts.append(f"the {_KEYS.get(key, key)} {verb} {_list(values)}")
    return " and ".join(parts)


def _ours(st: dict[str, Any]) -> str:
    cond = st.get("Condition", {})
    exempt = _list(cond.get("ArnNotLike", {}).get("aws:PrincipalArn", []))
    if st.get("Sid") == TLS:
        return "Every request without TLS is denied, whoever makes it."
    if st.get("Sid") == ZONES:
        where = []
        if vpces := cond.get("StringNotEquals", {}).get("aws:SourceVpce"):
            where.append(f"through VPC endpoint {_list(vpces)}")
        if cidrs := cond.get("NotIpAddress", {}).get("aws:SourceIp"):
            where.append(f"from {_list(cidrs)}")
        return f"Requests are denied unless they come {' or '.join(where)}; the break-glass role {exempt} is exempt."
    if st.get("Sid") == PRINCIPALS:
        return f"Only {exempt} may use the repository (every other principal is denied)."
    return f"lambda-ark statement {st.get('Sid')}: {_generic(st)}"


def _generic(st: dict[str, Any]) -> str:
    who = st.get("Principal", st.get("NotPrincipal", "anyone"))
    who = "anyone" if who in ("*", {"AWS": "*"}) else _list(who.get("AWS", who) if isinstance(who, dict) else who)
    if "NotPrincipal" in st:
        who = f"anyone but {who}"
    action = _list(st.get("Action", st.get("NotAction", "*")))
    resource = _list(st.get("Resource", st.get("NotResource", "*")))
    verb = "allowed" if st.get("Effect") == "Allow" else "denied"
    when = f" when {_condition(st['Condition'])}" if st.get("Condition") else ""
    return f"{who} is {verb} {action} on {resource}{when}."


def explain(policy: dict[str, Any] | None, cors: list[dict[str, Any]]) -> list[str]:
    """One sentence per statement and CORS rule; lambda-ark's first, then the rest as they stand."""
    statements = (policy or {}).get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    lines = [_ours(st) for st in statements if ours(st)]
    if not any(ours(st) for st in statements):
        lines.append("lambda-ark has set no access rules on this bucket (`lambda-ark access apply` does).")
    elif not any(st.get("Sid") in (ZONES, PRINCIPALS) for st in statements):
        lines.append("Any principal the account's IAM policies allow may use the repository, from anywhere.")
    for st in statements:
        if not ours(st):
            lines.append(f"Also ({st.get('Sid') or 'no Sid'}, not lambda-ark's): {_generic(st)}")
    for rule in cors:
        origins, methods = _list(rule.get("AllowedOrigins", [])), _list(rule.get("AllowedMethods", []))
        whose = "for the report page" if rule.get("ID") == CORS_ID else f"(rule {rule.get('ID') or 'without ID'})"
        lines.append(f"Browsers on {origins} may {methods} objects {whose}.")
    if not cors:
        lines.append("No CORS rules: browsers on other sites cannot read the repository.")
    return lines
