"""The policy file: every mistake located (FILE:LINE:COLUMN) with what was expected; the issue's
example accepted; the published JSON Schema equal to the models'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambda_ark.kinds import KINDS
from lambda_ark.policy import INCLUDE_KINDS, PolicyError, load_policy, parse_policy, policy_schema
from lambda_ark.policy.checks import reachability, warnings

DOCS = Path(__file__).resolve().parents[2] / "docs"

EXAMPLE = """\
repositories:
  primary: s3://acme-ark/prod          # any repository URL
  copies: [s3://acme-ark-dr/prod]
accounts:
  - role_arn: arn:aws:iam::111111111111:role/ark-reader
    external_id: acme-ark
  - organization: {role_name: ark-reader, exclude: ["222222222222"]}
jobs:
  critical:
    select: {regions: all, names: ["orders-*"], tags: {tier: critical}}
    include: [code, config, triggers, roles]
    schedule: "rate(1 hour)"
    retention: {keep_hourly: 24, keep_daily: 14, keep_monthly: 12}
    rpo: 2h
    notify: [sns:arn:aws:sns:eu-west-1:111111111111:ark, https://hooks.example.com/ark]
  nightly:
    schedule: cron(0 3 * * ? *)
    retention: {keep_daily: 30}
errors_queue: https://sqs.eu-west-1.amazonaws.com/111111111111/ark-errors
metrics: {region: eu-west-1}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(PolicyError) as info:
        parse_policy(text, "p.yaml")
    return [str(p) for p in info.value.problems]


def test_every_error_is_located_and_says_what_was_expected() -> None:
    text = """\
repositories:
  primary: /tmp/x
  copies: [s3://]
accounts:
  - rolearn: x
  - role_arn: arn:aws:iam::111111111111:role/r
    bogus: 1
  - organization: {role_name: ark, exclude: [222222222222]}
jobs:
  a b:
    schedule: rate(1 hours)
  ok:
    schedule: "0 * * * *"
    select: {regions: [mars-1]}
    include: [code, events]
    retention: {keep_daily: -1}
    rpo: 30m
    notify: [sns:arn:aws:sns:eu-west-1:1111:ark, ftp://x]
    errors_queue: https://sqs.eu-west-1.amazonaws.com/ark
"""
    assert problems(text) == [
        "p.yaml:3:12: repositories.copies[0]: bad repository URL 's3://': expected s3://bucket/prefix",
        "p.yaml:5:5: accounts[0]: expected a mapping with role_arn, organization or current",
        "p.yaml:7:5: accounts[1].bogus: unknown key 'bogus', expected one of: role_arn, external_id",
        "p.yaml:8:46: accounts[2].organization.exclude[0]: expected a string, got the number 222222222222 "
        "(quote it: YAML reads unquoted digits as a number)",
        "p.yaml:10:3: jobs.a b: bad job name: expected letters, digits, - and _ (at most 63, starting with a "
        "letter or digit), got 'a b'",
        "p.yaml:11:15: jobs.a b.schedule: bad rate 'rate(1 hours)': expected rate(1 hour) (singular for 1, "
        "plural otherwise)",
        "p.yaml:14:24: jobs.ok.select.regions[0]: unknown region 'mars-1': expected a region name such as eu-west-1",
        "p.yaml:15:21: jobs.ok.include[1]: expected 'code', 'config', 'triggers' or 'roles', got 'events'",
        "p.yaml:16:29: jobs.ok.retention.keep_daily: expected greater than or equal to 0, got -1",
        "p.yaml:17:10: jobs.ok.rpo: bad duration '30m': 'm' is ambiguous here; write min for minutes, e.g. 30min",
        "p.yaml:18:14: jobs.ok.notify[0]: bad SNS topic 'sns:arn:aws:sns:eu-west-1:1111:ark': expected "
        "sns:arn:aws:sns:<region>:<12-digit account>:<topic>",
        "p.yaml:18:50: jobs.ok.notify[1]: bad notify target 'ftp://x': expected "
        "sns:arn:aws:sns:<region>:<account>:<topic> or an https:// webhook URL",
        "p.yaml:19:19: jobs.ok.errors_queue: bad SQS queue URL 'https://sqs.eu-west-1.amazonaws.com/ark': "
        "expected https://sqs.<region>.amazonaws.com/<account>/<queue>",
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("", "p.yaml:1:1: empty policy: expected a mapping with repositories and jobs"),
    ("- a\n- b\n", "p.yaml:1:1: expected a mapping with repositories and jobs"),
    ("jobs: {a: {schedule: rate(1 hour)}\n", "p.yaml:2:1: not valid YAML: expected ',' or '}', but got"),
    ("repositories: {primary: /x}\njobs:\n  a: {schedule: rate(1 hour)}\n  a: {schedule: rate(2 hours)}\n",
     "p.yaml:4:3: jobs.a: duplicate key 'a': each key may appear once"),
    ("repositories: {primary: /x}\n", "p.yaml:1:1: jobs: missing key 'jobs'"),
    ("repositories: {primary: /x}\njobs: {}\n", "p.yaml:2:7: jobs: expected at least 1 item(s)"),
    ("repositories: {primary: /x}\njobs:\n  a: {select: {}}\n", "p.yaml:3:6: jobs.a.schedule: missing key 'schedule'"),
    ("repositories: {primary: /x}\njobs:\n  a:\n    schedule: rate(1 hour)\n    retention: {}\n",
     "p.yaml:5:16: jobs.a.retention: retention keeps nothing: expected at least one keep_* rule"),
    ("repositories: {primary: {url: /x, password_file: a, password_env: B}}\njobs: {a: {schedule: rate(1 hour)}}\n",
     "p.yaml:1:25: repositories.primary: give one password source, not password_file and password_env"),
    ("repositories: {primary: /x}\njobs: {a: {schedule: rate(1 hour), include: [code, code]}}\n",
     "include names an item twice"),
    ("repositories: {primary: /x}\njobs: {a: {schedule: rate(1 hour), select: {regions: everywhere}}}\n",
     "jobs.a.select.regions: expected 'all', got 'everywhere'"),
    ("repositories: {primary: /x}\nmetrics: {targets: [statsd]}\njobs: {a: {schedule: rate(1 hour)}}\n",
     "p.yaml:2:21: metrics.targets[0]: expected auto, cloudwatch, emf, none or prometheus=FILE, got 'statsd'"),
    ("repositories: {primary: /x}\naccounts: [{role_arn: 'arn:aws:iam::1:role/x'}]\n"
     "jobs: {a: {schedule: rate(1 hour)}}\n",
     "p.yaml:2:23: accounts[0].role_arn: bad role ARN 'arn:aws:iam::1:role/x': expected arn:aws:iam::<12-digit"),
    ("repositories: {primary: /x}\njobs: {a: {schedule: rate(1 hour), tags: [nightly, partial]}}\n",
     "p.yaml:2:52: jobs.a.tags[1]: bad snapshot tag 'partial': expected a label without spaces or commas"),
    ("repositories: {primary: /x}\njobs: {a: {schedule: rate(1 hour), tags: ['job:b']}}\n",
     "bad snapshot tag 'job:b'"),
    ("repositories: {primary: /x}\njobs: {a: {schedule: rate(1 hour), select: {tags: {tier: 1}}}}\n",
     "jobs.a.select.tags.tier: expected a string, got the number 1"),
    ("repositories: {primary: /x}\njobs: {a: {schedule: rate(1 hour), parallel_accounts: 0}}\n",
     "jobs.a.parallel_accounts: expected greater than or equal to 1, got 0"),
])
def test_one_mistake_one_located_line(text: str, expected: str) -> None:
    found = problems(text)
    assert any(expected in p for p in found), found


def test_the_issue_example_is_valid_and_means_what_it_says() -> None:
    loaded = parse_policy(EXAMPLE, "lambda-ark.yaml")
    policy = loaded.policy
    critical = policy.jobs["critical"]
    assert critical.select.regions == "all" and critical.select.tags == {"tier": "critical"}
    assert "role" in critical.kinds() and "sns" in critical.kinds() and "function" in critical.kinds()
    assert [str(t) for t in policy.notify_targets(critical)] == [
        "sns:arn:aws:sns:eu-west-1:111111111111:ark", "https://hooks.example.com/ark"]
    nightly = policy.jobs["nightly"]
    assert nightly.include == ["code", "config", "triggers"] and "role" not in nightly.kinds()
    assert policy.errors_queue_of(nightly) == "https://sqs.eu-west-1.amazonaws.com/111111111111/ark-errors"
    assert policy.repositories.copies[0].url == "s3://acme-ark-dr/prod"
    assert warnings(loaded) == []


def test_include_names_only_kinds_the_registry_has_and_covers_them_all() -> None:
    registered = {k.NAME for k in KINDS}
    named = {k for kinds in INCLUDE_KINDS.values() for k in kinds}
    assert named == registered


def test_a_narrow_include_still_records_the_function() -> None:
    policy = parse_policy("repositories: {primary: /x}\njobs: {a: {schedule: rate(1 hour), include: [triggers]}}\n"
                          ).policy
    assert policy.jobs["a"].kinds() == {"function", *INCLUDE_KINDS["triggers"]}


def test_warnings_are_located_too() -> None:
    text = """\
repositories: {primary: /x}
metrics: {region: us-east-1}
jobs:
  a:
    schedule: cron(0 3 * * ? *)
    rpo: 2h
    notify: [http://hooks.example.com/x, sns:arn:aws:sns:eu-west-1:111111111111:t, http://127.0.0.1:9/ok]
"""
    loaded = parse_policy(text, "p.yaml")
    assert [str(w) for w in warnings(loaded)] == [
        "p.yaml:4:3: warning: jobs.a: no retention: every snapshot of this job is kept for ever",
        "p.yaml:6:10: warning: jobs.a.rpo: rpo 2h is shorter than the time between two runs (1d): the RPO "
        "alarm will fire between runs",
        "p.yaml:7:14: warning: jobs.a.notify[0]: webhook http://hooks.example.com/x is not encrypted (http://): "
        "use https://",
        "p.yaml:7:42: warning: jobs.a.notify[1]: topic arn:aws:sns:eu-west-1:111111111111:t is in eu-west-1, "
        "metrics and alarms in us-east-1: CloudWatch alarms notify only topics of their region",
    ]


def test_an_unreachable_repository_is_a_located_warning() -> None:
    loaded = parse_policy(EXAMPLE, "p.yaml")
    found = reachability(loaded, lambda url: None if "dr" in url else "no bucket 'acme-ark'")
    assert [str(w) for w in found] == [
        "p.yaml:2:12: warning: repositories.primary: repository s3://acme-ark/prod is not reachable from here: "
        "no bucket 'acme-ark'"]


def test_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    from lambda_ark.errors import UsageError

    with pytest.raises(UsageError, match="cannot read policy file"):
        load_policy(tmp_path / "missing.yaml")


def test_the_published_schema_is_the_models_schema() -> None:
    published = json.loads((DOCS / "policy.schema.json").read_text())
    assert published == policy_schema(), "run: lambda-ark policy schema > docs/policy.schema.json"


def test_the_docs_example_policy_is_valid() -> None:
    text = (DOCS / "policy.md").read_text()
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    parse_policy(example, "docs/policy.md")


def test_the_schema_accepts_the_example_and_refuses_an_unknown_key() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    schema = json.loads((DOCS / "policy.schema.json").read_text())
    jsonschema.validate(yaml.safe_load(EXAMPLE), schema)
    wrong = yaml.safe_load(EXAMPLE)
    wrong["jobs"]["critical"]["retension"] = {"keep_daily": 1}
    with pytest.raises(jsonschema.ValidationError, match="retension"):
        jsonschema.validate(wrong, schema)
