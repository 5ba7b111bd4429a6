"""ListMultipartUploads says when each upload began.

AWS (S3 API reference, ListMultipartUploads): each `Upload` has `Initiated`, the date and time the
upload was initiated; `Prefix` limits the listing to keys that begin with it.
moto 5.2.5: every upload reports the fixed date 2010-11-10T20:48:33Z, so anything that ages out
unfinished uploads (lambda-ark's prune: older than a day) would abort ones begun a second ago.
Here: the time is recorded when the upload is created and reported as AWS does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.s3.models import FakeMultipart
from moto.s3.responses import S3Response

_ATTR = "_ark_initiated"


def list_multipart_uploads(self: S3Response) -> Any:
    multiparts = list(self.backend.list_multipart_uploads(self.bucket_name).values())
    prefix = self.querystring.get("prefix", [None])[0] if "prefix" in self.querystring else None
    if prefix:
        multiparts = [u for u in multiparts if u.key_name.startswith(prefix)]
    uploads = [
        {
            "Key": upload.key_name,
            "UploadId": upload.id,
            "Initiator": {"ID": f"arn:aws:iam::{self.current_account}:root", "DisplayName": "owner"},
            "Owner": {"ID": self.current_account, "DisplayName": "owner"},
            "StorageClass": "STANDARD",
            "Initiated": getattr(upload, _ATTR, datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        }
        for upload in multiparts
    ]
    self.data["Action"] = "ListMultipartUploads"  # authorized by the caller (_bucket_response_get)
    result = {"Bucket": self.bucket_name, "KeyMarker": "", "UploadIdMarker": "", "MaxUploads": 1000,
              "IsTruncated": False, "Uploads": uploads, "Prefix": prefix or ""}
    return self.serialized(ActionResult(result))


def apply() -> None:
    original_init = FakeMultipart.__init__

    def init(self: FakeMultipart, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        setattr(self, _ATTR, datetime.now(UTC))

    FakeMultipart.__init__ = init  # type: ignore[method-assign]
    S3Response.list_multipart_uploads = list_multipart_uploads  # type: ignore[method-assign]
