"""The policy file's shape (`lambda-ark.yaml`): pydantic models, strict, every unknown key an error.

A policy says what to protect (accounts, regions, names, tags, kinds), how often (a schedule), how
long to keep it (retention), how fresh it must be (RPO), where copies go and whom to tell. The JSON
Schema published in docs/policy.schema.json is generated from these models (`policy_schema`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    model_validator,
)

from . import values

# What `include` may name, and the kinds each brings in. The function itself (its code and its
# configuration are one record) is always included: everything else hangs from it.
INCLUDE_KINDS: dict[str, tuple[str, ...]] = {
    "code": ("function", "layers", "versions", "code_signing"),
    "config": ("function", "recursion", "runtime_management", "aliases", "concurrency", "url", "invoke_config",
               "policy", "mappings", "mapping_tags"),
    "triggers": ("s3_notifications", "apigateway", "apigatewayv2", "eventbridge", "scheduler", "sns", "cloudfront",
                 "alb", "logs_subscriptions", "cognito", "pipes", "iot", "ses", "secrets_rotation", "firehose",
                 "appsync", "cloudwatch_alarms", "referenced_by"),
    "roles": ("role",),
}
Include = Literal["code", "config", "triggers", "roles"]
DEFAULT_INCLUDE: tuple[Include, ...] = ("code", "config", "triggers")

AccountId = Annotated[str, StringConstraints(pattern=values.ACCOUNT_ID), Field(strict=True)]
JobName = Annotated[str, StringConstraints(pattern=values.JOB_NAME)]
Region = Annotated[str, AfterValidator(values.region)]
Notify = Annotated[str, AfterValidator(values.notify)]
QueueUrl = Annotated[str, AfterValidator(values.queue_url)]
Count = Annotated[int, Field(ge=0, strict=True)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _url_only(value: Any) -> Any:
    return {"url": value} if isinstance(value, str) else value


class RepositoryRef(_Model):
    """A repository and where its password comes from (none given: the command's own password
    options, or the repository's KMS key)."""

    url: Annotated[str, AfterValidator(values.repository_url)]
    password_file: str | None = None
    password_command: str | None = None
    password_env: str | None = Field(None, description="Name of an environment variable holding the password.")

    @model_validator(mode="after")
    def _one_source(self) -> RepositoryRef:
        given = [n for n in ("password_file", "password_command", "password_env") if getattr(self, n)]
        if len(given) > 1:
            raise ValueError(f"give one password source, not {' and '.join(given)}")
        return self


# A bare URL is shorthand for {url: …}; the schema says both are accepted.
Repo = Annotated[RepositoryRef, BeforeValidator(_url_only, json_schema_input_type=str | RepositoryRef)]


class Repositories(_Model):
    primary: Repo
    copies: list[Repo] = Field(default_factory=list, description="Replicated after each backup (`copy`).")


class CurrentAccount(_Model):
    current: Literal[True] = Field(description="The account of the credentials lambda-ark runs with.")


class RoleAccount(_Model):
    role_arn: Annotated[str, AfterValidator(values.role_arn)]
    external_id: str | None = Field(None, min_length=2, max_length=1224)


class Organization(_Model):
    role_name: Annotated[str, AfterValidator(values.role_name)]
    exclude: list[AccountId] = Field(default_factory=list)
    external_id: str | None = Field(None, min_length=2, max_length=1224)


class OrganizationAccounts(_Model):
    organization: Organization = Field(description="Every ACTIVE account of the organization (ListAccounts).")


def _account_kind(value: Any) -> str | None:
    """Which account source a list entry is, by the key it has (tags are the class names, so an error's
    location names the model and never looks like a key of the file)."""
    if isinstance(value, BaseModel):
        return type(value).__name__
    if isinstance(value, dict):
        for key, model in (("role_arn", RoleAccount), ("organization", OrganizationAccounts),
                           ("current", CurrentAccount)):
            if key in value:
                return model.__name__
    return None


AccountSource = Annotated[
    Annotated[RoleAccount, Tag("RoleAccount")]
    | Annotated[OrganizationAccounts, Tag("OrganizationAccounts")]
    | Annotated[CurrentAccount, Tag("CurrentAccount")],
    Discriminator(
        _account_kind,
        custom_error_type="account_source",
        custom_error_message="expected a mapping with role_arn, organization or current",
    ),
]


class Select(_Model):
    regions: Literal["all"] | Annotated[list[Region], Field(min_length=1)] = "all"
    names: Annotated[list[str], AfterValidator(values.globs)] = Field(
        default_factory=list, description="Function name globs; none: every function.")
    tags: dict[str, str] = Field(default_factory=dict, description="Functions must carry all of these tags.")


class Retention(_Model):
    keep_last: Count = 0
    keep_hourly: Count = 0
    keep_daily: Count = 0
    keep_weekly: Count = 0
    keep_monthly: Count = 0
    keep_yearly: Count = 0
    keep_within: Annotated[str, AfterValidator(values.keep_within)] | None = None

    @model_validator(mode="after")
    def _some_rule(self) -> Retention:
        counts = (self.keep_last, self.keep_hourly, self.keep_daily, self.keep_weekly, self.keep_monthly,
                  self.keep_yearly)
        if not any(counts) and not self.keep_within:
            raise ValueError("retention keeps nothing: expected at least one keep_* rule, e.g. keep_daily: 7")
        return self


class JobDrill(_Model):
    """A scheduled drill of the job's newest good snapshot, per account (docs/drills.md)."""

    schedule: Annotated[str, AfterValidator(values.schedule)] = Field(
        description="When to drill: rate(7 days), cron(0 4 ? * SUN *) (UTC) or 5-field cron.")
    to_region: Region | None = Field(None, description="Restore into this region (default: each function's own, "
                                     "renamed).")
    role_arn: Annotated[str, AfterValidator(values.role_arn)] | None = Field(
        None, description="Restore into a scratch account through this role.")
    name_template: Annotated[str, StringConstraints(min_length=1)] = Field(
        "{name}-drill", description="The drill's function names, from {name}, {region}, {account}.")
    events: dict[Annotated[str, StringConstraints(min_length=1)], str | dict[str, Any]] = Field(
        default_factory=dict, description="Test events: function name glob -> JSON file (relative to the policy "
        "file) or {event: FILE, expect: FILE or JSON}.")


class Job(_Model):
    schedule: Annotated[str, AfterValidator(values.schedule)] = Field(
        description="rate(1 hour), cron(0 3 * * ? *) (EventBridge, UTC) or 5-field cron '0 * * * *'.")
    select: Select = Field(default_factory=Select)
    include: Annotated[list[Include], Field(min_length=1)] = Field(default_factory=lambda: list(DEFAULT_INCLUDE))
    retention: Retention | None = None
    rpo: Annotated[str, AfterValidator(values.rpo)] | None = Field(
        None, description="Alarm when the newest good snapshot is older: 2h, 90min, 1d.")
    notify: list[Notify] | None = Field(None, description="Default: the policy's notify list.")
    notify_on: Literal["always", "failure"] = "always"
    errors_queue: QueueUrl | None = Field(None, description="Default: the policy's errors_queue.")
    copy_to_copies: bool = Field(True, alias="copy", description="Copy to repositories.copies after each run.")
    tags: list[Annotated[str, AfterValidator(values.snapshot_tag)]] = Field(
        default_factory=list, description="Snapshot labels besides job:<name>.")
    max_deleted: Annotated[str | float, AfterValidator(values.max_deleted)] = "20%"
    alarm_deleted_functions: Annotated[int, Field(ge=1, strict=True)] = Field(
        5, description="The mass-deletion alarm fires when more functions than this vanish in one run.")
    recapture_days: Count = 7
    allow_empty: bool = Field(False, description="An account where the selection matches no function gets an "
                              "empty snapshot instead of failing (organization-wide jobs).")
    parallel_accounts: Annotated[int, Field(ge=1, le=16, strict=True)] = 1
    data: list[Literal["s3", "dynamodb", "kinesis", "sqs", "sqs-dlq"]] = Field(
        default_factory=list, description="Event-source data to back up with the functions wired to it "
        "(docs/data.md): buckets' objects, tables' items, streams' records, queues' configuration, "
        "dead-letter queues' messages (sqs-dlq).")
    data_buckets: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]] = Field(
        default_factory=list, description="Buckets whose data to back up whether or not a function is wired to them.")
    data_export_bucket: str | None = Field(
        None, description="Export DynamoDB tables with point-in-time recovery through this bucket instead of "
        "scanning them.")
    data_s3_versions: bool = Field(False, description="Every version of versioned buckets' objects, not only the "
                                   "current ones.")
    drill: JobDrill | None = Field(None, description="Prove the job's snapshots restore and run, on a schedule.")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _unique_include(self) -> Job:
        if len(set(self.include)) != len(self.include):
            raise ValueError("include names an item twice")
        return self

    def kinds(self) -> frozenset[str]:
        """The recorded kinds this job captures: those its `include` names, and always the function."""
        return frozenset({"function"}.union(*(INCLUDE_KINDS[item] for item in self.include)))


