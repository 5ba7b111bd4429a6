"""A repository with a history worth reporting on: days of snapshots, triggers lost, a partial run,
an anomaly, drills passed and failed, audit events; every function holds a secret in its environment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lambda_ark.audit import Draft, append
from lambda_ark.drill.record import DrillRecord, FunctionOutcome, save
from lambda_ark.model import BackupBody, FunctionRecord
from lambda_ark.repository import Repository, Snapshot

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
SECRET = "sup3r-s3cret-DB-PASSWORD"
ACCOUNT = "111122223333"


def _fn(name: str, region: str, triggers: int) -> FunctionRecord:
    return FunctionRecord(
        account=ACCOUNT, region=region, name=name, arn=f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}",
        fingerprint=f"{name}-{triggers}",
        items={"function": {"config": {"Environment": {"Variables": {"DB_PASSWORD": SECRET}}}},
               "s3_notifications": [{"Id": f"n{i}"} for i in range(triggers)],
               "mappings": [{"UUID": "u1"}] if name.startswith("orders") else []},
    )


def build(repo: Repository) -> list[str]:
    """Ten days of nightly backups of two scopes; returns the snapshot ids, oldest first."""
    ids = []
    for day in range(10, 0, -1):
        when = NOW - timedelta(days=day)
        lost = day <= 3  # orders-api lost one S3 trigger three days ago
        fns = [_fn("orders-api", "eu-west-1", 1 if lost else 2), _fn("billing", "eu-west-1", 1)]
        if day > 5:
            fns.append(_fn("legacy", "eu-west-1", 0))  # deleted five days ago
        for scope, functions, tags in ((f"{ACCOUNT}/eu-west-1", fns, ["job:nightly"]),
                                       (f"{ACCOUNT}/us-east-1", [_fn("edge", "us-east-1", 0)], ["job:edge"])):
            if scope.endswith("us-east-1") and day < 4:
                continue  # the edge job stopped running: its RPO is blown
            status = (["partial"] if day == 7 and scope.endswith("west-1") else
                      ["anomaly"] if day == 5 and scope.endswith("west-1") else [])
            with repo.writer() as w:
                code = w.put_file(f"code of {scope} on day {day}".encode() * 200)
                ids.append(w.commit(Snapshot(
                    time=when, host="ci", tags=tags + status,
                    summary={"scope": scope, "bytes_added": 4000 + day, "errors": 1 if status == ["partial"] else 0},
                    body=BackupBody(functions=functions).model_dump(mode="json"), files={"code": code})))
    for day, status, rto in ((8, "passed", 95.0), (4, "failed", None), (1, "passed", 71.5)):
        start = NOW - timedelta(days=day, hours=-2)
        save(repo, DrillRecord(
            drill_id=f"d{day}", started=start, finished=start + timedelta(minutes=3), host="ci", snapshot=ids[-1],
            status=status, rto_seconds=rto,  # type: ignore[arg-type]
            functions=[FunctionOutcome(source="a/b/orders-api", target="orders-api-drill", qualifier="live",
                                       status="passed" if status == "passed" else "failed")]))
    for i, command in enumerate(["init", "backup", "prune"]):
        append(repo, Draft(command=command, outcome="error" if command == "prune" else "ok"), writer="feed",
               clock=lambda i=i: NOW - timedelta(hours=3 - i))
    return ids
