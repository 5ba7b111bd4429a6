"""Nothing invisible: every invoker a function's resource policy lets in is matched to a kind that
captured it.

A trigger kind says whom it invokes through (`INVOKERS`, service principals) and, for what it
captured, the source ARNs those invocations come from (`sources(record, data)`). An allow statement
of the function's policy (any qualifier) is covered when a kind with that principal captured a
trigger whose source its `SourceArn` matches (either may be a pattern), or, without a `SourceArn`,
when such a kind captured anything for the function. Function URL statements are covered by the
`url` kind's capture of that qualifier. Everything else (a service no kind records, another
account, anyone) is "not captured": a backup warning and a line `show` prints, e.g.
`invoked by iot.amazonaws.com (arn:aws:iot:eu-west-1:111122223333:rule/telemetry), not captured`.

Pure: reads only the record's captured items.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from types import ModuleType
from typing import Any

_INVOKE = ("lambda:InvokeFunction", "lambda:InvokeFunctionUrl", "lambda:*", "*")
_REGIONAL = re.compile(r"^([a-z0-9-]+(?:\.[a-z0-9-]+)*?)\.[a-z]{2}(?:-[a-z]+)+-\d\.amazonaws\.com$")
_ACCOUNT = re.compile(r"^(?:arn:aws[a-z-]*:(?:iam|sts)::)?(\d{12})(?::.*)?$")


@dataclass(frozen=True)
class Invoker:
    """One principal a statement lets invoke the function (or one of its aliases or versions)."""

    qualifier: str  # "" for the function itself
    principal: str  # a service principal (regional forms normalised), "account <id>", or "*"
    source: str  # the SourceArn condition (may hold * and ?), "" if none
    source_account: str  # the SourceAccount condition, "" if none
    url: bool  # a function URL statement

    def describe(self) -> str:
        who = "anyone" if self.principal == "*" else self.principal
        what = self.source or (f"account {self.source_account}" if self.source_account else "any source")
        on = f" on {self.qualifier}" if self.qualifier else ""
        if self.url:
            return f"invoked through the function URL{on} by {who}"
        return f"invoked by {who} ({what}){on}"


def normal_principal(principal: str) -> str:
    """logs.eu-west-1.amazonaws.com -> logs.amazonaws.com; an account ARN -> "account <id>"."""
    if m := _REGIONAL.match(principal):
        return f"{m.group(1)}.amazonaws.com"
    if m := _ACCOUNT.match(principal):
        return f"account {m.group(1)}"
    return principal


def _listed(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else list(value or [])


def invokers(policy: dict[str, list[dict[str, Any]]]) -> list[Invoker]:
    """Every (qualifier, principal, source) the policy kind's capture lets invoke."""
    out = []
    for qualifier, statements in sorted((policy or {}).items()):
        for s in statements:
            actions = _listed(s.get("Action"))
            if s.get("Effect", "Allow") != "Allow" or not any(a in _INVOKE for a in actions):
                continue
            cond = s.get("Condition") or {}
            source = next((v for op in ("ArnLike", "ArnEquals", "StringLike", "StringEquals")
                           for k, v in (cond.get(op) or {}).items() if k.lower() == "aws:sourcearn"), "")
            account = next((v for op in ("StringEquals", "StringLike")
                            for k, v in (cond.get(op) or {}).items() if k.lower() == "aws:sourceaccount"), "")
            url = ("lambda:InvokeFunctionUrl" in actions or "FunctionUrlAuthType" in s
                   or any("lambda:functionurlauthtype" == k.lower() for c in cond.values() if isinstance(c, dict)
                          for k in c))
            who = s.get("Principal", "*")
            principals = ([*_listed(who.get("Service")), *_listed(who.get("AWS"))] if isinstance(who, dict)
                          else _listed(who))
            for p in principals:
                out.append(Invoker(qualifier, normal_principal(str(p)), _one(source), _one(account), url))
    return out


def _one(value: Any) -> str:
    values = _listed(value)
    return str(values[0]) if len(values) == 1 else ",".join(map(str, values))


def _sources(kinds: list[ModuleType], record: dict[str, Any]) -> list[str]:
    items = record.get("items") or {}
    return [s for k in kinds if items.get(k.NAME) and hasattr(k, "sources") for s in k.sources(record,
                                                                                               items[k.NAME])]


def _matches(pattern: str, sources: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(s, p) or fnmatch.fnmatchcase(p, s) for s in sources for p in pattern.split(","))


def not_captured(record: dict[str, Any], kinds: tuple[ModuleType, ...]) -> list[str]:
    """One line per invoker of `record`'s function that no kind among `kinds` captured."""
    items = record.get("items") or {}
    lines = []
    for inv in invokers(items.get("policy") or {}):
        if inv.url:
            if inv.qualifier in (items.get("url") or {}):
                continue
        else:
            covering = [k for k in kinds if inv.principal == "*" or inv.principal in getattr(k, "INVOKERS", ())]
            found = _sources(covering, record)
            if found and (not inv.source or _matches(inv.source, found)):
                continue
        line = f"{inv.describe()}, not captured"
        if line not in lines:
            lines.append(line)
    return lines
