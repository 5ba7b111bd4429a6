"""Dependents: state machines and other functions that name a function are recorded with it (show
lists them); a cross-region restore rewrites them only with --rewire-dependents, one plan line each,
and a second restore changes nothing. Invokers no kind covers are warned about (nothing invisible)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ownaccount import create_function, not_unchanged, own_account, restore, role_arn

from lambda_ark.aws import Aws
from lambda_ark.backup import BackupOptions, run_backup
from lambda_ark.kinds import referenced_by as kind
from lambda_ark.model import FunctionRecord
from lambda_ark.repository import Repository
from lambda_ark.restore.apply import RestoreOptions

SRC, OTHER, DST = "us-east-2", "us-west-1", "ca-central-1"


def _definition(*arns: str) -> str:
    states = {f"s{i}": {"Type": "Task", "Resource": arn, "Next": f"s{i + 1}"} for i, arn in enumerate(arns)}
    states[f"s{len(arns) - 1}"] = {"Type": "Task", "Resource": arns[-1], "End": True}
    return json.dumps({"StartAt": "s0", "States": states})


def test_link_is_pure_and_skips_self_references() -> None:
    def rec(name: str, region: str, **items: Any) -> FunctionRecord:
        return FunctionRecord(account="1" * 12, region=region, name=name, fingerprint="f",
                              arn=f"arn:aws:lambda:{region}:{'1' * 12}:function:{name}", items=items)

    worker = rec("worker", SRC, function={"config": {"Environment": {"Variables": {
        "SELF": f"arn:aws:lambda:{SRC}:{'1' * 12}:function:worker"}}}})
    caller = rec("caller", OTHER, function={"config": {"Environment": {"Variables": {
        "WORKER": f"arn:aws:lambda:{SRC}:{'1' * 12}:function:worker:live", "PLAIN": "hello"}}}},
                 invoke_config={"": {"DestinationConfig": {"OnFailure": {
                     "Destination": f"arn:aws:lambda:{SRC}:{'1' * 12}:function:worker"}}}})
    machine = {"type": "state_machine", "arn": "sm", "name": "flow", "region": "gone-1", "detail": "definition",
               "references": []}
    worker.items[kind.NAME] = [machine]  # from a region not read this run: kept
    kind.link([worker, caller], {"referenced_by.scanned": {SRC, OTHER}})
    entries = worker.items[kind.NAME]
    assert [(e["type"], e["name"], e["detail"]) for e in entries] == [
        ("destination", "caller", "OnFailure"), ("environment", "caller", "WORKER"), ("state_machine", "flow",
                                                                                      "definition")]
    assert entries[1]["references"] == [f"arn:aws:lambda:{SRC}:{'1' * 12}:function:worker:live"]
    assert kind.NAME not in caller.items  # nothing names caller; worker's own SELF is no dependent
    kind.link([worker, caller], {"referenced_by.scanned": {"gone-1"}})
    assert [e["type"] for e in worker.items[kind.NAME]] == ["destination", "environment"]


def test_dependents_are_recorded_shown_and_rewired_only_when_asked(aws: Aws, tmp_path: Path) -> None:
    own = own_account(aws)
    worker = create_function(own, SRC, "worker", Publish=True)["FunctionArn"]
    own.client("lambda", SRC).create_alias(FunctionName="worker", Name="live", FunctionVersion="1")
    create_function(own, OTHER, "caller",
                    Environment={"Variables": {"WORKER_FN": f"{worker}:live", "MODE": "do-not-print-me"}})
    own.client("lambda", OTHER).put_function_event_invoke_config(
        FunctionName="caller", DestinationConfig={"OnFailure": {"Destination": worker}})
    sfn = own.client("stepfunctions", SRC)
    sfn.create_state_machine(name="flow", roleArn=role_arn(own), definition=_definition(worker, f"{worker}:live"))
    # a function no kind covers may invoke it: AWS Config, and another account
    lam = own.client("lambda", SRC)
    lam.add_permission(FunctionName="worker", StatementId="config", Action="lambda:InvokeFunction",
                       Principal="config.amazonaws.com", SourceAccount=own.account_id())
    lam.add_permission(FunctionName="worker", StatementId="partner", Action="lambda:InvokeFunction",
                       Principal="444455556666")

    repo = Repository.init(str(tmp_path / "repo"), password="pw", aws=own)
    result = run_backup(own, repo, BackupOptions(regions=[SRC, OTHER]))
    assert result.errors == []
    lines = [f"invoked by config.amazonaws.com (account {own.account_id()}), not captured",
             "invoked by account 444455556666 (any source), not captured"]
    assert sorted(w for w in result.warnings if "not captured" in w) == sorted(
        f"function worker in {SRC}: {line}" for line in lines)
    records = {r["name"]: r for r in repo.load_snapshot("latest").body["functions"]}
    assert sorted(records["worker"]["not_captured"]) == sorted(lines)
    entries = records["worker"]["items"][kind.NAME]
    assert [(e["type"], e["name"]) for e in entries] == [("destination", "caller"), ("environment", "caller"),
                                                          ("state_machine", "flow")]
    assert "do-not-print-me" not in json.dumps(entries)  # only what names the function is kept
    assert kind.NAME not in records["caller"]["items"]

    # the lost region's state machine has a standby copy in DST, still naming the SRC function
    sfn_dst = own.client("stepfunctions", DST)
    standby = sfn_dst.create_state_machine(name="flow", roleArn=role_arn(own),
                                           definition=_definition(worker, f"{worker}:live"))["stateMachineArn"]
    options = RestoreOptions(functions=["worker"], regions=[SRC], to_region=DST)
    planned = restore(own, repo, options, dry_run=True)
    dependents = [c for c in planned.changes if c.kind == kind.NAME]
    assert [c.action for c in dependents] == ["skipped"] * 3
    assert all("--rewire-dependents" in c.detail for c in dependents)
    assert all(worker not in c.detail for c in dependents if "environment" in c.target)  # values are secrets
    assert restore(own, repo, options).failed == []
    assert json.loads(sfn_dst.describe_state_machine(stateMachineArn=standby)["definition"])["States"]["s0"][
        "Resource"] == worker  # not rewired without the option

    rewire = RestoreOptions(functions=["worker"], regions=[SRC], to_region=DST, rewire_dependents=True)
    applied = restore(own, repo, rewire)
    assert applied.failed == [], applied.failed
    assert sorted(c.action for c in applied.changes if c.kind == kind.NAME) == ["update"] * 3
    moved = f"arn:aws:lambda:{DST}:{own.account_id()}:function:worker"
    states = json.loads(sfn_dst.describe_state_machine(stateMachineArn=standby)["definition"])["States"]
    assert (states["s0"]["Resource"], states["s1"]["Resource"]) == (moved, f"{moved}:live")
    config = own.client("lambda", OTHER).get_function_configuration(FunctionName="caller")
    assert config["Environment"]["Variables"] == {"WORKER_FN": f"{moved}:live", "MODE": "do-not-print-me"}
    got = own.client("lambda", OTHER).get_function_event_invoke_config(FunctionName="caller")
    assert got["DestinationConfig"]["OnFailure"]["Destination"] == moved
    # the source region's own state machine is not the target's dependent: left as it was
    (source_sm,) = sfn.list_state_machines()["stateMachines"]
    assert worker in sfn.describe_state_machine(stateMachineArn=source_sm["stateMachineArn"])["definition"]
    assert not_unchanged(restore(own, repo, rewire)) == []
