"""Deleting what drills created, found by their tag (`lambda-ark:drill`), in reverse restore order.

Restore order is role, layers, function (then what hangs off it), mappings, APIs; cleanup goes the
other way: drill-owned APIs, then each drill function's event source mappings, then the function
(its versions, aliases, URL, policy, concurrency and invoke configs go with it), then drill-owned
code signing configs (only unused ones can be deleted), then layer versions published under
drill-owned names (layer versions carry no tags: see `kinds.base.drill_layer_name`), then, when
asked, drill-owned IAM roles and policies (a scan of the account's roles: not done by default).

Every item is deleted or reported; one failure never stops the rest. Finding functions uses the
Resource Groups Tagging API (one listing per region), as backup's tag selection does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..aws import Aws, call, error_code
from ..errors import AwsError, describe
from ..kinds.base import DRILL_TAG, drill_of_layer
from ..kinds.common import maybe, pages

Progress = Callable[[str], None]


@dataclass
class CleanupResult:
    deleted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _ours(tags: dict[str, str] | None, drill: str | None) -> bool:
    value = (tags or {}).get(DRILL_TAG)
    return value is not None and (drill is None or value == drill)


class _Cleaner:
    def __init__(self, aws: Aws, drill: str | None, progress: Progress | None) -> None:
        self.aws, self.drill, self.progress = aws, drill, progress
        self.result = CleanupResult()

    def delete(self, what: str, fn: Callable[[], Any]) -> bool:
        try:
            fn()
        except AwsError as exc:
            if error_code(exc) in ("ResourceNotFoundException", "NotFoundException", "NoSuchEntity"):
                return True  # gone already (a cleanup that ran twice)
            self.result.failed.append(f"{what}: {exc}")
            return False
        except Exception as exc:  # noqa: BLE001 - one item's failure is reported, the rest go on
            self.result.failed.append(f"{what}: {describe(exc)}")
            return False
        self.result.deleted.append(what)
        if self.progress:
            self.progress(f"deleted {what}")
        return True

    def scan(self, what: str, fn: Callable[[], Any]) -> Any:
        """A listing; its failure is reported and leaves that part uncleaned."""
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - reported, the rest of the cleanup goes on
            self.result.failed.append(f"listing {what}: {describe(exc)}")
            return None

    def region(self, region: str) -> None:
        self.apis(region)
        lam = self.aws.client("lambda", region)
        functions = self.scan(f"drill functions in {region}", partial(self.functions, region)) or []
        for name in functions:
            self.mappings_of(lam, region, name)
            self.delete(f"function {name} ({region})",
                        partial(call, lam, "delete_function", FunctionName=name))
        self.orphan_mappings(lam, region)
        self.code_signing(lam, region)
        self.layers(lam, region)

    def apis(self, region: str) -> None:
        rest = self.aws.client("apigateway", region)
        for api in self.scan(f"REST APIs in {region}", partial(_all, rest, "get_rest_apis", "items")) or []:
            if _ours(api.get("tags"), self.drill):
                self.delete(f"REST API {api['name']} {api['id']} ({region})",
                            partial(call, rest, "delete_rest_api", restApiId=api["id"]))
        http = self.aws.client("apigatewayv2", region)
        for api in self.scan(f"HTTP APIs in {region}", partial(_all, http, "get_apis", "Items")) or []:
            if _ours(api.get("Tags"), self.drill):
                self.delete(f"HTTP API {api['Name']} {api['ApiId']} ({region})",
                            partial(call, http, "delete_api", ApiId=api["ApiId"]))

    def functions(self, region: str) -> list[str]:
        tagging = self.aws.client("resourcegroupstaggingapi", region)
        tag_filter: dict[str, Any] = {"Key": DRILL_TAG, **({"Values": [self.drill]} if self.drill else {})}
        found = pages(tagging, "get_resources", "ResourceTagMappingList", ResourceTypeFilters=["lambda:function"],
                      TagFilters=[tag_filter])
        return sorted({str(r["ResourceARN"]).split(":")[6] for r in found})

    def mappings_of(self, lam: Any, region: str, name: str) -> None:
        listed = self.scan(f"event source mappings of {name} ({region})", partial(
            _all, lam, "list_event_source_mappings", "EventSourceMappings", FunctionName=name))
        for m in listed or []:
            self.delete(f"event source mapping {m['UUID']} of {name} ({region})",
                        partial(call, lam, "delete_event_source_mapping", UUID=m["UUID"]))

    def orphan_mappings(self, lam: Any, region: str) -> None:
        """Mappings a drill created whose function is gone (deleted by hand, or by a cleanup that
        was stopped between the two): found by their own tag."""
        listed = self.scan(f"event source mappings in {region}", partial(
            _all, lam, "list_event_source_mappings", "EventSourceMappings"))
        exists: dict[str, bool] = {}
        for m in listed or []:
            fn = ":".join(str(m.get("FunctionArn", "")).split(":")[:7])
            if fn not in exists:
                exists[fn] = self.scan(fn, partial(maybe, lam, "get_function", FunctionName=fn)) is not None
            if exists[fn] or not m.get("EventSourceMappingArn"):
                continue
            tags = self.scan(f"tags of {m['UUID']}", partial(maybe, lam, "list_tags",
                                                                Resource=m["EventSourceMappingArn"]))
            if _ours((tags or {}).get("Tags"), self.drill):
                self.delete(f"event source mapping {m['UUID']} ({region})",
                            partial(call, lam, "delete_event_source_mapping", UUID=m["UUID"]))

    def code_signing(self, lam: Any, region: str) -> None:
        configs = self.scan(f"code signing configs in {region}", partial(
            _all, lam, "list_code_signing_configs", "CodeSigningConfigs"))
        for conf in configs or []:
            arn = conf["CodeSigningConfigArn"]
            tags = self.scan(f"tags of {arn}", partial(maybe, lam, "list_tags", Resource=arn))
            if _ours((tags or {}).get("Tags"), self.drill):
                self.delete(f"code signing config {arn}",
                            partial(call, lam, "delete_code_signing_config", CodeSigningConfigArn=arn))

    def layers(self, lam: Any, region: str) -> None:
        for layer in self.scan(f"layers in {region}", partial(_all, lam, "list_layers", "Layers")) or []:
            owner = drill_of_layer(layer["LayerName"])
            if owner is None or (self.drill is not None and owner != self.drill):
                continue
            versions = self.scan(layer["LayerName"], partial(
                _all, lam, "list_layer_versions", "LayerVersions", LayerName=layer["LayerName"]))
            for v in versions or []:
                self.delete(f"layer {v['LayerVersionArn']}", partial(
                    call, lam, "delete_layer_version", LayerName=layer["LayerName"], VersionNumber=int(v["Version"])))

    def roles(self) -> None:
        iam = self.aws.client("iam")
        for role in self.scan("IAM roles", partial(_all, iam, "list_roles", "Roles")) or []:
            name = role["RoleName"]
            tags = self.scan(f"tags of role {name}", partial(call, iam, "list_role_tags", RoleName=name))
            if not _ours({t["Key"]: t["Value"] for t in (tags or {}).get("Tags", [])}, self.drill):
                continue
            self.delete(f"IAM role {name}", partial(_delete_role, iam, name))
        policies = self.scan("IAM policies", partial(_all, iam, "list_policies", "Policies", Scope="Local"))
        for policy in policies or []:
            arn = policy["Arn"]
            tags = self.scan(f"tags of {arn}", partial(call, iam, "list_policy_tags", PolicyArn=arn))
            if _ours({t["Key"]: t["Value"] for t in (tags or {}).get("Tags", [])}, self.drill):
                self.delete(f"IAM policy {arn}", partial(_delete_policy, iam, arn))


def _all(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    return list(pages(client, operation, key, **kwargs))


def _delete_role(iam: Any, name: str) -> None:
    for p in pages(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name):
        call(iam, "detach_role_policy", RoleName=name, PolicyArn=p["PolicyArn"])
    for p in pages(iam, "list_role_policies", "PolicyNames", RoleName=name):
        call(iam, "delete_role_policy", RoleName=name, PolicyName=p)
    call(iam, "delete_role", RoleName=name)


def _delete_policy(iam: Any, arn: str) -> None:
    for v in pages(iam, "list_policy_versions", "Versions", PolicyArn=arn):
        if not v["IsDefaultVersion"]:
            call(iam, "delete_policy_version", PolicyArn=arn, VersionId=v["VersionId"])
    call(iam, "delete_policy", PolicyArn=arn)


def cleanup(aws: Aws, regions: list[str], drill: str | None = None, *, roles: bool = False,
            progress: Progress | None = None) -> CleanupResult:
    """Delete what the drill `drill` (any drill: None) created in `regions` (and, with `roles`, the
    account's drill-owned IAM roles and policies, which go last: functions use them)."""
    cleaner = _Cleaner(aws, drill, progress)
    for region in regions:
        cleaner.region(region)
    if roles:
        cleaner.roles()
    return cleaner.result