class Metrics(_Model):
    region: Region | None = Field(None, description="Where metrics and alarms go (default: the session's region).")
    targets: list[Annotated[str, Field(pattern=r"^(auto|cloudwatch|emf|none|prometheus=.+)$")]] = Field(
        default_factory=lambda: ["auto"],
        description="auto (EMF inside Lambda, else CloudWatch), cloudwatch, emf, prometheus=FILE, none.")


class Policy(_Model):
    version: Literal[1] = 1
    repositories: Repositories
    accounts: list[AccountSource] = Field(default_factory=list, description="Default: the current credentials.")
    jobs: Annotated[dict[JobName, Job], Field(min_length=1)]
    notify: list[Notify] = Field(default_factory=list, description="Default notify targets of every job.")
    errors_queue: QueueUrl | None = Field(None, description="SQS queue URL that receives each failed item.")
    metrics: Metrics = Field(default_factory=lambda: Metrics.model_validate({}))

    def notify_targets(self, job: Job) -> list[values.Target]:
        return [values.notify_target(t) for t in (job.notify if job.notify is not None else self.notify)]

    def errors_queue_of(self, job: Job) -> str | None:
        return job.errors_queue or self.errors_queue


def policy_schema() -> dict[str, Any]:
    """The JSON Schema of the policy file (docs/policy.schema.json is this, pretty-printed)."""
    schema = Policy.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "lambda-ark policy"
    return schema
