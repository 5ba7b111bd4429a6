"""Zone-scoped access: lambda-ark's bucket-policy statements, merged with others, explained, enforced.

Failure first: bad input, a policy that would lock the caller out or deny every request over plain
HTTP, then the happy path on the embedded endpoint, where bucket policies are enforced (see
tests/embedded/test_s3_bucket_policies.py): the policy round-trips as written, an unlisted principal
is denied, a listed one and the break-glass role get in over TLS.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.exceptions
import pytest
from tests.https_endpoint import start_https

from lambda_ark.access import Zones, cors_rules, explain, merge, statements
from lambda_ark.access.rules import PRINCIPALS, TLS, ZONES
from lambda_ark.aws import Aws
from lambda_ark.embedded import Endpoint
from lambda_ark.errors import UsageError

from .conftest import CliResult, make_bucket

BREAK_GLASS = "arn:aws:iam::123456789012:role/lambda-ark-break-glass"
READER = "arn:aws:iam::123456789012:role/backup-reader"
OTHER = {"Sid": "Analytics", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/reports/*"}
_names = itertools.count()


@pytest.mark.parametrize(("zones", "message"), [
    (Zones(vpces=("vpc-123",), break_glass=BREAK_GLASS), "not a VPC endpoint id"),
    (Zones(cidrs=("10.0.0.0/33",), break_glass=BREAK_GLASS), "not an IP range"),
    (Zones(principals=("backup-reader",), break_glass=BREAK_GLASS), "give an IAM ARN"),
    (Zones(break_glass="nobody"), "give an IAM ARN"),
    (Zones(cors_origins=("http://ops.example.com",), break_glass=BREAK_GLASS), "https origin"),
    (Zones(cors_origins=("https://ops.example.com/report",), break_glass=BREAK_GLASS), "without a path"),
])
def test_bad_zones_are_usage_errors(zones: Zones, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        zones.validate()


def test_statements_deny_outside_zones_and_principals_but_never_the_break_glass_role() -> None:
    zones = Zones(vpces=("vpce-0123456789abcdef0",), cidrs=("198.51.100.0/24",), principals=(READER,),
                  break_glass=BREAK_GLASS)
    tls, where, who = statements("b", "ark/", zones)
    assert (tls["Sid"], where["Sid"], who["Sid"]) == (TLS, ZONES, PRINCIPALS)
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert where["Resource"] == ["arn:aws:s3:::b", "arn:aws:s3:::b/ark/*"]
    assert where["Condition"] == {"StringNotEquals": {"aws:SourceVpce": ["vpce-0123456789abcdef0"]},
                                  "NotIpAddress": {"aws:SourceIp": ["198.51.100.0/24"]},
                                  "ArnNotLike": {"aws:PrincipalArn": [BREAK_GLASS]}}
    assert who["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": sorted([READER, BREAK_GLASS])}}
    assert [s["Sid"] for s in statements("b", "", Zones(break_glass=BREAK_GLASS))] == [TLS]  # TLS always


def test_merge_keeps_other_statements_in_place_and_is_idempotent() -> None:
    first = {"Sid": "First", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "*"}
    current = {"Version": "2012-10-17", "Statement": [first, OTHER]}
    ours = statements("b", "", Zones(principals=(READER,), break_glass=BREAK_GLASS))
    merged = merge(current, ours)
    assert merged["Statement"] == [first, OTHER, *ours]
    assert merge(merged, ours) == merged  # applying again changes nothing
    fewer = statements("b", "", Zones(break_glass=BREAK_GLASS))
    assert merge(merged, fewer)["Statement"] == [first, OTHER, *fewer]  # ours replaced where they stood
    assert merge(None, ours) == {"Version": "2012-10-17", "Statement": ours}


def test_cors_rule_is_ours_alone_and_limited_to_the_origins() -> None:
    theirs = {"ID": "cdn", "AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}
    rules = cors_rules([theirs], ("https://ops.example.com",))
    assert rules[0] == theirs and rules[1]["AllowedOrigins"] == ["https://ops.example.com"]
    assert set(rules[1]["AllowedMethods"]) == {"GET", "HEAD"}
    assert cors_rules(rules, ()) == [theirs]  # no origins: our rule goes, theirs stays


def test_explain_in_words() -> None:
    zones = Zones(vpces=("vpce-0123456789abcdef0",), cidrs=("198.51.100.0/24",), principals=(READER,),
                  break_glass=BREAK_GLASS, cors_origins=("https://ops.example.com",))
    policy = merge({"Statement": [OTHER]}, statements("b", "", zones))
    lines = explain(policy, cors_rules([], zones.cors_origins))
    assert lines[0] == "Every request without TLS is denied, whoever makes it."
    assert lines[1] == ("Requests are denied unless they come through VPC endpoint vpce-0123456789abcdef0 or from "
                        f"198.51.100.0/24; the break-glass role {BREAK_GLASS} is exempt.")
    assert lines[2] == f"Only {READER} or {BREAK_GLASS} may use the repository (every other principal is denied)."
    assert lines[3] == ("Also (Analytics, not lambda-ark's): arn:aws:iam::999999999999:root is allowed s3:GetObject "
                        "on arn:aws:s3:::b/reports/*.")
    assert lines[4] == "Browsers on https://ops.example.com may GET or HEAD objects for the report page."
    assert explain(None, [])[0].startswith("lambda-ark has set no access rules")


# -- on the embedded endpoint ---------------------------------------------------------------------

@pytest.fixture
def tls(endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """An HTTPS listener on the endpoint's state, trusted by the CLI (AWS_CA_BUNDLE); other AWS calls
    (STS, IAM) go to the plain endpoint."""
    url, ca, stop = start_https()
    monkeypatch.setenv("AWS_CA_BUNDLE", ca)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint.url)
    _as(monkeypatch, {"AccessKeyId": "testing", "SecretAccessKey": "testing"})
    yield url, ca
    stop()


def _as(monkeypatch: pytest.MonkeyPatch, key: dict[str, str]) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])


def _user(aws: Aws) -> tuple[str, dict[str, str]]:
    iam = aws.client("iam")
    name = f"ark-reader-{next(_names)}"
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return arn, key


def _s3(url: str, ca: str | None = None, key: dict[str, str] | None = None, token: str | None = None) -> Any:
    key = key or {"AccessKeyId": "testing", "SecretAccessKey": "testing"}
    session = boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                            aws_session_token=token)
    return session.client("s3", region_name="eu-west-1", endpoint_url=url, verify=ca or True)


def _code(call: Callable[..., Any], **kwargs: Any) -> str:
    try:
        call(**kwargs)
    except botocore.exceptions.ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return "ok"


def test_apply_refuses_what_would_lock_you_out(tls: tuple[str, str], aws: Aws, cli: Callable[..., CliResult]) -> None:
    https, _ = tls
    url = f"s3://{make_bucket(aws, 'eu-west-1')}/ark"
    res = cli("access", "apply", "--repo", url)  # over the plain-HTTP endpoint
    assert res.code == 2 and "plain HTTP" in res.err and "--force" in res.err, res.err
    res = cli("access", "apply", "--repo", url, "--s3-endpoint", https, "--allow-principal", READER)
    assert res.code == 2 and "are not among the allowed principals" in res.err, res.err
    res = cli("access", "apply", "--repo", url, "--s3-endpoint", https, "--allow-principal", READER, "--force",
              "--dry-run")
    assert res.code == 0 and "not among the allowed principals" in res.err and "dry run" in res.out
    res = cli("access", "apply", "--repo", "/tmp/not-s3")
    assert res.code == 2 and "S3 repositories" in res.err
    res = cli("access", "apply", "--repo", url, "--s3-endpoint", https, "--allow-vpce", "vpc-1")
    assert res.code == 2 and "not a VPC endpoint id" in res.err
    assert _code(aws.client("s3", "eu-west-1").get_bucket_policy, Bucket=url[5:].split("/")[0]) == "NoSuchBucketPolicy"


def test_apply_round_trips_preserves_others_and_is_enforced(tls: tuple[str, str], aws: Aws, endpoint: Endpoint,
                                                             cli: Callable[..., CliResult],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    https, ca = tls
    bucket = make_bucket(aws, "eu-west-1")
    s3 = aws.client("s3", "eu-west-1")
    s3.put_object(Bucket=bucket, Key="ark/config", Body=b"c")
    other = dict(OTHER, Resource=f"arn:aws:s3:::{bucket}/reports/*")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [other]}))
    reader_arn, reader_key = _user(aws)
    _, stranger_key = _user(aws)
    _as(monkeypatch, reader_key)  # the CLI runs as the reader, over TLS
    url = f"s3://{bucket}/ark"
    args = ("access", "apply", "--repo", url, "--s3-endpoint", https, "--allow-principal", reader_arn,
            "--allow-cidr", "127.0.0.0/8", "--cors-origin", "https://ops.example.com")

    dry = cli(*args, "--dry-run")
    added = [line for line in dry.out.splitlines() if line.startswith("+") and PRINCIPALS in line]
    assert dry.code == 0 and added and "dry run: nothing written" in dry.out, dry.err
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"] == [other]

    res = cli(*args, "--json")
    assert res.code == 0, res.err
    written = json.loads(res.out)["policy"]
    stored = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])  # the owner's root may always read it
    assert stored == written and stored["Statement"][0] == other  # as written; the other statement kept
    assert [st["Sid"] for st in stored["Statement"][1:]] == [TLS, ZONES, PRINCIPALS]

    again = cli(*args)
    assert again.code == 0 and "nothing to change" in again.out, again.err

    shown = cli("access", "show", "--repo", url, "--s3-endpoint", https)
    assert shown.code == 0 and "Every request without TLS is denied" in shown.out, shown.err
    assert f"Only arn:aws:iam::123456789012:role/lambda-ark-break-glass or {reader_arn} may use" in shown.out
    assert "Also (Analytics, not lambda-ark's)" in shown.out
    assert "Browsers on https://ops.example.com may GET or HEAD objects for the report page." in shown.out

    # Enforced: plain HTTP is refused to all, TLS lets the listed reader in, not a stranger.
    assert _code(_s3(endpoint.url, key=reader_key).get_object, Bucket=bucket, Key="ark/config") == "AccessDenied"
    assert _code(_s3(https, ca, reader_key).get_object, Bucket=bucket, Key="ark/config") == "ok"
    assert _code(_s3(https, ca, stranger_key).get_object, Bucket=bucket, Key="ark/config") == "AccessDenied"
    assert _code(_s3(https, ca, stranger_key).list_objects_v2, Bucket=bucket) == "AccessDenied"


def test_break_glass_role_gets_in_from_outside_the_zones(tls: tuple[str, str], aws: Aws,
                                                         cli: Callable[..., CliResult]) -> None:
    https, ca = tls
    bucket = make_bucket(aws, "eu-west-1")
    aws.client("s3", "eu-west-1").put_object(Bucket=bucket, Key="ark/config", Body=b"c")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]})
    role = aws.client("iam").create_role(RoleName=f"glass-{next(_names)}", AssumeRolePolicyDocument=trust)["Role"]
    reader_arn, reader_key = _user(aws)
    res = cli("access", "apply", "--repo", f"s3://{bucket}/ark", "--s3-endpoint", https, "--allow-vpce",
              "vpce-0123456789abcdef0", "--allow-principal", reader_arn, "--break-glass-role", role["Arn"], "--force")
    assert res.code == 0, res.err
    # no request comes through a VPC endpoint here: everyone but the break-glass role is outside the zone
    assert _code(_s3(https, ca, reader_key).get_object, Bucket=bucket, Key="ark/config") == "AccessDenied"
    creds = aws.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="incident")["Credentials"]
    glass = _s3(https, ca, creds, creds["SessionToken"])
    assert glass.get_object(Bucket=bucket, Key="ark/config")["Body"].read() == b"c"
