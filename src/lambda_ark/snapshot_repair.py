"""What a lambda-ark snapshot body keeps when some of its stored files are lost (`repair snapshots`).

The repository treats bodies as opaque and asks this hook. A body is `lambda_ark.model.BackupBody`
as a dict: `functions`, each with `items: {kind: data}`, where stored files appear as
`"file": "<key>"` anywhere inside a kind's data. The rule:
- the function's own code (the `function` kind) is lost: the whole function record goes, since
  nothing else about it can be restored without it;
- otherwise only the kinds that name a lost file go (a version's code, a layer, an edge function);
  the function and its other kinds stay restorable.
A bucket, table, stream or queue of the data section (`--data`) naming a lost file goes as a whole.
Each drop adds one note to `body["notes"]`, which `show` and restore surface.
"""

from __future__ import annotations

import copy
from typing import Any

from .backup import file_keys
from .data.models import DataSection
from .kinds.function import NAME as FUNCTION_KIND


def drop_lost_files(body: dict[str, Any], lost: set[str]) -> tuple[dict[str, Any], list[str]]:
    """The body without what names a lost file, and one note per function or kind dropped."""
    new = copy.deepcopy(body)
    notes: list[str] = []
    kept = []
    for record in new.get("functions", []):
        items: dict[str, Any] = record.get("items", {})
        where = f"{record.get('account', '?')}/{record.get('region', '?')}/{record.get('name', '?')}"
        if own := sorted(set(file_keys(items.get(FUNCTION_KIND))) & lost):
            notes.append(f"repair: dropped function {where}: its code (file {own[0]}) is lost")
            continue
        for kind in sorted(items):
            if gone := sorted(set(file_keys(items[kind])) & lost):
                del items[kind]
                notes.append(f"repair: dropped {kind} of {where}: file {', '.join(gone)} is lost")
        kept.append(record)
    if "functions" in new:
        new["functions"] = kept
    if new.get("data"):  # event-source data (--data): a resource naming a lost file goes as a whole
        section = DataSection.model_validate(new["data"])
        whole = []
        for resource in section.resources:
            if gone := sorted(set(resource.file_keys()) & lost):
                notes.append(f"repair: dropped the data of {resource.key}: file {', '.join(gone[:3])} is lost")
            else:
                whole.append(resource)
        section.resources = whole
        new["data"] = section.model_dump(mode="json")
    if notes:
        new["notes"] = [*new.get("notes", []), *notes]
    return new, notes
