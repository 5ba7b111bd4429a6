"""What a backup reads again, per function and per region: pure decisions, tested as tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lambda_ark.backup_select import worth_listing_versions
from lambda_ark.capture_plan import FUNCTION_KINDS, REGION_KINDS, plan_function, plan_region
from lambda_ark.change_feed import REGION_KINDS_NAMED, Change
from lambda_ark.model import FunctionRecord

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
WEEK = timedelta(days=7)
OLD = FunctionRecord(account="1", region="r", name="f", arn="arn:aws:lambda:r:1:function:f", fingerprint="fp",
                     captured_at=NOW - timedelta(days=1))
POLICY = Change("r", "policy", "f", event="AddPermission20150331v2", time=NOW)
CODE = Change("r", "function", "f", event="UpdateFunctionCode20150331v2", time=NOW, moves_revision=True)
SNS = Change("r", "sns", event="Subscribe", time=NOW)


@pytest.mark.parametrize(
    ("old", "fingerprint", "usable", "full", "due", "named", "fresh", "kinds"),
    [
        (None, "fp", True, False, False, [], True, FUNCTION_KINDS),  # new function
        (OLD, "other", True, False, False, [], True, FUNCTION_KINDS),  # code or configuration changed
        (OLD, "fp", False, False, False, [], True, FUNCTION_KINDS),  # its stored data is gone
        (OLD, "fp", True, True, False, [], True, FUNCTION_KINDS),  # --full
        (OLD, "fp", True, False, True, [], True, FUNCTION_KINDS),  # the periodic re-read is due
        (OLD, "fp", True, False, False, [], False, frozenset()),  # nothing to read
        (OLD, "fp", True, False, False, [POLICY], False, frozenset({"policy"})),  # the feed names one kind
        # a change that moves RevisionId, with the fingerprint unmoved: the capture came after it
        (OLD, "fp", True, False, False, [CODE], False, frozenset()),
        (OLD, "fp", True, False, False, [CODE, POLICY], False, frozenset({"policy"})),
        (OLD, "fp", True, False, False, [SNS], False, frozenset()),  # region kinds are not the function's
    ],
)
def test_plan_function(
    old: FunctionRecord | None, fingerprint: str, usable: bool, full: bool, due: bool, named: list[Change],
    fresh: bool, kinds: frozenset[str],
) -> None:
    plan = plan_function(old, fingerprint, usable=usable, full=full, due=due, named=named)
    assert (plan.fresh, plan.kinds) == (fresh, kinds)


def test_the_changes_a_fresh_read_answers_are_kept_for_the_rpo() -> None:
    plan = plan_function(OLD, "other", usable=True, full=False, due=False, named=[CODE, POLICY])
    assert plan.fresh and set(plan.why) == {CODE, POLICY}


def test_every_named_kind_is_a_region_kind() -> None:
    assert REGION_KINDS_NAMED <= REGION_KINDS


LISTED_NOW = dict.fromkeys(REGION_KINDS, NOW - timedelta(hours=1))
ALWAYS = REGION_KINDS - REGION_KINDS_NAMED  # services whose events the feed does not map: listed every run


@pytest.mark.parametrize(
    ("complete", "full", "named", "listed", "unknown", "expected"),
    [
        (False, False, [], LISTED_NOW, False, REGION_KINDS),  # no complete feed: every listing, every run
        (True, True, [], LISTED_NOW, False, REGION_KINDS),  # --full
        (True, False, [], LISTED_NOW, True, REGION_KINDS),  # a function no snapshot knows yet
        (True, False, [], LISTED_NOW, False, ALWAYS),  # nothing changed: only what the feed cannot name
        (True, False, [SNS], LISTED_NOW, False, ALWAYS | {"sns"}),  # the feed names one
        (True, False, [], {**LISTED_NOW, "eventbridge": NOW - WEEK}, False, ALWAYS | {"eventbridge"}),  # due
        (True, False, [], {k: v for k, v in LISTED_NOW.items() if k != "cloudfront"}, False,
         ALWAYS | {"cloudfront"}),  # never listed (or its listing failed)
    ],
)
def test_plan_region(
    complete: bool, full: bool, named: list[Change], listed: dict[str, datetime], unknown: bool,
    expected: frozenset[str],
) -> None:
    got = plan_region(feed_complete=complete, full=full, named=named, last_listed=listed,
                      unknown_functions=unknown, now=NOW, every=WEEK)
    assert got == expected


@pytest.mark.parametrize(
    ("functions", "versions", "fresh", "worth"),
    [
        (1000, 0, 1000, True),  # a first backup: 20 pages instead of 1000 calls
        (1000, 3000, 1000, True),  # 80 pages
        (1000, 3000, 10, False),  # an incremental run: 10 calls beat 80 pages
        (10, 0, 1, False),  # one page is no saving over one call
        (10, 0, 0, False),
    ],
)
def test_listing_every_version_when_it_costs_fewer_calls(functions: int, versions: int, fresh: int,
                                                          worth: bool) -> None:
    assert worth_listing_versions(functions, versions, fresh) is worth
