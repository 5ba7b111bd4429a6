"""The one ARN mapper: every ARN restore writes passes through here.

It rewrites region, account, function names (prefix/suffix, only for functions in the snapshot) and
version numbers (republished versions get new numbers), plus explicit whole-ARN overrides. ARNs
inside longer strings (API Gateway integration URIs, policy conditions, JSON documents) are found
and rewritten with `map_text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# arn:partition:service:region:account:resource — region/account may be empty (S3, IAM); API Gateway
# integration URIs put "lambda" where the account goes and nest a function ARN in the resource.
_ARN_RE = re.compile(r"arn:(aws[a-zA-Z-]*):([a-z0-9-]+):([a-z0-9-]*):([a-z0-9-]*):([A-Za-z0-9_./:+=,@$*-]+)")
# <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest]
_ECR_RE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(/.*)$")
_FUNCTION_RE = re.compile(r"function:([A-Za-z0-9_-]+)(?::([A-Za-z0-9_$-]+))?(.*)", re.S)


@dataclass
class ArnMapper:
    region_map: dict[str, str] = field(default_factory=dict)
    account_map: dict[str, str] = field(default_factory=dict)
    name_prefix: str = ""
    name_suffix: str = ""
    renamed_functions: set[str] = field(default_factory=set)  # source names the prefix/suffix apply to
    # overrides applied first: whole ARNs, or whole values such as subnet and security group ids
    explicit: dict[str, str] = field(default_factory=dict)
    # source function name -> {old version: new version}
    versions: dict[str, dict[str, str]] = field(default_factory=dict)

    def region(self, region: str) -> str:
        return self.region_map.get(region, region)

    def account(self, account: str) -> str:
        return self.account_map.get(account, account)

    def function_name(self, name: str) -> str:
        if name in self.renamed_functions:
            return f"{self.name_prefix}{name}{self.name_suffix}"
        return name

    def version(self, function: str, version: str) -> str:
        return self.versions.get(function, {}).get(version, version)

    def arn(self, arn: str) -> str:
        """Map one ARN (or a string that is exactly one ARN, such as an integration URI)."""
        return self.map_text(arn)

    def map_text(self, text: str) -> str:
        """Rewrite every ARN inside `text`; explicit overrides win over the rules."""
        return _ARN_RE.sub(lambda m: self._map_match(m), text)

    def _map_match(self, m: re.Match[str]) -> str:
        whole = m.group(0)
        if whole in self.explicit:
            return self.explicit[whole]
        partition, service, region, account, resource = m.groups()
        if "arn:" in resource:  # a nested ARN, e.g. API Gateway's .../functions/<arn>/invocations
            head, _, tail = resource.partition("arn:")
            resource = head + self.map_text("arn:" + tail)
        elif service == "lambda":
            resource = self._lambda_resource(resource)
        return f"arn:{partition}:{service}:{self.region(region)}:{self.account(account)}:{resource}"

    def _lambda_resource(self, resource: str) -> str:
        fm = _FUNCTION_RE.fullmatch(resource)
        if not fm:
            return resource
        name, qualifier, rest = fm.groups()
        out = f"function:{self.function_name(name)}"
        if qualifier is not None:
            out += ":" + (self.version(name, qualifier) if qualifier.isdigit() else qualifier)
        return out + rest

    def image_uri(self, uri: str) -> str:
        """A container image in the target's ECR: same repository and tag, mapped account and region
        (ECR replication puts it there; Lambda only runs images from its own region)."""
        m = _ECR_RE.match(uri)
        if not m:
            return uri
        account, region, rest = m.groups()
        return f"{self.account(account)}.dkr.ecr.{self.region(region)}.amazonaws.com{rest}"

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
