"""What a lambda-ark body keeps when stored files are lost: a pure rule, tested on a table."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_ark.model import BackupBody, FunctionRecord
from lambda_ark.snapshot_repair import drop_lost_files


def _fn(name: str, items: dict[str, Any]) -> dict[str, Any]:
    return FunctionRecord(account="111122223333", region="eu-west-1", name=name,
                          arn=f"arn:aws:lambda:eu-west-1:111122223333:function:{name}", fingerprint="f",
                          items=items).model_dump(mode="json")


def _body() -> dict[str, Any]:
    return BackupBody(functions=[
        _fn("orders", {"function": {"file": "code-o", "config": {"Timeout": 3}},
                       "versions": [{"version": "1", "file": "code-o1"}, {"version": "2", "file": "code-o"}],
                       "layers": [{"arn": "arn:layer:1", "file": "layer-1"}],
                       "aliases": [{"name": "live", "function_version": "1"}]}),
        _fn("billing", {"function": {"file": "code-b"}, "layers": [{"arn": "arn:layer:1", "file": "layer-1"}]}),
        _fn("image", {"function": {"image_uri": "123.dkr.ecr/x:1"}}),
    ], notes=["an earlier note"]).model_dump(mode="json")


CASES = [
    # (lost files, functions left with their kinds, notes)
    (set(), {"orders": ["aliases", "function", "layers", "versions"], "billing": ["function", "layers"],
             "image": ["function"]}, []),
    ({"code-o1"}, {"orders": ["aliases", "function", "layers"], "billing": ["function", "layers"],
                   "image": ["function"]},
     ["repair: dropped versions of 111122223333/eu-west-1/orders: file code-o1 is lost"]),
    ({"code-o"}, {"billing": ["function", "layers"], "image": ["function"]},
     ["repair: dropped function 111122223333/eu-west-1/orders: its code (file code-o) is lost"]),
    ({"layer-1", "code-b"}, {"orders": ["aliases", "function", "versions"], "image": ["function"]},
     ["repair: dropped layers of 111122223333/eu-west-1/orders: file layer-1 is lost",
      "repair: dropped function 111122223333/eu-west-1/billing: its code (file code-b) is lost"]),
    ({"unrelated"}, {"orders": ["aliases", "function", "layers", "versions"], "billing": ["function", "layers"],
                     "image": ["function"]}, []),
]


@pytest.mark.parametrize(("lost", "left", "notes"), CASES)
def test_drop_lost_files(lost: set[str], left: dict[str, list[str]], notes: list[str]) -> None:
    body = _body()
    new, got = drop_lost_files(body, lost)
    assert {f["name"]: sorted(f["items"]) for f in new["functions"]} == left
    assert sorted(got) == sorted(notes)
    assert new["notes"] == ["an earlier note", *got]
    assert body == _body()  # the input is not modified
    BackupBody.model_validate(new)


def test_a_body_of_another_shape_is_left_alone() -> None:
    assert drop_lost_files({"release": 3}, {"code"}) == ({"release": 3}, [])
