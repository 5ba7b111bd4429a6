"""Multipart uploads as the S3 API reference documents them (CreateMultipartUpload, UploadPart,
ListParts, ListMultipartUploads, CompleteMultipartUpload, AbortMultipartUpload): parts are invisible
until completed, ListParts gives each part's size and ETag (the part's MD5 for unencrypted objects),
ListMultipartUploads gives each unfinished upload's key and when it was initiated, a part but the
last smaller than 5 MiB makes CompleteMultipartUpload fail (EntityTooSmall), an aborted upload is
gone (NoSuchUpload)."""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.exceptions
import pytest

MiB = 1024 * 1024
_n = itertools.count()


@pytest.fixture
def s3(client: Callable[..., Any]) -> tuple[Any, str]:
    s3 = client("s3")
    bucket = f"multipart-{next(_n)}-{os.getpid()}"
    s3.create_bucket(Bucket=bucket)
    return s3, bucket


def test_parts_are_listed_and_invisible_until_complete(s3: tuple[Any, str]) -> None:
    client, bucket = s3
    before = datetime.now(UTC) - timedelta(seconds=5)
    upload = client.create_multipart_upload(Bucket=bucket, Key="data/aa/p")["UploadId"]
    part = os.urandom(5 * MiB)
    etag = client.upload_part(Bucket=bucket, Key="data/aa/p", UploadId=upload, PartNumber=1, Body=part)["ETag"]
    assert etag.strip('"') == hashlib.md5(part).hexdigest()
    listed = client.list_parts(Bucket=bucket, Key="data/aa/p", UploadId=upload)["Parts"]
    assert [(p["PartNumber"], p["Size"], p["ETag"]) for p in listed] == [(1, 5 * MiB, etag)]
    uploads = client.list_multipart_uploads(Bucket=bucket, Prefix="data/")["Uploads"]
    assert [u["Key"] for u in uploads] == ["data/aa/p"]
    assert before <= uploads[0]["Initiated"] <= datetime.now(UTC) + timedelta(seconds=5)
    assert client.list_multipart_uploads(Bucket=bucket, Prefix="index/").get("Uploads", []) == []
    assert client.list_objects_v2(Bucket=bucket).get("Contents", []) == []
    last = client.upload_part(Bucket=bucket, Key="data/aa/p", UploadId=upload, PartNumber=2, Body=b"end")["ETag"]
    client.complete_multipart_upload(Bucket=bucket, Key="data/aa/p", UploadId=upload, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": etag}, {"PartNumber": 2, "ETag": last}]})
    assert client.get_object(Bucket=bucket, Key="data/aa/p")["Body"].read() == part + b"end"


def test_small_parts_and_aborted_uploads(s3: tuple[Any, str]) -> None:
    client, bucket = s3
    upload = client.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    tags = [client.upload_part(Bucket=bucket, Key="k", UploadId=upload, PartNumber=n, Body=b"x" * 1024)["ETag"]
            for n in (1, 2)]
    with pytest.raises(botocore.exceptions.ClientError) as info:
        client.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload, MultipartUpload={
            "Parts": [{"PartNumber": n, "ETag": t} for n, t in zip((1, 2), tags, strict=True)]})
    assert info.value.response["Error"]["Code"] == "EntityTooSmall"
    client.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload)
    with pytest.raises(botocore.exceptions.ClientError) as info:
        client.list_parts(Bucket=bucket, Key="k", UploadId=upload)
    assert info.value.response["Error"]["Code"] == "NoSuchUpload"
