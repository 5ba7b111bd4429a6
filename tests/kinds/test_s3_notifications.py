"""S3 notifications: capture from a bucket, restore into another region's function, merge, fail cleanly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kindtest import ACCOUNT, actions, applied, planned, record_of

from lambda_ark.aws import Aws
from lambda_ark.kinds import s3_notifications as kind
from lambda_ark.restore.arns import ArnMapper, FunctionId

A, B = "eu-west-1", "eu-central-1"


IAC_RECORD = {"account": "1", "region": "r", "name": "f", "arn": "arn:aws:lambda:r:1:function:f", "items": {}}

def _bucket(aws: Aws, name: str, region: str = A) -> None:
    aws.client("s3", region).create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})


def test_round_trip_into_another_region(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, bucket, quiet, bucket_b = uid("s3fn"), uid("bkt"), uid("s3quiet"), uid("bkt-b")
    fn, other = make_function(A, name), make_function(A, quiet)
    lam = aws.client("lambda", A)
    lam.add_permission(FunctionName=name, StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{bucket}")
    _bucket(aws, bucket)
    s3 = aws.client("s3", A)
    queue = {"Id": "q", "QueueArn": f"arn:aws:sqs:{A}:{ACCOUNT}:q", "Events": ["s3:ObjectRemoved:*"]}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "QueueConfigurations": [queue],
        "LambdaFunctionConfigurations": [
            {"Id": "mine", "LambdaFunctionArn": fn["FunctionArn"], "Events": ["s3:ObjectCreated:*"],
             "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"},
                                                {"Name": "suffix", "Value": ".csv"}]}}},
            {"Id": "theirs", "LambdaFunctionArn": other["FunctionArn"], "Events": ["s3:ObjectRemoved:*"]},
        ],
    })

    ctx = region_ctx(A)
    index = kind.discover(ctx)
    data = kind.capture(ctx, index, fn)
    assert data == [{"bucket": bucket, "id": "mine", "function_arn": fn["FunctionArn"],
                     "events": ["s3:ObjectCreated:*"],
                     "filter": [{"name": "prefix", "value": "in/"}, {"name": "suffix", "value": ".csv"}]}]
    # `quiet` has a notification but no permission for S3: captured, with a warning
    assert kind.capture(ctx, index, other) is not None
    assert [w for w in ctx.warnings if quiet in w and "would not fire" in w]
    assert not [w for w in ctx.warnings if f"function:{name}" in w]

    # lose the trigger and the function; the function comes back (renamed) in B by hand
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "QueueConfigurations": [queue],
        "LambdaFunctionConfigurations": [
            {"Id": "theirs", "LambdaFunctionArn": other["FunctionArn"], "Events": ["s3:ObjectRemoved:*"]}]})
    lam.delete_function(FunctionName=name)
    restored = make_function(B, f"r-{name}")
    record = record_of(fn, A)
    # S3 notifies only functions in the bucket's region: the same bucket name cannot serve B
    unmapped = ArnMapper(region_map={A: B}, name_template="r-{name}", sources={FunctionId(ACCOUNT, A, name)})
    (change,) = applied(kind, restore_ctx(unmapped), record, data)
    assert change.action == "failed" and f"is in {A}" in change.detail
    _bucket(aws, bucket_b, B)
    s3.put_bucket_notification_configuration(Bucket=bucket_b, NotificationConfiguration={"QueueConfigurations": [
        {**queue, "QueueArn": f"arn:aws:sqs:{B}:{ACCOUNT}:q"}]})
    mapper = ArnMapper(region_map={A: B}, name_template="r-{name}", sources={FunctionId(ACCOUNT, A, name)},
                       explicit={f"arn:aws:s3:::{bucket}": f"arn:aws:s3:::{bucket_b}"})
    s3 = aws.client("s3", B)

    assert actions(planned(kind, restore_ctx(mapper), record, data)) == ["create"]
    assert "LambdaFunctionConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket_b)
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["create"]
    conf = s3.get_bucket_notification_configuration(Bucket=bucket_b)
    (mine,) = conf["LambdaFunctionConfigurations"]
    assert mine["Id"] == "mine" and mine["LambdaFunctionArn"] == restored["FunctionArn"]
    assert {r["Value"] for r in mine["Filter"]["Key"]["FilterRules"]} == {"in/", ".csv"}
    assert conf["QueueConfigurations"][0]["Id"] == "q"  # the queue entry survives the merge
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["unchanged"]


def test_changed_entry_is_updated_in_place(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, bucket = uid("s3upd"), uid("bkt")
    fn, other = make_function(A, name), make_function(A, uid("s3other"))
    _bucket(aws, bucket)
    s3 = aws.client("s3", A)
    entry = {"Id": "n", "LambdaFunctionArn": fn["FunctionArn"], "Events": ["s3:ObjectCreated:Put"]}
    theirs = {"Id": "o", "LambdaFunctionArn": other["FunctionArn"], "Events": ["s3:ObjectCreated:Copy"]}
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"LambdaFunctionConfigurations": [entry]})
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "LambdaFunctionConfigurations": [theirs, {**entry, "Events": ["s3:ObjectRemoved:*"]}]})
    changes = applied(kind, restore_ctx(ArnMapper()), record_of(fn, A), data)
    assert actions(changes) == ["update"]
    live = s3.get_bucket_notification_configuration(Bucket=bucket)["LambdaFunctionConfigurations"]
    assert sorted((e["Id"], e["Events"][0]) for e in live) == [
        ("n", "s3:ObjectCreated:Put"), ("o", "s3:ObjectCreated:Copy")]


def test_missing_bucket_fails_and_others_continue(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]], restore_ctx: Callable[..., Any],
) -> None:
    name, bucket = uid("s3gone"), uid("bkt")
    fn = make_function(A, name)
    _bucket(aws, bucket)
    entry = {"function_arn": fn["FunctionArn"], "events": ["s3:ObjectCreated:*"], "filter": []}
    data = [{"bucket": uid("never"), "id": "a", **entry}, {"bucket": bucket, "id": "b", **entry}]
    changes = applied(kind, restore_ctx(ArnMapper()), record_of(fn, A), data)
    assert actions(changes) == ["create", "failed"]
    assert "does not exist" in next(c.detail for c in changes if c.action == "failed")


def test_capture_costs_no_calls_per_function(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]], region_ctx: Callable[..., Any],
) -> None:
    fns = [make_function(A, uid("s3cost")) for _ in range(3)]
    ctx = region_ctx(A)
    index = kind.discover(ctx)
    before = sum(n for k, n in aws.calls.items() if k.startswith("s3."))
    assert all(kind.capture(ctx, index, fn) is None for fn in fns)
    assert sum(n for k, n in aws.calls.items() if k.startswith("s3.")) == before


def test_to_iac_one_configuration_per_event() -> None:
    data = [{"bucket": "b", "id": "x", "function_arn": "arn:aws:lambda:r:1:function:f",
             "events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"], "filter": [{"name": "prefix", "value": "p/"}]}]
    frag = kind.to_iac(IAC_RECORD, data)
    (res,) = frag.resources.values()
    assert res["Type"] == "AWS::S3::Bucket" and res["Properties"]["BucketName"] == {"Ref": next(iter(frag.parameters))}
    confs = res["Properties"]["NotificationConfiguration"]["LambdaConfigurations"]
    assert [c["Event"] for c in confs] == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
