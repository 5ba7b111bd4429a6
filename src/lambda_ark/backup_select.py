"""Selecting a region's functions: one paged `ListFunctions`, filtered by name globs, shard and tags.

`published_versions` lists again with `FunctionVersion=ALL`, which returns every published version's
configuration beside $LATEST's: one listing per region (50 entries a page) instead of one
`ListVersionsByFunction` per function, all of them on Lambda's shared 15-requests-a-second quota.
`worth_listing_versions` decides: when many functions are read in full (a first or `--full`
backup); an incremental run reads few, and the extra pages would cost more than they save.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .aws import Aws
from .kinds.common import pages
from .selection import in_shard, name_matches

if TYPE_CHECKING:
    from .backup import BackupOptions


@dataclass
class Listed:
    """A region's selected functions, as ListFunctions describes their $LATEST."""

    functions: list[dict[str, Any]] = field(default_factory=list)


def select_functions(aws: Aws, region: str, options: BackupOptions) -> Listed:
    """The region's functions this run covers (names, shard, tags)."""
    client = aws.client("lambda", region)
    fns = [
        f
        for f in pages(client, "list_functions", "Functions")
        if name_matches(f["FunctionName"], options.functions) and in_shard(f["FunctionArn"], options.shard)
    ]
    if options.tags:
        tagged = _tagged_function_arns(aws, region, options.tags)
        fns = [f for f in fns if f["FunctionArn"] in tagged]
    return Listed(functions=fns)


def worth_listing_versions(functions: int, known_versions: int, fresh: int) -> bool:
    """Whether one ALL listing (pages of 50 over functions and versions) costs fewer calls than one
    ListVersionsByFunction per function read in full. `known_versions` is the previous snapshot's
    count (0 when there is none: then the listing is the better bet)."""
    return fresh > 0 and math.ceil((functions + known_versions) / 50) < fresh


def published_versions(client: Any, names: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Every published version of the named functions, from one paged ListFunctions(ALL)."""
    out: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    for f in pages(client, "list_functions", "Functions", FunctionVersion="ALL"):
        if f["FunctionName"] in out and f.get("Version", "$LATEST") != "$LATEST":
            out[f["FunctionName"]].append(f)
    return out


def _tagged_function_arns(aws: Aws, region: str, tags: dict[str, str]) -> set[str]:
    """Functions carrying all `tags`, from one paged Resource Groups Tagging API listing per region
    (not one ListTags call per function)."""
    filters = [{"Key": k, "Values": [v]} for k, v in tags.items()]
    client = aws.client("resourcegroupstaggingapi", region)
    listed = pages(
        client, "get_resources", "ResourceTagMappingList", ResourceTypeFilters=["lambda:function"], TagFilters=filters
    )
    return {m["ResourceARN"] for m in listed}
