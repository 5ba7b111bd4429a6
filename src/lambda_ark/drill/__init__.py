"""Drills: prove that a snapshot restores and runs, measure the RTO, and keep a record of it.

    result = run_drill(aws, repo, DrillOptions(to_region="us-west-2", events=load_rules(path)))
    result.passed, result.record.rto_seconds, result.record.functions   # also stored: drills/<id>
    cleanup(aws, ["us-west-2"])                                          # leftovers of killed drills
    records, warnings = drill_records(repo)                              # past drills, oldest first

See docs/drills.md. Nothing here prints: progress goes through a callback, results are data.
"""

from __future__ import annotations

from .cleanup import CleanupResult, cleanup
from .events import DrillEvent, EventRule, load_rules, rules_from_mapping
from .record import DrillRecord, FunctionOutcome, drill_records
from .run import DrillOptions, DrillResult, run_drill

__all__ = [
    "CleanupResult",
    "DrillEvent",
    "DrillOptions",
    "DrillRecord",
    "DrillResult",
    "EventRule",
    "FunctionOutcome",
    "cleanup",
    "drill_records",
    "load_rules",
    "rules_from_mapping",
    "run_drill",
]
