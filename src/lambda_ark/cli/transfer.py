"""Options for repository traffic: --limit-upload, --limit-download (KiB/s, as restic's), --s3-endpoint.

They exist before the command (`lambda-ark --limit-upload 512 copy …`) and on the commands that move
data (backup, copy, restore, replicas); both routes end in the environment, like the password
options, so every repository a command opens gets them through `transfer()`. One `Transfer` per
set of values per process: repositories opened by one command share its rate limiters.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from ..errors import UsageError
from ..repository.backends.transport import Transfer

UPLOAD, DOWNLOAD, ENDPOINT = "LAMBDA_ARK_LIMIT_UPLOAD", "LAMBDA_ARK_LIMIT_DOWNLOAD", "LAMBDA_ARK_S3_ENDPOINT"


def _to_env(var: str) -> Any:
    def callback(value: Any) -> Any:
        if value is not None and value != "":
            os.environ[var] = str(value)
        return value

    return callback


LimitUploadOpt = Annotated[int | None, typer.Option(
    "--limit-upload", min=1, callback=_to_env(UPLOAD), metavar="KIB/S",
    help=f"Send repository data at most this fast, in KiB/s (env {UPLOAD}).")]
LimitDownloadOpt = Annotated[int | None, typer.Option(
    "--limit-download", min=1, callback=_to_env(DOWNLOAD), metavar="KIB/S",
    help=f"Receive repository data at most this fast, in KiB/s (env {DOWNLOAD}).")]
S3EndpointOpt = Annotated[str | None, typer.Option(
    "--s3-endpoint", callback=_to_env(ENDPOINT), metavar="URL",
    help=f"S3-compatible endpoint (MinIO, …) for s3://bucket/prefix repositories (env {ENDPOINT}); "
         "or name it in the URL: s3:https://host:9000/bucket/prefix.")]

_made: dict[tuple[int | None, int | None, str | None], Transfer] = {}


def _limit(var: str) -> int | None:
    raw = os.environ.get(var, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise UsageError(f"{var}={raw!r}: give a rate in KiB/s, e.g. 512") from None
    if value < 1:
        raise UsageError(f"{var}={raw!r}: give a positive rate in KiB/s")
    return value


def transfer() -> Transfer:
    """The Transfer for this process's current options (the same object for the same values)."""
    endpoint = os.environ.get(ENDPOINT, "").strip() or None
    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        raise UsageError(f"--s3-endpoint {endpoint!r}: give a URL such as https://minio.example:9000")
    key = (_limit(UPLOAD), _limit(DOWNLOAD), endpoint)
    if key not in _made:
        _made[key] = Transfer(limit_upload=key[0], limit_download=key[1], s3_endpoint=key[2])
    return _made[key]
