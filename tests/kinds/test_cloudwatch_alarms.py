"""CloudWatch alarms with a function among their actions: a missing alarm is recreated whole, an
existing one gets only this function's actions re-pointed (in their places), in place and in
another region."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kindtest import ACCOUNT, actions, applied, record_of

from lambda_ark.aws import Aws
from lambda_ark.kinds import cloudwatch_alarms as kind
from lambda_ark.restore.arns import ArnMapper

A, B = "sa-east-1", "mx-central-1"
METRIC = {"MetricName": "Errors", "Namespace": "AWS/Lambda", "Statistic": "Sum", "Period": 60,
          "EvaluationPeriods": 2, "Threshold": 3.0, "ComparisonOperator": "GreaterThanThreshold",
          "TreatMissingData": "notBreaching"}


def test_alarm_round_trip(
    aws: Aws, uid: Callable[[str], str], make_function: Callable[..., dict[str, Any]],
    region_ctx: Callable[..., Any], restore_ctx: Callable[..., Any],
) -> None:
    name, alarm = uid("alarmfn"), uid("alarm")
    fn = make_function(A, name)
    topic = f"arn:aws:sns:{A}:{ACCOUNT}:pager"
    aws.client("lambda", A).add_permission(
        FunctionName=name, StatementId="alarm", Action="lambda:InvokeFunction",
        Principal="lambda.alarms.cloudwatch.amazonaws.com", SourceArn=f"arn:aws:cloudwatch:{A}:{ACCOUNT}:alarm:{alarm}")
    cw = aws.client("cloudwatch", A)
    cw.put_metric_alarm(AlarmName=alarm, AlarmActions=[fn["FunctionArn"], topic], OKActions=[topic],
                        Dimensions=[{"Name": "FunctionName", "Value": name}], Tags=[{"Key": "team", "Value": "ops"}],
                        **METRIC)
    ctx = region_ctx(A)
    data = kind.capture(ctx, kind.discover(ctx), fn)
    assert data is not None and not ctx.warnings
    (entry,) = data
    assert entry["alarm"]["AlarmActions"] == [fn["FunctionArn"], topic] and entry["tags"] == [
        {"Key": "team", "Value": "ops"}]
    record = record_of(fn, A)

    assert actions(applied(kind, restore_ctx(ArnMapper()), record, data)) == ["unchanged"]  # order kept
    cw.put_metric_alarm(AlarmName=alarm, AlarmActions=[topic], OKActions=[topic], Threshold=9.0,
                        **{k: v for k, v in METRIC.items() if k != "Threshold"})
    assert actions(applied(kind, restore_ctx(ArnMapper()), record, data)) == ["update"]
    (live,) = cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    assert live["AlarmActions"] == [topic, fn["FunctionArn"]] and live["Threshold"] == 9.0  # only actions change
    assert actions(applied(kind, restore_ctx(ArnMapper()), record, data)) == ["unchanged"]

    make_function(B, name)
    mapper = ArnMapper(region_map={A: B})
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["create"]
    (live,) = aws.client("cloudwatch", B).describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    assert live["AlarmActions"] == [f"arn:aws:lambda:{B}:{ACCOUNT}:function:{name}", f"arn:aws:sns:{B}:{ACCOUNT}:pager"]
    assert live["Threshold"] == 3.0 and live["TreatMissingData"] == "notBreaching"
    assert actions(applied(kind, restore_ctx(mapper), record, data)) == ["unchanged"]


def test_to_iac() -> None:
    (res,) = kind.to_iac({}, [{"name": "a", "arn": "x", "type": "composite", "tags": [],
                               "alarm": {"AlarmName": "a", "AlarmRule": "ALARM(b)"}}])
    assert res["Type"] == "AWS::CloudWatch::CompositeAlarm"
