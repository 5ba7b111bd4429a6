"""Checks of single policy values (durations, ARNs, URLs, regions): pure, each naming what it expected.

They raise ValueError, which pydantic reports at the value's place in the file.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from ..backup_guard import parse_max_deleted
from ..errors import UsageError
from ..repository.policy import parse_duration
from ..selection import validate_globs
from .schedule import parse_schedule

JOB_NAME = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"
ACCOUNT_ID = r"^[0-9]{12}$"
_ROLE_ARN = re.compile(r"arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role/([\w+=,.@/-]{1,512})")
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")
_SNS_ARN = re.compile(r"arn:(aws|aws-cn|aws-us-gov):sns:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):([\w-]{1,256}(?:\.fifo)?)")
_QUEUE_PATH = re.compile(r"/(\d{12})/([\w-]{1,80}(?:\.fifo)?)")
_RPO_UNITS = {"s": 1, "sec": 1, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def schedule(text: str) -> str:
    parse_schedule(text)  # ScheduleError is a ValueError naming what was expected
    return " ".join(text.split())


def keep_within(text: str) -> str:
    try:
        parse_duration(text)
    except UsageError as exc:
        raise ValueError(str(exc)) from None
    return text


def rpo(text: str) -> str:
    rpo_seconds(text)
    return text


def rpo_seconds(text: str) -> int:
    """'2h', '90min', '1d12h', '30s' -> seconds. `m` alone is refused: minutes or months?"""
    compact = re.sub(r"\s", "", str(text).lower())
    parts = re.findall(r"(\d+)([a-z]+)", compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"bad duration {text!r}: expected a number and a unit (s, min, h, d, w), e.g. 2h or 90min")
    total = 0
    for number, unit in parts:
        if unit == "m":
            raise ValueError(f"bad duration {text!r}: 'm' is ambiguous here; write min for minutes, e.g. 30min")
        if unit not in _RPO_UNITS:
            raise ValueError(f"bad duration {text!r}: unit {unit!r}, expected s, min, h, d or w")
        total += int(number) * _RPO_UNITS[unit]
    if total < 60:
        raise ValueError(f"bad duration {text!r}: expected at least one minute")
    return total


def max_deleted(text: str | float) -> str:
    try:
        parse_max_deleted(str(text))
    except UsageError as exc:
        raise ValueError(str(exc).replace("--max-deleted", "max_deleted")) from None
    return str(text)


def globs(names: list[str]) -> list[str]:
    try:
        return validate_globs(names)
    except UsageError as exc:
        raise ValueError(str(exc)) from None


@functools.cache
def known_regions() -> frozenset[str]:
    import boto3

    session = boto3.session.Session(region_name="us-east-1")
    return frozenset(session.get_available_regions("lambda")) | {"us-east-1"}


def region(name: str) -> str:
    if name not in known_regions():
        raise ValueError(f"unknown region {name!r}: expected a region name such as eu-west-1")
    return name


def role_arn(text: str) -> str:
    if not _ROLE_ARN.fullmatch(text):
        raise ValueError(f"bad role ARN {text!r}: expected arn:aws:iam::<12-digit account>:role/<name>")
    return text


def role_account(arn: str) -> str:
    m = _ROLE_ARN.fullmatch(arn)
    if not m:
        raise ValueError(f"bad role ARN {arn!r}")
    return m.group(2)


def role_name(text: str) -> str:
    if not _ROLE_NAME.fullmatch(text):
        raise ValueError(f"bad role name {text!r}: expected 1-64 letters, digits and + = , . @ _ -")
    return text


def repository_url(text: str) -> str:
    text = text.strip()
    scheme = text.split("://", 1)[0] if "://" in text else "file"
    if not text or scheme not in ("file", "s3", "memory"):
        raise ValueError(f"bad repository URL {text!r}: expected /path, file:///path or s3://bucket/prefix")
    if scheme == "s3" and not text[len("s3://"):].split("/", 1)[0]:
        raise ValueError(f"bad repository URL {text!r}: expected s3://bucket/prefix")
    return text


@dataclass(frozen=True)
class Target:
    """Where one notification goes: an SNS topic or a webhook."""

    kind: str  # "sns" | "webhook"
    address: str  # topic ARN or URL

    @property
    def region(self) -> str:
        m = _SNS_ARN.fullmatch(self.address)
        return m.group(2) if m else ""

    def __str__(self) -> str:
        return f"sns:{self.address}" if self.kind == "sns" else self.address


def snapshot_tag(text: str) -> str:
    from ..repository.models import STATUS_TAGS

    if not re.fullmatch(r"[^\s,]{1,128}", text) or text in STATUS_TAGS or text.startswith("job:"):
        raise ValueError(f"bad snapshot tag {text!r}: expected a label without spaces or commas, neither "
                         f"{', '.join(sorted(STATUS_TAGS))} nor job:… (lambda-ark sets those)")
    return text


def notify_target(text: str) -> Target:
    """`sns:<topic ARN>` (or the bare ARN), or an https:// webhook URL (http:// is allowed, but warned of)."""
    address = text[len("sns:"):] if text.startswith("sns:") else text
    if address.startswith("arn:"):
        if not _SNS_ARN.fullmatch(address):
            raise ValueError(f"bad SNS topic {text!r}: expected sns:arn:aws:sns:<region>:<12-digit account>:<topic>")
        return Target("sns", address)
    parts = urlsplit(text)
    if parts.scheme in ("https", "http") and parts.netloc:
        return Target("webhook", text)
    raise ValueError(f"bad notify target {text!r}: expected sns:arn:aws:sns:<region>:<account>:<topic> or an "
                     "https:// webhook URL")


def notify(text: str) -> str:
    notify_target(text)
    return text


def queue_url(text: str) -> str:
    """An SQS queue URL: https://sqs.<region>.amazonaws.com/<account>/<name> (any endpoint's host)."""
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.netloc or not _QUEUE_PATH.fullmatch(parts.path):
        raise ValueError(f"bad SQS queue URL {text!r}: expected https://sqs.<region>.amazonaws.com/<account>/<queue>")
    return text


def queue_region(url: str) -> str | None:
    """The region an SQS queue URL names in its host (None for a custom endpoint's URL)."""
    host = urlsplit(url).netloc.split(":")[0]
    m = re.fullmatch(r"sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?|([a-z0-9-]+)\.queue\.amazonaws\.com", host)
    return (m.group(1) or m.group(2)) if m else None


def recapture(days: int) -> timedelta | None:
    return timedelta(days=days) if days else None
