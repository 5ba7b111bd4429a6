"""The one ARN mapper: every ARN restore writes passes through here.

It rewrites region, account, function names (a name template, only for functions this restore brings
back) and version numbers (republished versions get new numbers), plus explicit whole-ARN overrides.
ARNs inside longer strings (API Gateway integration URIs, policy conditions, comma-joined lists, JSON
documents) are found and rewritten with `map_text`.

A function is identified by (account, region, name) everywhere: two regions may each hold `orders`,
and each must keep its own versions and its own target name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..errors import UsageError

# arn:partition:service:region:account:resource. Region/account may be empty (S3, IAM); API Gateway
# integration URIs put "lambda" where the account goes and nest a function ARN in the resource. A
# resource may hold commas (IAM names do), but ",arn:" starts the next ARN of a comma-joined list.
_ARN_RE = re.compile(
    r"arn:(aws[a-zA-Z-]*):([a-z0-9-]+):([a-z0-9-]*):([a-z0-9-]*):((?:(?!,\s*arn:)[A-Za-z0-9_./:+=,@$*-])+)"
)
# <account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>[:tag|@digest]
_ECR_RE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.(amazonaws\.com(?:\.cn)?)(/.*)$")
_FUNCTION_RE = re.compile(r"function:([A-Za-z0-9_-]+)(?::([A-Za-z0-9_$-]+))?(.*)", re.S)
_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TEMPLATE_FIELDS = ("name", "region", "account")


class FunctionId(NamedTuple):
    """A source function: the key of every per-function map in restore."""

    account: str
    region: str
    name: str

    @classmethod
    def of(cls, record: Any) -> FunctionId:
        """From a FunctionRecord or its dict form."""
        get = record.get if isinstance(record, dict) else lambda k: getattr(record, k)
        return cls(str(get("account")), str(get("region")), str(get("name")))


@dataclass
class ArnMapper:
    region_map: dict[str, str] = field(default_factory=dict)
    account_map: dict[str, str] = field(default_factory=dict)
    # Target names of restored functions: {name}, {region}, {account} are the source's.
    name_template: str = "{name}"
    sources: set[FunctionId] = field(default_factory=set)  # functions this restore brings back
    # overrides applied first: whole ARNs, or whole values such as subnet and security group ids
    explicit: dict[str, str] = field(default_factory=dict)
    # source function -> {old version: new version}
    versions: dict[FunctionId, dict[str, str]] = field(default_factory=dict)
    # source function -> old versions a plan republishes: their new numbers exist only after apply
    pending: dict[FunctionId, set[str]] = field(default_factory=dict)

    def region(self, region: str) -> str:
        return self.region_map.get(region, region)

    def account(self, account: str) -> str:
        return self.account_map.get(account, account)

    def function_name(self, fid: FunctionId) -> str:
        if fid in self.sources:
            return render_name(self.name_template, fid)
        return fid.name

    def version(self, fid: FunctionId, version: str) -> str:
        return self.versions.get(fid, {}).get(version, version)

    def unknown_yet(self, fid: FunctionId, version: str) -> bool:
        """True while `version` awaits republishing: reading the target by its number means nothing."""
        return version in self.pending.get(fid, set()) and version not in self.versions.get(fid, {})

    def target(self, fid: FunctionId) -> FunctionId:
        return FunctionId(self.account(fid.account), self.region(fid.region), self.function_name(fid))

    def arn(self, arn: str) -> str:
        """Map one ARN (or a string that is exactly one ARN, such as an integration URI)."""
        return self.map_text(arn)

    def map_text(self, text: str) -> str:
        """Rewrite every ARN inside `text`; explicit overrides win over the rules."""
        return _ARN_RE.sub(self._map_match, text)

    def map_text_where(self, text: str, accept: Callable[[str, str], bool]) -> str:
        """Like `map_text`, but an ARN is rewritten only when `accept(old, new)` says so."""

        def one(m: re.Match[str]) -> str:
            new = self._map_match(m)
            return new if new == m.group(0) or accept(m.group(0), new) else m.group(0)

        return _ARN_RE.sub(one, text)

    def _map_match(self, m: re.Match[str]) -> str:
        whole = m.group(0)
        if whole in self.explicit:
            return self.explicit[whole]
        partition, service, region, account, resource = m.groups()
        if "arn:" in resource:  # a nested ARN, e.g. API Gateway's .../functions/<arn>/invocations
            head, _, tail = resource.partition("arn:")
            resource = head + self.map_text("arn:" + tail)
        elif service == "lambda":
            resource = self._lambda_resource(resource, region, account)
        return f"arn:{partition}:{service}:{self.region(region)}:{self.account(account)}:{resource}"

    def _lambda_resource(self, resource: str, region: str, account: str) -> str:
        fm = _FUNCTION_RE.fullmatch(resource)
        if not fm:
            return resource
        name, qualifier, rest = fm.groups()
        fid = FunctionId(account, region, name)
        out = f"function:{self.function_name(fid)}"
        if qualifier is not None:
            out += ":" + (self.version(fid, qualifier) if qualifier.isdigit() else qualifier)
        return out + rest

    def is_identity(self) -> bool:
        """True when nothing moves: same regions, accounts and names (an in-place restore)."""
        return (
            all(k == v for k, v in self.region_map.items())
            and all(k == v for k, v in self.account_map.items())
            and (self.name_template == "{name}" or not self.sources)
        )

    def image_uri(self, uri: str) -> str:
        """A container image in the target's ECR: same repository and tag, mapped account and region
        (ECR replication puts it there; Lambda only runs images from its own region)."""
        m = _ECR_RE.match(uri)
        if not m:
            return uri
        account, region, domain, rest = m.groups()
        return f"{self.account(account)}.dkr.ecr.{self.region(region)}.{domain}{rest}"

    def map_obj(self, obj: Any) -> Any:
        """Rewrite ARNs in every string of a JSON-like structure."""
        if isinstance(obj, str):
            # an explicit entry may also be a plain id (a subnet, a security group) matched whole
            return self.explicit[obj] if obj in self.explicit else self.map_text(obj)
        if isinstance(obj, list):
            return [self.map_obj(v) for v in obj]
        if isinstance(obj, dict):
            return {k: self.map_obj(v) for k, v in obj.items()}
        return obj


def render_name(template: str, fid: FunctionId) -> str:
    """A restored function's name from `--name-template`; UsageError if it cannot be a Lambda name."""
    try:
        name = template.format(**{k: getattr(fid, k) for k in _TEMPLATE_FIELDS})
    except (KeyError, IndexError, ValueError) as exc:
        raise UsageError(
            f"bad name template {template!r}: use {{name}}, {{region}} and {{account}} ({exc})"
        ) from None
    if not _FUNCTION_NAME.match(name):
        raise UsageError(
            f"name template {template!r} makes {name!r} for {fid.name} in {fid.region}: Lambda names are "
            "1-64 letters, digits, - and _"
        )
    return name


def split_arns(text: str) -> list[str]:
    """Every ARN in `text` (a comma-joined list, a document), in order."""
    return [m.group(0) for m in _ARN_RE.finditer(text)]
