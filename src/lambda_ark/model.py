"""The snapshot body lambda-ark writes: what backup produces and restore reads.

The repository stores this as an opaque JSON body next to a table of stored files (zips); records
name files by key (the function's or layer's CodeSha256), never by chunk ids. Layers are recorded
per function by the layers kind (their content stored once, by CodeSha256).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

BODY_FORMAT = 1


class FunctionRecord(BaseModel):
    """One function in one (account, region): everything needed to bring it back, wired."""

    account: str
    region: str
    name: str
    arn: str
    fingerprint: str
    # when the function-scoped kinds were last read from AWS (carried-forward records keep theirs)
    captured_at: datetime | None = None
    # kind NAME -> what that kind captured (see lambda_ark.kinds); absent = nothing to restore
    items: dict[str, Any] = Field(default_factory=dict)
    # invokers the resource policy lets in that no kind captured (`kinds.coverage`), one line each
    not_captured: list[str] = Field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.account}/{self.region}/{self.name}"


class BackupBody(BaseModel):
    format: int = BODY_FORMAT
    regions: dict[str, list[str]] = Field(default_factory=dict)  # account -> regions scanned
    functions: list[FunctionRecord] = Field(default_factory=list)
    # things seen but not restorable as such (Lambda@Edge replicas, triggers with no permission…)
    notes: list[str] = Field(default_factory=list)
    # "account/region" -> region-scoped kind -> when it was last listed there (by this backup or, when a
    # complete change feed made listing it again unnecessary, by an earlier one): its re-read backstop
    listed: dict[str, dict[str, datetime]] = Field(default_factory=dict)
    # event-source resources and their data (`lambda_ark.data.models.DataSection`), when asked for (--data)
    data: dict[str, Any] | None = None
