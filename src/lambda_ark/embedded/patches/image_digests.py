"""Container images: `CodeSha256` is the image digest, however the image is named.

AWS: for a function packaged as an image, `CodeSha256` is the image manifest's digest and
`Code.ResolvedImageUri` is `<repository>@sha256:<digest>`; creating a function from the tag or from
the digest of the same image gives the same `CodeSha256`.
moto (stub ECR, the default): `CodeSha256` is a hash of the `ImageUri` string, so the same image
named by digest gets another hash; and `ResolvedImageUri` splits a digest URI at its first colon,
giving `…@sha256@sha256:…`.

Here a digest URI's `CodeSha256` is its digest, and `ResolvedImageUri` is always `<repo>@sha256:<sha>`.
A tag still resolves to moto's stand-in digest (a hash of the tag URI): there is no registry behind it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from moto.awslambda.models import LambdaFunction


def repository_of(uri: str) -> str:
    """`acct.dkr.ecr.region.amazonaws.com/repo` from a tag or digest image URI."""
    base = uri.split("@", 1)[0]
    head, _, last = base.rpartition("/")
    return f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]


def _set_function_code(original: Callable[..., None]) -> Callable[..., None]:
    @wraps(original)
    def wrapper(self: LambdaFunction, updated_spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original(self, updated_spec, *args, **kwargs)
        uri = updated_spec.get("ImageUri") if isinstance(updated_spec, dict) else None
        if uri and "@sha256:" in uri:
            self.code_sha_256 = uri.rsplit("@sha256:", 1)[1]

    return wrapper


def _get_code(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @wraps(original)
    def wrapper(self: LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
        resp = original(self, *args, **kwargs)
        code = resp.get("Code") or {}
        if code.get("ImageUri"):
            code["ResolvedImageUri"] = f"{repository_of(code['ImageUri'])}@sha256:{self.code_sha_256}"
        return resp

    return wrapper


def apply() -> None:
    LambdaFunction._set_function_code = _set_function_code(LambdaFunction._set_function_code)  # type: ignore[method-assign]
    LambdaFunction.get_code = _get_code(LambdaFunction.get_code)  # type: ignore[method-assign]
