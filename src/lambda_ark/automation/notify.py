"""One message per job run to each of the job's notify targets: SNS (subject + JSON body) or a
webhook (the same JSON, POSTed). A webhook is retried with backoff on a network error or a 5xx; a
4xx means the request itself is wrong and is not retried. Anything not delivered is a warning: a
notification never turns a good backup into a failure, nor hides a failed one.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

from ..aws import Aws, call, one_line
from ..errors import LambdaArkError, describe
from ..policy.values import Target
from .job import OK, JobRun

ATTEMPTS = 4  # a webhook is tried this often at most
BACKOFF = 1.0  # seconds before the 2nd attempt, doubled before each next
TIMEOUT = 10.0
_SUBJECT_LIMIT = 100  # SNS: subjects are at most 100 characters


class DeliveryError(LambdaArkError):
    pass


def version() -> str:
    from .. import __version__  # at call time: the package imports this module while it initialises

    return __version__


def message(run: JobRun) -> tuple[str, dict[str, Any]]:
    """(subject, body): a success summary, or the failure with the failing items."""
    done = [a for a in run.accounts if a.snapshot]
    functions = sum(a.result.functions for a in run.accounts if a.result)
    if run.status == OK:
        subject = f"lambda-ark: job {run.job} ok: {functions} functions in {len(done)} accounts"
    else:
        bad = [a for a in run.accounts if a.status != OK]
        subject = (f"lambda-ark: job {run.job} {run.status.upper()}: {len(bad)} of {len(run.accounts)} accounts"
                   + (f", {len(run.errors)} job errors" if run.errors else ""))
    body = {"source": "lambda-ark", "version": version(), **run.as_dict(),
            "failures": [{"account": a.account, "failed": a.failed, "errors": a.errors}
                         for a in run.accounts if a.status not in (OK, "anomaly")]}
    return subject[:_SUBJECT_LIMIT], body


def send(targets: Sequence[Target], run: JobRun, aws: Aws, sleep: Callable[[float], None]) -> list[str]:
    """Deliver the run's message to every target; returns a warning per target it could not reach."""
    return send_message(targets, *message(run), aws, sleep)


def send_message(targets: Sequence[Target], subject: str, body: dict[str, Any], aws: Aws,
                 sleep: Callable[[float], None]) -> list[str]:
    warnings = []
    for target in targets:
        try:
            if target.kind == "sns":
                call(aws.client("sns", target.region), "publish", TopicArn=target.address, Subject=subject,
                     Message=json.dumps(body, sort_keys=True, default=str))
            else:
                post(target.address, body, sleep)
        except Exception as exc:  # noqa: BLE001 - a notification never fails the run
            warnings.append(f"notification to {target}: not delivered: {describe(exc)}")
    return warnings


def post(url: str, body: dict[str, Any], sleep: Callable[[float], None], attempts: int = ATTEMPTS) -> int:
    """POST `body` as JSON; returns the attempts it took. DeliveryError after a 4xx or the last attempt."""
    data = json.dumps(body, sort_keys=True, default=str).encode()
    delay = BACKOFF
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(url, data=data, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": f"lambda-ark/{version()}"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - the policy's URL
                response.read()
            return attempt
        except urllib.error.HTTPError as exc:
            why = f"HTTP {exc.code} {one_line(exc.reason or '')}".strip()
            if 400 <= exc.code < 500:
                raise DeliveryError(f"{why} (a 4xx is not retried)") from exc
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            why = one_line(str(getattr(exc, "reason", exc)))
        if attempt < attempts:
            sleep(delay)
            delay *= 2
    raise DeliveryError(f"{why} after {attempts} attempts")
