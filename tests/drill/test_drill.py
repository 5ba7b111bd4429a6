"""Drills through the library: what a user sees when the input is wrong, when the restored code does
not run, when AWS says no or the drill is interrupted; then what a good drill leaves (a record, and
nothing else)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from tests.faulty_proxy import FaultyProxy, Rule

from lambda_ark import embedded
from lambda_ark.aws import Aws
from lambda_ark.drill import DrillOptions, drill_records, run_drill
from lambda_ark.drill import run as drill_run
from lambda_ark.drill import verify as drill_verify
from lambda_ark.drill.events import DrillEvent
from lambda_ark.errors import LambdaArkError, SnapshotNotFound, UsageError

from .conftest import DST, NOTHING_LEFT, SRC, Estate, leftovers, record_of

# -- wrong input: refused before anything is created ------------------------------------------------


def test_an_unknown_snapshot_or_an_empty_selection_creates_nothing(estate: Estate) -> None:
    estate.function("orders")
    estate.backup()
    with pytest.raises(SnapshotNotFound):
        run_drill(estate.aws, estate.repo, DrillOptions(snapshot="0bad"))
    with pytest.raises(LambdaArkError, match="no function matching --function 'nope-\\*'"):
        run_drill(estate.aws, estate.repo, DrillOptions(functions=["nope-*"]))
    with pytest.raises(UsageError, match="unknown target region"):
        run_drill(estate.aws, estate.repo, DrillOptions(to_region="mars-1"))
    assert leftovers(estate.aws, SRC) == NOTHING_LEFT
    assert drill_records(estate.repo) == ([], [])


def test_a_copy_never_replaces_a_function_that_exists(estate: Estate) -> None:
    estate.function("orders")
    estate.backup()
    estate.function("orders-drill", env={"TABLE": "production's own"})  # someone's real function
    with pytest.raises(UsageError, match=r"would replace functions that exist: orders-drill \(eu-west-1\)"):
        run_drill(estate.aws, estate.repo, DrillOptions())
    conf = estate.lam().get_function_configuration(FunctionName="orders-drill")
    assert conf["Environment"]["Variables"]["TABLE"] == "production's own"
    assert drill_records(estate.repo) == ([], [])


# -- what only running the restored code shows ----------------------------------------------------


def test_a_restored_function_whose_layer_is_missing_fails_the_drill(estate: Estate) -> None:
    estate.function("orders")
    estate.function("payments")
    estate.backup()

    def lose_layer(body: dict[str, Any]) -> None:  # the layer was not captured with the function
        rec = record_of(body, "orders")
        rec["items"].pop("layers")
        rec["items"]["function"]["config"].pop("Layers")

    estate.tamper(lose_layer)
    result = run_drill(estate.aws, estate.repo, DrillOptions(to_region=DST))
    by_source = {f.source.split("/")[-1]: f for f in result.record.functions}
    assert by_source["orders"].status == "failed"
    assert by_source["orders"].detail == ("Unhandled: Runtime.ImportModuleError: Unable to import module 'app': "
                                          "No module named 'shared'")
    assert by_source["payments"].status == "passed"
    # the restore itself was exact (the snapshot has no layer), so only invoking shows it
    assert result.record.problems == [] and set(result.record.verification) <= {"unchanged", "skipped"}
    assert not result.passed and result.record.status == "failed" and result.record.rto_seconds is None
    assert leftovers(estate.aws, DST) == NOTHING_LEFT


def test_a_restored_function_whose_environment_lost_a_variable_fails_the_drill(estate: Estate) -> None:
    estate.function("orders", env={"STAGE": "prod"})
    estate.backup()
    estate.tamper(lambda body: record_of(body, "orders")["items"]["function"]["config"]["Environment"]["Variables"]
                  .pop("TABLE"))
    result = run_drill(estate.aws, estate.repo, DrillOptions(to_region=DST))
    (outcome,) = result.record.functions
    assert outcome.status == "failed" and outcome.detail == "Unhandled: KeyError: 'TABLE'"
    assert "orders" not in json.dumps(result.as_dict()["functions"][0]["detail"])  # names the variable, not values
    records, _ = drill_records(estate.repo)
    assert [r.status for _, r in records] == ["failed"]


def test_an_expected_output_that_does_not_match_fails(estate: Estate, tmp_path: Any) -> None:
    estate.function("orders")
    estate.backup()
    good = DrillEvent(b'{"order": 7}', "order.json", {"order": 7, "shared": "from the layer"})
    bad = DrillEvent(b'{"order": 7}', "order.json", {"table": "invoices"})
    passed = run_drill(estate.aws, estate.repo, DrillOptions(events=[("orders", good)]))
    failed = run_drill(estate.aws, estate.repo, DrillOptions(events=[("ord*", bad)]))
    assert passed.passed and passed.record.functions[0].event == "order.json"
    assert failed.record.functions[0].detail == "the output does not match the expected output ($.table: differs)"


def test_a_function_that_aws_cannot_restore_is_not_restored_and_not_invoked(estate: Estate) -> None:
    estate.function("orders")
    estate.backup()
    estate.tamper(lambda body: record_of(body, "orders")["items"]["function"]["config"].update(
        Role="arn:aws:iam::000000000000:role/elsewhere"))  # another account's role: Lambda refuses it
    result = run_drill(estate.aws, estate.repo, DrillOptions())
    (outcome,) = result.record.functions
    assert outcome.status == "not-restored" and outcome.detail.startswith("function orders-drill (eu-west-1): ")
    assert outcome.invoke_seconds is None and result.record.status == "failed"


# -- AWS says no, the drill is interrupted ----------------------------------------------------------


@pytest.fixture
def proxy(endpoint: embedded.Endpoint) -> Iterator[FaultyProxy]:
    p = FaultyProxy(upstream=endpoint.url)
    p.start()
    yield p
    p.stop()


@pytest.mark.parametrize("fault", [
    Rule("POST", r"/invocations", times=-1, status=429),  # throttled, retries exhausted
    Rule("POST", r"/invocations", times=-1, truncate=True),  # the connection drops mid-answer
], ids=["throttled", "dropped"])
def test_an_invoke_that_does_not_get_through_fails_that_function(
    estate: Estate, proxy: FaultyProxy, fault: Rule, monkeypatch: pytest.MonkeyPatch
) -> None:
    estate.function("orders")
    estate.backup()
    proxy.rules.append(fault)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    via = Aws(session=estate.aws.session, endpoint_url=f"http://127.0.0.1:{proxy._server.server_address[1]}")
    result = run_drill(via, estate.repo, DrillOptions())
    (outcome,) = result.record.functions
    assert outcome.status == "failed" and outcome.detail.startswith("invoke failed: invoke in eu-west-1: ")
    assert fault.hits and not result.passed
    assert leftovers(estate.aws, SRC) == NOTHING_LEFT


def test_an_interrupted_drill_still_cleans_up_and_records_it(estate: Estate,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    estate.function("orders", alias=True)
    estate.function("payments")
    estate.backup()

    def ctrl_c(*args: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(drill_verify, "invoke", ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        run_drill(estate.aws, estate.repo, DrillOptions(to_region=DST))
    assert leftovers(estate.aws, DST) == NOTHING_LEFT
    ((_, record),), _ = drill_records(estate.repo)
    assert record.status == "interrupted" and record.cleanup.deleted
    assert not list(estate.repo.backend.list("locks/"))  # the repository lock went too


def test_what_cleanup_cannot_delete_is_in_the_record(estate: Estate, monkeypatch: pytest.MonkeyPatch) -> None:
    estate.function("orders")
    estate.backup()
    real = drill_run.cleanup_drill

    def half(aws: Aws, regions: list[str], drill: str | None = None, **kwargs: Any) -> Any:
        result = real(aws, regions, drill, **kwargs)
        result.failed.append("function orders-drill (eu-west-1): AccessDeniedException: not allowed")
        return result

    monkeypatch.setattr(drill_run, "cleanup_drill", half)
    result = run_drill(estate.aws, estate.repo, DrillOptions())
    assert result.passed  # the functions passed; what was left is reported, not hidden
    assert result.record.cleanup.failed == ["function orders-drill (eu-west-1): AccessDeniedException: not allowed"]


# -- the happy path: isolated, verified, measured, gone -------------------------------------------


def test_a_drill_runs_in_isolation_and_leaves_only_its_record(estate: Estate) -> None:
    lam = estate.lam()
    estate.function("orders", alias=True)
    estate.function("payments")
    lam.create_event_source_mapping(FunctionName="orders", EventSourceArn=estate.queue_arn, BatchSize=5)
    events = estate.aws.client("events", SRC)
    rule = events.put_rule(Name="nightly", ScheduleExpression="rate(1 day)")["RuleArn"]
    orders_arn = lam.get_function(FunctionName="orders")["Configuration"]["FunctionArn"]
    events.put_targets(Rule="nightly", Targets=[{"Id": "orders", "Arn": orders_arn}])
    lam.add_permission(FunctionName="orders", StatementId="nightly", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com", SourceArn=rule)
    estate.backup()

    kept = run_drill(estate.aws, estate.repo, DrillOptions(keep=True))
    drill_id = kept.record.drill_id
    copy = lam.get_function(FunctionName="orders-drill")
    assert copy["Tags"] == {"team": "drill", "lambda-ark:drill": drill_id}
    assert copy["Configuration"]["Layers"][0]["Arn"].split(":")[6] == f"shared-drill-{drill_id}"
    (mapping,) = lam.list_event_source_mappings(FunctionName="orders-drill")["EventSourceMappings"]
    assert mapping["State"] == "Disabled" and mapping["BatchSize"] == 5  # never takes production's messages
    assert [t["Arn"] for t in events.list_targets_by_rule(Rule="nightly")["Targets"]] == [orders_arn]
    assert kept.record.skipped == ["eventbridge orders-drill (eu-west-1): drill: rules default/nightly not wired, "
                                   "so production's events never reach the drill's copy"]
    from lambda_ark.drill import cleanup

    cleaned = cleanup(estate.aws, [SRC], drill_id)
    assert sorted(cleaned.deleted)[0].startswith("event source mapping") and not cleaned.failed
    assert leftovers(estate.aws, SRC) == NOTHING_LEFT

    estate.aws.client("sqs", DST).create_queue(QueueName="orders")  # the target region's own event source
    progress: list[str] = []
    result = run_drill(estate.aws, estate.repo, DrillOptions(to_region=DST), progress=progress.append)
    record = result.record
    assert result.passed and record.status == "passed"
    assert {f.target: (f.status, f.qualifier) for f in record.functions} == {
        "orders-drill (eu-central-1)": ("passed", "live"), "payments-drill (eu-central-1)": ("passed", "$LATEST")}
    assert record.rto_seconds == max(f.rto_seconds or 0 for f in record.functions) > 0
    assert all((f.restored_seconds or 0) < (f.rto_seconds or 0) for f in record.functions)
    assert set(record.verification) <= {"unchanged", "skipped"} and record.problems == []
    assert record.target["regions"] == [DST] and progress[0].startswith(f"drill {record.drill_id}: restoring 2")
    assert leftovers(estate.aws, DST) == NOTHING_LEFT
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["orders", "payments"]
    records, warnings = drill_records(estate.repo)
    assert warnings == [] and [(rid, r.drill_id) for rid, r in records][-1] == (result.record_id, record.drill_id)


def test_a_drill_into_a_scratch_account(estate: Estate, aws: Aws) -> None:
    from tests.accounts import own_account

    estate.function("orders")
    estate.backup()
    scratch = own_account(aws)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"AWS": estate.acct.id}}]}
    scratch.aws.client("iam").create_role(RoleName="drill", AssumeRolePolicyDocument=json.dumps(trust))
    role = f"arn:aws:iam::{scratch.id}:role/drill"
    result = run_drill(estate.aws, estate.repo, DrillOptions(role_arn=role, to_region=DST))
    assert result.passed and result.record.target["account"] == scratch.id
    assert leftovers(scratch.aws, DST) == NOTHING_LEFT
    assert estate.lam(DST).list_functions()["Functions"] == []  # nothing in the source account


def test_a_scratch_account_that_does_not_trust_the_source_is_refused(estate: Estate, aws: Aws) -> None:
    from tests.accounts import own_account

    from lambda_ark.errors import AwsError

    estate.function("orders")
    estate.backup()
    scratch = own_account(aws)  # its roles trust nobody here
    with pytest.raises(AwsError, match="AccessDenied"):
        run_drill(estate.aws, estate.repo, DrillOptions(role_arn=f"arn:aws:iam::{scratch.id}:role/fn"))
    assert drill_records(estate.repo) == ([], [])
