"""An estate to drill: Python functions (this interpreter's version, so the endpoint runs them) in
an account of each test's own, with a layer, environment, an alias `live`, an SQS mapping and
triggers production uses; a repository holding its backup; a way to damage what a snapshot holds."""

from __future__ import annotations

import io
import json
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.accounts import Account, own_account

from lambda_ark.aws import Aws
from lambda_ark.backup import BackupOptions, run_backup
from lambda_ark.repository import Repository, Snapshot

PY = f"python{sys.version_info.major}.{sys.version_info.minor}"
SRC, DST = "eu-west-1", "eu-central-1"
PASSWORD = "drill"

APP = """
import os
import shared

def handler(event, context):
    return {"table": os.environ["TABLE"], "shared": shared.VALUE, "order": event.get("order")}
"""


def package(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), text)
    return buf.getvalue()


@dataclass
class Estate:
    acct: Account
    repo: Repository
    queue_arn: str
    layer_arn: str

    @property
    def aws(self) -> Aws:
        return self.acct.aws

    def lam(self, region: str = SRC) -> Any:
        return self.aws.client("lambda", region)

    def function(self, name: str, handler: str = "app.handler", code: str = APP, layer: bool = True,
                 env: dict[str, str] | None = None, alias: bool = False, runtime: str = PY, **kwargs: Any) -> str:
        lam = self.lam()
        lam.create_function(
            FunctionName=name, Runtime=runtime, Role=self.acct.role_arn, Handler=handler,
            Code={"ZipFile": package({"app.py": code})}, Layers=[self.layer_arn] if layer else [],
            Environment={"Variables": {"TABLE": "orders", **(env or {})}}, Tags={"team": "drill"}, **kwargs,
        )
        if alias:
            lam.publish_version(FunctionName=name)
            lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
        return name

    def backup(self) -> str:
        result = run_backup(self.aws, self.repo, BackupOptions(regions=[SRC]))
        assert result.errors == [], result.errors
        return str(result.snapshot_id)

    def tamper(self, edit: Callable[[dict[str, Any]], None]) -> str:
        """A snapshot like the latest, with its body changed by `edit` (what a bad capture or a
        repair that dropped data would leave): restore and its re-plan see nothing wrong."""
        snap = self.repo.load_snapshot("latest")
        body = json.loads(json.dumps(snap.body))
        edit(body)
        with self.repo.writer() as w:
            return w.commit(Snapshot(time=datetime.now(UTC), host=snap.host, tags=["tampered"], parent=snap.id,
                                     summary=snap.summary, body=body, files=snap.files))


@pytest.fixture
def estate(aws: Aws, tmp_path: Path) -> Estate:
    acct = own_account(aws)
    lam = acct.aws.client("lambda", SRC)
    layer = lam.publish_layer_version(LayerName="shared", CompatibleRuntimes=[PY],
                                      Content={"ZipFile": package({"python/shared.py": "VALUE = 'from the layer'\n"})})
    sqs = acct.aws.client("sqs", SRC)
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    repo = Repository.init(str(tmp_path / "repo"), password=PASSWORD, aws=acct.aws)
    return Estate(acct, repo, queue, layer["LayerVersionArn"])


def record_of(body: dict[str, Any], name: str) -> dict[str, Any]:
    (rec,) = [r for r in body["functions"] if r["name"] == name]
    return rec


def drill_tagged(aws: Aws, region: str) -> list[str]:
    """Functions in `region` that carry the drill tag (what cleanup must leave none of)."""
    tagging = aws.client("resourcegroupstaggingapi", region)
    found = tagging.get_resources(ResourceTypeFilters=["lambda:function"],
                                  TagFilters=[{"Key": "lambda-ark:drill"}])["ResourceTagMappingList"]
    return sorted(r["ResourceARN"].split(":")[6] for r in found)


def leftovers(aws: Aws, region: str) -> dict[str, list[str]]:
    lam = aws.client("lambda", region)
    return {
        "functions": drill_tagged(aws, region),
        "layers": [layer["LayerName"] for layer in lam.list_layers()["Layers"] if "-drill-" in layer["LayerName"]],
        "mappings": [m["UUID"] for m in lam.list_event_source_mappings()["EventSourceMappings"]
                     if m["FunctionArn"].split(":")[6].endswith("-drill")],
    }


NOTHING_LEFT = {"functions": [], "layers": [], "mappings": []}
