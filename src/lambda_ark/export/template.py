"""One template per (account, region) of a snapshot, assembled from the kinds' fragments.

Steps: every kind's `to_iac` for every function of the region; fragments merged (an API, rule or
bucket several functions share is declared identically by each: their lists, such as a rule's
targets or a deployment's dependencies, are joined); patches merged into the resources they name;
then every ARN in the template rewritten (`resolve`):

- an ARN the template defines (a fragment listed it in `arns`) becomes a Ref or GetAtt of that
  resource (inside a longer string, a Fn::Sub naming it);
- in any other ARN, the source's partition, region and account become `${AWS::Partition}`,
  `${AWS::Region}` and `${AWS::AccountId}`: the queue, topic or role the template names is then the
  one of the region and account it is deployed into, as restore's mapper does.
The result is still CloudFormation with asset placeholders; the formats render it.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ..kinds import KINDS, iac
from ..model import BackupBody, FunctionRecord
from ..repository import Snapshot


@dataclass
class Template:
    account: str
    region: str
    functions: list[str] = field(default_factory=list)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # CloudFormation snippets of kinds whose to_iac predates fragments (some partial): kept for
    # people in the template's metadata, never deployed as they are
    snippets: list[dict[str, Any]] = field(default_factory=list)

    def packages(self) -> set[str]:
        """Snapshot file keys of the packages (zips) the template deploys from."""
        found: set[str] = set()
        _walk_assets(self.resources, found, iac.ASSET)
        return found


def build(snapshot: Snapshot, functions: list[str] | None = None) -> list[Template]:
    """The snapshot's templates, one per (account, region), in that order."""
    from ..selection import name_matches

    body = BackupBody.model_validate(snapshot.body)
    groups: dict[tuple[str, str], list[FunctionRecord]] = defaultdict(list)
    for rec in body.functions:
        if name_matches(rec.name, functions or []):
            groups[(rec.account, rec.region)].append(rec)
    return [_template(account, region, records) for (account, region), records in sorted(groups.items())]


def _template(account: str, region: str, records: list[FunctionRecord]) -> Template:
    frag = iac.Fragment()
    template = Template(account, region, functions=sorted(r.name for r in records))
    for kind in KINDS:
        for rec in sorted(records, key=lambda r: r.name):
            data = rec.items.get(kind.NAME)
            to_iac = getattr(kind, "to_iac", None)
            if data is None or to_iac is None:  # referenced_by: other resources, not this function's
                continue
            part = to_iac(rec.model_dump(mode="json"), data)
            if isinstance(part, list):
                template.snippets.append({"Kind": kind.NAME, "Function": rec.name, "Resources": part})
                note = (f"{kind.NAME}: exported as CloudFormation snippets in the template's metadata "
                        "(LambdaArk.Snippets), to complete and deploy by hand")
                template.notes.extend([note] if note not in template.notes else [])
                continue
            for logical_id, resource in part.resources.items():
                if logical_id in frag.resources:
                    merged, conflict = merge(frag.resources[logical_id], resource)
                    frag.resources[logical_id] = merged
                    if conflict:
                        template.notes.append(f"{logical_id}: {rec.name}'s {kind.NAME} declares it differently "
                                              f"({conflict}); the first declaration is kept")
                else:
                    frag.resources[logical_id] = resource
            frag.parameters.update(part.parameters)
            frag.arns.update(part.arns)
            for logical_id, props in part.patches.items():
                frag.patches.setdefault(logical_id, {}).update(props)
            frag.outputs.update(part.outputs)
            template.notes.extend(n for n in part.notes if n not in template.notes)
    for logical_id, props in frag.patches.items():
        if logical_id in frag.resources:
            frag.resources[logical_id]["Properties"].update(props)
        else:
            template.notes.append(f"{logical_id}: not in the template, so {', '.join(sorted(props))} is not exported")
    resolver = Resolver(frag.arns, account, region)
    template.resources = resolver.walk(frag.resources)
    template.outputs = resolver.walk(frag.outputs)
    template.snippets = resolver.walk(template.snippets)
    template.parameters = frag.parameters
    return template


