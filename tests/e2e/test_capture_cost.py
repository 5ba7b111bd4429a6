"""A full capture makes no per-function call a region listing can answer: versions come from one
ListFunctions(ALL), code signing from the region's configs, provisioned concurrency is asked only of
functions with versions, and a layer version the previous snapshot holds is not read again."""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from pathlib import Path

from lambda_ark.aws import Aws
from lambda_ark.backup import BackupOptions, run_backup
from lambda_ark.repository import Repository

from .conftest import PASSWORD
from .isolated import make_functions, own_account

REGION = "ca-west-1"


def _layer_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("python/lib.py", "X = 1\n")
    return buf.getvalue()


def _delta(after: Counter[str], before: Counter[str]) -> Counter[str]:
    return Counter({k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)})


def test_a_full_capture_lists_what_it_can_once_per_region(aws: Aws, tmp_path: Path) -> None:
    acct = own_account(aws)
    names = [f"cost-{i}" for i in range(6)]
    make_functions(acct.aws, REGION, names)
    lam = acct.aws.client("lambda", REGION)
    for name in names[:2]:
        lam.publish_version(FunctionName=name)
    layer = lam.publish_layer_version(LayerName="lib", Content={"ZipFile": _layer_zip()})["LayerVersionArn"]
    lam.update_function_configuration(FunctionName=names[5], Layers=[layer])
    profile = f"arn:aws:signer:{REGION}:{acct.id}:/signing-profiles/cost/AbCdEf1234"
    csc = lam.create_code_signing_config(AllowedPublishers={"SigningProfileVersionArns": [profile]})
    for name in names[2:5]:
        lam.put_function_code_signing_config(FunctionName=name,
                                             CodeSigningConfigArn=csc["CodeSigningConfig"]["CodeSigningConfigArn"])
    repo = Repository.init(str(tmp_path / "repo"), password=PASSWORD, aws=aws)

    before = Counter(acct.aws.calls)
    first = run_backup(acct.aws, repo, BackupOptions(regions=[REGION]))
    assert first.ok, first.errors
    calls = _delta(acct.aws.calls, before)
    assert calls["lambda.ListVersionsByFunction"] == 0 and calls["lambda.ListFunctions"] == 2  # selection + ALL
    assert calls["lambda.GetFunctionCodeSigningConfig"] == 0
    assert (calls["lambda.ListCodeSigningConfigs"], calls["lambda.ListFunctionsByCodeSigningConfig"]) == (1, 1)
    assert calls["lambda.ListProvisionedConcurrencyConfigs"] == 2  # only the functions with versions
    assert calls["lambda.GetLayerVersion"] == 1
    per_function = {"lambda.GetFunctionRecursionConfig", "lambda.GetRuntimeManagementConfig", "lambda.ListAliases",
                    "lambda.ListFunctionUrlConfigs", "lambda.ListFunctionEventInvokeConfigs"}
    assert all(calls[c] == 6 for c in per_function)
    records = {r["name"]: r["items"] for r in repo.load_snapshot("latest").body["functions"]}
    assert [v["version"] for v in records[names[0]]["versions"]] == ["1"]
    assert "versions" not in records[names[3]]
    assert {n for n, items in records.items() if "code_signing" in items} == set(names[2:5])
    assert records[names[5]]["layers"][0]["arn"] == layer

    before = Counter(acct.aws.calls)
    again = run_backup(acct.aws, repo, BackupOptions(regions=[REGION], full=True))
    assert again.ok and again.captured == 6
    assert _delta(acct.aws.calls, before)["lambda.GetLayerVersion"] == 0  # immutable: taken from the snapshot
    assert {r["name"]: r["items"] for r in repo.load_snapshot("latest").body["functions"]} == records
