"""Settings that hang off a function beside its configuration: code signing, recursive loop
detection, runtime management. Each is captured, survives the snapshot, comes back in another region
and in place after drift, and a repeated restore changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ownaccount import backup, create_function, not_unchanged, own_account, restore
from tests.faulty_proxy import FaultyProxy, Rule

from lambda_ark import embedded
from lambda_ark.aws import Aws
from lambda_ark.backup import BackupOptions, run_backup
from lambda_ark.kinds import KINDS
from lambda_ark.repository import Repository
from lambda_ark.restore.apply import RestoreOptions

SRC, DST = "me-central-1", "me-south-1"


def _profile(region: str, account: str) -> str:
    return f"arn:aws:signer:{region}:{account}:/signing-profiles/release/v1"


def _runtime(region: str) -> str:
    return f"arn:aws:lambda:{region}::runtime:0cdcfbdefbc5e7d3343f73c2e2dd3cba17d61dea0686b404502a0c9ce83931b9"


def _build(own: Aws) -> str:
    """Two functions sharing one enforcing config, one pinned to a runtime and allowed to loop."""
    lam = own.client("lambda", SRC)
    account = own.account_id()
    csc = lam.create_code_signing_config(
        Description="release builds", AllowedPublishers={"SigningProfileVersionArns": [_profile(SRC, account)]},
        CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"}, Tags={"owner": "sec"},
    )["CodeSigningConfig"]["CodeSigningConfigArn"]
    create_function(own, SRC, "signed-a", CodeSigningConfigArn=csc)
    create_function(own, SRC, "signed-b")
    lam.put_function_code_signing_config(FunctionName="signed-b", CodeSigningConfigArn=csc)
    lam.put_function_recursion_config(FunctionName="signed-a", RecursiveLoop="Allow")
    lam.put_runtime_management_config(FunctionName="signed-a", UpdateRuntimeOn="Manual",
                                      RuntimeVersionArn=_runtime(SRC))
    return str(csc)


def test_new_kinds_sit_right_after_what_they_attach_to() -> None:
    names = [k.NAME for k in KINDS]
    assert names.index("function") < names.index("recursion") < names.index("versions")
    assert names.index("function") < names.index("runtime_management") < names.index("versions")
    assert names.index("versions") < names.index("code_signing") < names.index("aliases")


def test_settings_round_trip_into_another_region_and_in_place(aws: Aws, tmp_path: Path) -> None:
    own = own_account(aws)
    account = own.account_id()
    csc = _build(own)
    repo, result = backup(own, tmp_path, SRC)
    assert result.errors == [] and result.warnings == []
    records = {r["name"]: r["items"] for r in repo.load_snapshot("latest").body["functions"]}
    a, b = records["signed-a"], records["signed-b"]
    assert a["code_signing"] == b["code_signing"] == {
        "arn": csc, "description": "release builds", "allowed_publishers": [_profile(SRC, account)],
        "policies": {"UntrustedArtifactOnDeployment": "Enforce"}, "tags": {"owner": "sec"}}
    assert (a["recursion"], b["recursion"]) == ({"RecursiveLoop": "Allow"}, {"RecursiveLoop": "Terminate"})
    assert a["runtime_management"] == {"UpdateRuntimeOn": "Manual", "RuntimeVersionArn": _runtime(SRC)}
    assert b["runtime_management"] == {"UpdateRuntimeOn": "Auto"}
    # the shared config was read once for both functions
    assert own.calls["lambda.GetCodeSigningConfig"] == 1

    moved = RestoreOptions(to_region=DST)
    plan = restore(own, repo, moved, dry_run=True)
    assert plan.failed == [] and {c.action for c in plan.changes if c.kind == "code_signing"} == {"create"}
    settings = {(c.kind, c.target.split()[0]): c.action for c in plan.changes
                if c.kind in ("recursion", "runtime_management")}
    assert settings == {("recursion", "signed-a"): "create", ("runtime_management", "signed-a"): "create",
                        # a new function gets AWS's defaults: nothing to put
                        ("recursion", "signed-b"): "unchanged", ("runtime_management", "signed-b"): "unchanged"}
    applied = restore(own, repo, moved)
    assert applied.failed == [], applied.failed
    lam = own.client("lambda", DST)
    (target_csc,) = lam.list_code_signing_configs()["CodeSigningConfigs"]  # one config, shared again
    assert target_csc["AllowedPublishers"]["SigningProfileVersionArns"] == [_profile(DST, account)]
    assert target_csc["CodeSigningPolicies"] == {"UntrustedArtifactOnDeployment": "Enforce"}
    assert lam.list_tags(Resource=target_csc["CodeSigningConfigArn"])["Tags"] == {"owner": "sec"}
    for name in ("signed-a", "signed-b"):
        got = lam.get_function_code_signing_config(FunctionName=name)
        assert got["CodeSigningConfigArn"] == target_csc["CodeSigningConfigArn"]
    assert lam.get_function_recursion_config(FunctionName="signed-a")["RecursiveLoop"] == "Allow"
    runtime = lam.get_runtime_management_config(FunctionName="signed-a")
    assert (runtime["UpdateRuntimeOn"], runtime["RuntimeVersionArn"]) == ("Manual", _runtime(DST))
    assert not_unchanged(restore(own, repo, moved)) == []

    # in place, after drift: settings put back, the config re-pointed, nothing removed
    src = own.client("lambda", SRC)
    src.put_function_recursion_config(FunctionName="signed-a", RecursiveLoop="Terminate")
    src.put_runtime_management_config(FunctionName="signed-a", UpdateRuntimeOn="Auto")
    src.delete_function_code_signing_config(FunctionName="signed-b")
    in_place = RestoreOptions()
    applied = restore(own, repo, in_place)
    assert applied.failed == [], applied.failed
    assert sorted((c.kind, c.target.split()[0]) for c in applied.changes if c.action == "update") == [
        ("recursion", "signed-a"), ("runtime_management", "signed-a")]
    assert src.get_function_recursion_config(FunctionName="signed-a")["RecursiveLoop"] == "Allow"
    assert src.get_runtime_management_config(FunctionName="signed-a")["RuntimeVersionArn"] == _runtime(SRC)
    assert src.get_function_code_signing_config(FunctionName="signed-b")["CodeSigningConfigArn"] == csc  # reused
    assert len(src.list_code_signing_configs()["CodeSigningConfigs"]) == 1
    assert not_unchanged(restore(own, repo, in_place)) == []


def test_a_config_the_snapshot_lacks_is_left_in_place(aws: Aws, tmp_path: Path) -> None:
    own = own_account(aws)
    create_function(own, SRC, "plain")
    repo, _ = backup(own, tmp_path, SRC)
    lam = own.client("lambda", SRC)
    csc = lam.create_code_signing_config(AllowedPublishers={"SigningProfileVersionArns": [
        _profile(SRC, own.account_id())]})["CodeSigningConfig"]["CodeSigningConfigArn"]
    lam.put_function_code_signing_config(FunctionName="plain", CodeSigningConfigArn=csc)
    assert restore(own, repo, RestoreOptions()).failed == []
    assert lam.get_function_code_signing_config(FunctionName="plain")["CodeSigningConfigArn"] == csc


@pytest.fixture
def proxy(endpoint: embedded.Endpoint) -> Iterator[FaultyProxy]:
    p = FaultyProxy(upstream=endpoint.url)
    p.start()
    yield p
    p.stop()


def test_an_unavailable_api_is_a_warning_not_a_failure(aws: Aws, tmp_path: Path, proxy: FaultyProxy) -> None:
    own = own_account(aws)
    for name in ("old-1", "old-2"):
        create_function(own, SRC, name)
    missing = b'{"__type": "NotImplemented", "message": "not implemented here"}'
    proxy.rules.append(Rule("GET", r"/recursion-config", times=-1, status=501, body=missing))
    proxy.rules.append(Rule("GET", r"/runtime-management-config", times=-1, status=404, body=b"<html>404</html>"))
    url = f"http://127.0.0.1:{proxy._server.server_address[1]}"
    via = Aws(session=own.session, endpoint_url=url)
    repo = Repository.init(str(tmp_path / "repo"), password="pw", aws=via)
    result = run_backup(via, repo, BackupOptions(regions=[SRC], workers=1))  # one at a time: "asked once" is exact
    assert result.errors == []
    assert sum("get_function_recursion_config is not available" in w for w in result.warnings) == 1
    assert sum("get_runtime_management_config is not available" in w for w in result.warnings) == 1
    items = [r["items"] for r in repo.load_snapshot("latest").body["functions"]]
    assert all("recursion" not in i and "runtime_management" not in i for i in items)
    assert sum("/recursion-config" in seen for seen in proxy.seen) == 1  # asked once per region, not per function


def test_a_permission_missing_for_one_kind_fails_that_kind_once_not_the_functions(
    aws: Aws, tmp_path: Path, proxy: FaultyProxy
) -> None:
    own = own_account(aws)
    for name in ("den-1", "den-2"):
        create_function(own, SRC, name)
    denied = b'{"__type": "AccessDeniedException", "message": "not authorized to perform GetFunctionRecursionConfig"}'
    proxy.rules.append(Rule("GET", r"/recursion-config", times=-1, status=403, body=denied))
    via = Aws(session=own.session, endpoint_url=f"http://127.0.0.1:{proxy._server.server_address[1]}")
    repo = Repository.init(str(tmp_path / "repo"), password="pw", aws=via)
    result = run_backup(via, repo, BackupOptions(regions=[SRC], functions=["den-*"]))
    # the user's role lacks a permission: an error to fix (exit 3), named once, not per function
    assert result.partial and len(result.errors) == 1
    assert result.errors[0].startswith("recursion of den-1 and 1 more functions in ")
    assert "AccessDeniedException" in result.errors[0]
    assert result.functions == 2 and result.captured == 2  # everything else was read
