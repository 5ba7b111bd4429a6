"""The backup guards as tables: when a run writes nothing, when a loss of functions is an anomaly."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_ark.backup_guard import covered, mass_deletion, parse_max_deleted, refusal
from lambda_ark.errors import UsageError
from lambda_ark.model import FunctionRecord
from lambda_ark.selection import in_shard, parse_regions

ACCOUNT = "123456789012"


def keys(*names: str) -> set[str]:
    return {f"{ACCOUNT}/us-east-1/{n}" for n in names}


@pytest.mark.parametrize(
    ("had", "now", "limit", "alarm"),
    [
        (set(), keys("a"), 20, None),  # a first snapshot loses nothing
        (keys(*"abcde"), keys(*"abcde"), 20, None),
        (keys(*"abcdefghij"), keys(*"abcdefgh"), 20, None),  # exactly 20 %: allowed...
        (keys(*"abcdefghij"), keys(*"abcdefg"), 20, (10, 7, 3)),  # ...30 % is not
        (keys(*"abcde"), keys(*"abcd"), 0, (5, 4, 1)),  # 0: any loss
        (keys(*"abcde"), set(), 100, None),  # 100: never
        (keys(*"abcde"), set(), 99.5, (5, 0, 5)),
        (keys(*"abcde"), keys(*"vwxyz"), 20, (5, 5, 5)),  # new functions do not offset lost ones
        (keys(*"abcde"), keys(*"abcpqrstuvwxyz"), 20, (5, 14, 2)),
    ],
)
def test_mass_deletion(had: set[str], now: set[str], limit: float, alarm: tuple[int, int, int] | None) -> None:
    found = mass_deletion(had, now, limit)
    if alarm is None:
        assert found is None
    else:
        for got, want in ((found.had, alarm[0]), (found.now, alarm[1]), (found.lost, alarm[2])):  # type: ignore[union-attr]
            assert got == want
        assert f"had {alarm[0]} functions" in found.message() and f"now {alarm[1]}" in found.message()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "value"),
    [("20", 20.0), ("20%", 20.0), (" 5 % ", 5.0), ("0", 0.0), ("100%", 100.0), ("12.5%", 12.5)],
)
def test_max_deleted_accepts_percentages(text: str, value: float) -> None:
    assert parse_max_deleted(text) == value


@pytest.mark.parametrize("text", ["", "%", "-1", "101", "20%%", "twenty", "0.2.1"])
def test_max_deleted_rejects_the_rest(text: str) -> None:
    with pytest.raises(UsageError, match="--max-deleted"):
        parse_max_deleted(text)


@pytest.mark.parametrize(
    ("regions", "failed", "selected", "allow_empty", "refused"),
    [
        (["us-east-1"], {}, 3, False, None),
        (["us-east-1"], {}, 0, False, "matches no function in us-east-1"),
        (["us-east-1"], {}, 0, True, None),  # --allow-empty: an empty snapshot is what was asked for
        (["us-east-1", "eu-west-1"], {"eu-west-1": "AccessDenied"}, 0, False, None),  # carried forward
        (["us-east-1", "eu-west-1"], {"eu-west-1": "x", "us-east-1": "y"}, 0, False, "every region failed"),
        (["us-east-1"], {"us-east-1": "y"}, 0, True, "every region failed"),  # never a snapshot of nothing
    ],
)
def test_refusal(
    regions: list[str], failed: dict[str, str], selected: int, allow_empty: bool, refused: str | None
) -> None:
    reason = refusal(regions, failed, selected, allow_empty)
    assert (reason is None) == (refused is None)
    if refused:
        assert refused in str(reason) and str(reason).startswith("no snapshot written")


def rec(name: str, region: str = "us-east-1", account: str = ACCOUNT, **tags: str) -> FunctionRecord:
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    items: dict[str, Any] = {"function": {"tags": tags}} if tags else {}
    return FunctionRecord(account=account, region=region, name=name, arn=arn, fingerprint="x", items=items)


def test_only_what_the_selection_covers_can_be_lost() -> None:
    records = [
        rec("orders-1", team="pay"),
        rec("orders-2"),
        rec("search-1", team="pay"),
        rec("orders-3", region="eu-west-1"),
        rec("orders-4", account="999999999999"),
    ]
    names = lambda ks: sorted(k.rsplit("/", 1)[1] for k in ks)  # noqa: E731
    assert names(covered(records, ACCOUNT, ["us-east-1"], [], None, {})) == ["orders-1", "orders-2", "search-1"]
    assert names(covered(records, ACCOUNT, ["us-east-1"], ["orders-*"], None, {})) == ["orders-1", "orders-2"]
    assert names(covered(records, ACCOUNT, ["us-east-1"], [], None, {"team": "pay"})) == ["orders-1", "search-1"]
    both = covered(records, ACCOUNT, ["us-east-1", "eu-west-1"], ["orders-*"], None, {})
    assert names(both) == ["orders-1", "orders-2", "orders-3"]
    shard = [k for k in covered(records, ACCOUNT, ["us-east-1"], [], (0, 2), {})]
    assert all(in_shard(f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{k.rsplit('/', 1)[1]}", (0, 2)) for k in shard)


@pytest.mark.parametrize(("text", "regions"), [("all", None), ("us-east-1", ["us-east-1"]),
                                               (" us-east-1 , eu-west-1,", ["us-east-1", "eu-west-1"])])
def test_regions_option(text: str, regions: list[str] | None) -> None:
    assert parse_regions(text) == regions


@pytest.mark.parametrize("text", ["", " ", ",", " , ,"])
def test_an_empty_regions_option_is_a_usage_error_not_all_regions(text: str) -> None:
    with pytest.raises(UsageError, match="--regions"):
        parse_regions(text)
