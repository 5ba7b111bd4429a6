"""EventBridge Pipes: a pipe naming a function as enrichment or target comes back whole, in place and
in another region; a pipe naming two restored functions is written once; a same-named pipe reading
from another source is not taken over."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kindtest import ACCOUNT, ROLE, actions, applied, planned, record_of

from lambda_ark.aws import Aws
from lambda_ark.kinds import pipes as kind
from lambda_ark.restore.arns import ArnMapper

A, B = "af-south-1", "us-west-1"


def _queue(aws: Aws, region: str, name: str) -> str:
    sqs = aws.client("sqs", region)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def test_round_trip_in_place_and_into_another_region(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    enrich, target, pipe, queue = uid("enrich"), uid("target"), uid("pipe"), uid("q")
    fe, ft = make_function(A, enrich), make_function(A, target)
    source = _queue(aws, A, queue)
    client = aws.client("pipes", A)
    client.create_pipe(Name=pipe, RoleArn=ROLE, Source=source, SourceParameters={"SqsQueueParameters": {
        "BatchSize": 5}}, Enrichment=fe["FunctionArn"], Target=ft["FunctionArn"], TargetParameters={
        "LambdaFunctionParameters": {"InvocationType": "FIRE_AND_FORGET"}}, DesiredState="STOPPED",
        Description="orders", Tags={"team": "a"})
    ctx = region_ctx(A)
    index = kind.discover(ctx)
    data_e, data_t = kind.capture(ctx, index, fe), kind.capture(ctx, index, ft)
    assert data_e == data_t and data_e is not None
    (entry,) = data_e
    assert entry["pipe"]["DesiredState"] == "STOPPED" and entry["pipe"]["Tags"] == {"team": "a"}
    assert entry["pipe"]["SourceParameters"] == {"SqsQueueParameters": {"BatchSize": 5}}
    rec_e, rec_t = record_of(fe, A), record_of(ft, A)

    client.delete_pipe(Name=pipe)
    ctx_r = restore_ctx(ArnMapper())
    both = planned(kind, ctx_r, rec_e, data_e) + planned(kind, ctx_r, rec_t, data_t)
    assert actions(both) == ["create", "create"]
    from lambda_ark.restore.apply import _apply_change
    assert [_apply_change(c, False).action for c in both] == ["create", "create"]  # one pipe, written once
    live = client.describe_pipe(Name=pipe)
    assert (live["Enrichment"], live["Target"], live["DesiredState"]) == (fe["FunctionArn"], ft["FunctionArn"],
                                                                         "STOPPED")
    assert actions(applied(kind, restore_ctx(ArnMapper()), rec_e, data_e)) == ["unchanged"]

    # another region, with its own queue of the same name
    _queue(aws, B, queue)
    make_function(B, enrich), make_function(B, target)
    mapper = ArnMapper(region_map={A: B})
    assert actions(applied(kind, restore_ctx(mapper), rec_t, data_t)) == ["create"]
    live = aws.client("pipes", B).describe_pipe(Name=pipe)
    assert live["Source"] == f"arn:aws:sqs:{B}:{ACCOUNT}:{queue}"
    assert live["Target"] == f"arn:aws:lambda:{B}:{ACCOUNT}:function:{target}"
    assert actions(applied(kind, restore_ctx(mapper), rec_e, data_e)) == ["unchanged"]


def test_changed_pipe_is_updated_and_another_source_is_refused(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, pipe = uid("pipefn"), uid("pipe")
    fn = make_function(A, name)
    source, other = _queue(aws, A, uid("q")), _queue(aws, A, uid("q"))
    client = aws.client("pipes", A)
    client.create_pipe(Name=pipe, RoleArn=ROLE, Source=source, Target=fn["FunctionArn"], Description="one")
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    client.update_pipe(Name=pipe, RoleArn=ROLE, Description="two")
    (change,) = applied(kind, restore_ctx(ArnMapper()), record_of(fn, A), data)
    assert (change.action, change.fields) == ("update", ["Description"])
    assert client.describe_pipe(Name=pipe)["Description"] == "one"

    client.delete_pipe(Name=pipe)
    client.create_pipe(Name=pipe, RoleArn=ROLE, Source=other, Target=fn["FunctionArn"])
    (change,) = planned(kind, restore_ctx(ArnMapper()), record_of(fn, A), data)
    assert change.action == "failed" and "cannot be changed" in change.detail


def test_to_iac() -> None:
    (res,) = kind.to_iac({}, [{"name": "p", "arn": "a", "pipe": {"Source": "s", "Target": "t", "RoleArn": "r"}}])
    assert res["Type"] == "AWS::Pipes::Pipe" and res["Properties"]["Name"] == "p"