def merge(a: Any, b: Any) -> tuple[Any, str]:
    """`a` and `b` combined: dicts key by key, lists joined (without repeats); a conflicting scalar
    keeps `a` and is named."""
    if a == b:
        return a, ""
    if isinstance(a, dict) and isinstance(b, dict):
        out, conflicts = dict(a), []
        for key, value in b.items():
            if key in out:
                out[key], conflict = merge(out[key], value)
                if conflict:
                    conflicts.append(f"{key}: {conflict}" if ":" in conflict else key)
            else:
                out[key] = value
        return out, ", ".join(conflicts)
    if isinstance(a, list) and isinstance(b, list):
        seen = {json.dumps(x, sort_keys=True, default=str) for x in a}
        joined = list(a) + [x for x in b if json.dumps(x, sort_keys=True, default=str) not in seen]
        return (sorted(joined) if all(isinstance(x, str) for x in joined) else joined), ""
    return a, "differs"


# partition, service, region, account: the parts of an ARN that follow the deployment
# (the account part may also be "aws" for AWS-managed policies, or "lambda" in an integration URI)
_ARN_HEAD = re.compile(r"arn:(aws[a-zA-Z-]*):([a-z0-9-]+):([a-z0-9-]*):([a-z0-9-]*):")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_-]")
_WHOLE_REF = re.compile(r"\$\{([A-Za-z0-9]+)\}")
_WHOLE_ATT = re.compile(r"\$\{([A-Za-z0-9]+)\.([A-Za-z0-9.]+)\}")


class Resolver:
    """Rewrites the ARNs in a template (see the module docstring)."""

    def __init__(self, arns: dict[str, str], account: str, region: str) -> None:
        self.known = sorted(arns.items(), key=lambda kv: -len(kv[0]))  # longest first: an alias before its function
        self.account, self.region = account, region

    def walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.string(value)
        if isinstance(value, list):
            return [self.walk(v) for v in value]
        if isinstance(value, dict):
            if any(k.startswith("Fn::") or k in ("Ref", iac.ASSET, iac.TEXT) for k in value):
                return value  # already an intrinsic (or a placeholder): written by a kind on purpose
            return {k: self.walk(v) for k, v in value.items()}
        return value

    def string(self, text: str) -> Any:
        if "arn:" not in text:
            return text
        out = text.replace("${", "${!")  # literal "${" in a Fn::Sub
        for arn, expression in self.known:
            out = _replace_whole(out, arn, expression)
        out = _ARN_HEAD.sub(self._head, out)
        if out == text.replace("${", "${!"):
            return text
        if m := _WHOLE_REF.fullmatch(out):
            return {"Ref": m.group(1)}
        if m := _WHOLE_ATT.fullmatch(out):
            return {"Fn::GetAtt": [m.group(1), m.group(2)]}
        return {"Fn::Sub": out}

    def _head(self, m: re.Match[str]) -> str:
        _, service, region, account = m.groups()
        region = "${AWS::Region}" if region == self.region else region
        account = "${AWS::AccountId}" if account == self.account else account
        return f"arn:${{AWS::Partition}}:{service}:{region}:{account}:"


def _replace_whole(text: str, arn: str, expression: str) -> str:
    """Replace `arn` where it is a whole name (not `function:orders` inside `function:orders-eu`)."""
    out, start = [], 0
    while (i := text.find(arn, start)) >= 0:
        end = i + len(arn)
        if end < len(text) and _NAME_CHAR.match(text[end]):
            out.append(text[start:end])
        else:
            out.append(text[start:i] + expression)
        start = end
    out.append(text[start:])
    return "".join(out)


def _walk_assets(value: Any, found: set[str], key: str) -> None:
    if isinstance(value, dict):
        if key in value:
            found.add(str(value[key]))
        for v in value.values():
            _walk_assets(v, found, key)
    elif isinstance(value, list):
        for v in value:
            _walk_assets(v, found, key)
