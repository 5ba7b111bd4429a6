"""Container-image functions: CodeSha256 is the image digest, by tag or by digest alike (as on AWS)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

REPO = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app"


def test_same_image_by_tag_or_digest_has_one_code_sha(
    client: Callable[..., Any], role: str, unique: Callable[[str], str]
) -> None:
    lam = client("lambda")
    by_tag, by_digest = unique("img-tag"), unique("img-digest")
    lam.create_function(FunctionName=by_tag, PackageType="Image", Role=role, Code={"ImageUri": f"{REPO}:1"})
    tagged = lam.get_function(FunctionName=by_tag)
    resolved = tagged["Code"]["ResolvedImageUri"]
    sha = tagged["Configuration"]["CodeSha256"]
    assert resolved == f"{REPO}@sha256:{sha}"  # moto gave "…/app@sha256@sha256:…" for digest URIs

    lam.create_function(FunctionName=by_digest, PackageType="Image", Role=role, Code={"ImageUri": resolved})
    pinned = lam.get_function(FunctionName=by_digest)
    assert pinned["Configuration"]["CodeSha256"] == sha
    assert pinned["Code"]["ResolvedImageUri"] == resolved
