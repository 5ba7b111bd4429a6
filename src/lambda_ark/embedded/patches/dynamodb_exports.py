"""ExportTableToPointInTime: the export's ARN, its S3 layout and manifests, as AWS writes them.

AWS ("DynamoDB table export output format"): an export's ARN is `<table ARN>/export/<export id>`;
under `<S3Prefix>/AWSDynamoDB/<export id>/` it writes `data/<random>.json.gz` (DYNAMODB_JSON: one
`{"Item": {...}}` per line), `manifest-files.json` (one line per data file: `itemCount`,
`md5Checksum`, `etag`, `dataFileS3Key`), `manifest-summary.json` (`version`, `exportArn`, `startTime`,
`endTime`, `tableArn`, `tableId`, `exportTime`, `s3Bucket`, `s3Prefix`, `s3SseAlgorithm`,
`manifestFilesS3Key`, `billedSizeBytes`, `itemCount`, `outputFormat`, `exportType`) and `_started`;
DescribeExport names the summary's key as `ExportManifest` and gives `ExportTime`, `StartTime`, `EndTime`.
moto: an ARN of `<table ARN>` nested in another table ARN with `/import/`, one data file named `.gz`
and no manifest, so a reader has no way to find the data. (Incremental exports stay as moto has them:
a full export whatever `ExportType` says; lambda-ark does not ask for them.)
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

from moto.core.utils import gzip_compress
from moto.dynamodb.models.table_export import TableExport
from moto.dynamodb.models.utilities import dynamo_json_dump

_init = TableExport.__init__
_response = TableExport.response


@dataclass
class _State:
    """What AWS reports of an export that moto does not keep."""

    export_id: str
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended: datetime | None = None
    manifest_key: str | None = None


_states: WeakKeyDictionary[TableExport, _State] = WeakKeyDictionary()


def __init__(self: TableExport, *args: Any, **kwargs: Any) -> None:
    _init(self, *args, **kwargs)
    state = _states[self] = _State(f"{int(datetime.now(UTC).timestamp() * 1000):013d}-{uuid.uuid4().hex[:8]}")
    self.arn = f"{self.table.table_arn}/export/{state.export_id}"


def _key(self: TableExport, tail: str) -> str:
    head = f"{self.s3_prefix.rstrip('/')}/" if self.s3_prefix else ""
    return f"{head}AWSDynamoDB/{_states[self].export_id}/{tail}"


def _backup_to_s3_file(self: TableExport, s3_backend: Any) -> None:
    lines = []
    for item in self.table.all_items():
        lines.append(dynamo_json_dump(item.to_json(root_attr_name="Item")))
        self.item_count += 1
    body = "".join(line + "\n" for line in lines).encode()
    self.processed_bytes = len(body)
    content = gzip_compress(body)
    data_key = _key(self, f"data/{uuid.uuid4().hex}.json.gz")
    put = s3_backend.put_object(bucket_name=self.s3_bucket, key_name=data_key, value=content)
    s3_backend.put_object(bucket_name=self.s3_bucket, key_name=_key(self, "_started"), value=b"")
    files_key = _key(self, "manifest-files.json")
    entry = {"itemCount": self.item_count, "md5Checksum": hashlib.md5(content, usedforsecurity=False).hexdigest(),
             "etag": put.etag.strip('"'), "dataFileS3Key": data_key}
    s3_backend.put_object(bucket_name=self.s3_bucket, key_name=files_key, value=(json.dumps(entry) + "\n").encode())
    state = _states[self]
    state.ended = datetime.now(UTC)
    summary = {
        "version": "2020-06-30", "exportArn": self.arn, "startTime": state.started.isoformat(),
        "endTime": state.ended.isoformat(), "tableArn": self.table.table_arn, "tableId": self.table.table_arn,
        "exportTime": state.started.isoformat(), "s3Bucket": self.s3_bucket, "s3Prefix": self.s3_prefix or None,
        "s3SseAlgorithm": "AES256", "s3SseKmsKeyId": None, "manifestFilesS3Key": files_key,
        "billedSizeBytes": self.processed_bytes, "itemCount": self.item_count, "outputFormat": "DYNAMODB_JSON",
        "exportType": self.export_type,
    }
    state.manifest_key = _key(self, "manifest-summary.json")
    s3_backend.put_object(bucket_name=self.s3_bucket, key_name=state.manifest_key, value=json.dumps(summary).encode())
    self.status = "COMPLETED"


def response(self: TableExport) -> dict[str, Any]:
    out: dict[str, Any] = _response(self)
    state = _states[self]
    out |= {"ExportTime": state.started.timestamp(), "StartTime": state.started.timestamp()}
    if state.ended is not None:
        out["EndTime"] = state.ended.timestamp()
    if state.manifest_key:
        out["ExportManifest"] = state.manifest_key
    return {k: v for k, v in out.items() if v is not None}


def apply() -> None:
    TableExport.__init__ = __init__  # type: ignore[method-assign]
    TableExport._backup_to_s3_file = _backup_to_s3_file  # type: ignore[method-assign]
    TableExport.response = response  # type: ignore[method-assign]
