"""Where IAM lets a statement name resources, and which services answer in one region for all.

From the Service Authorization Reference (the tests check these tables against parliament's copy of
it, so a table that drifts from AWS fails there).
"""

from __future__ import annotations

# Lambda actions whose resource is a function (or its version or alias): a statement can list the
# selected functions' ARNs instead of "*". Every other Lambda action lambda-ark uses takes "*"
# (ListFunctions, ListEventSourceMappings, CreateEventSourceMapping, ...) or a layer version.
FUNCTION_ACTIONS = frozenset({
    "lambda:AddPermission", "lambda:CreateAlias", "lambda:CreateFunction", "lambda:CreateFunctionUrlConfig",
    "lambda:DeleteAlias", "lambda:DeleteFunction", "lambda:DeleteFunctionCodeSigningConfig",
    "lambda:DeleteFunctionConcurrency", "lambda:DeleteFunctionEventInvokeConfig", "lambda:DeleteFunctionUrlConfig",
    "lambda:DeleteProvisionedConcurrencyConfig", "lambda:DisableReplication", "lambda:EnableReplication",
    "lambda:GetAlias", "lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:GetFunctionConcurrency",
    "lambda:GetFunctionConfiguration", "lambda:GetFunctionEventInvokeConfig", "lambda:GetFunctionRecursionConfig",
    "lambda:GetFunctionUrlConfig", "lambda:GetPolicy", "lambda:GetProvisionedConcurrencyConfig",
    "lambda:GetRuntimeManagementConfig", "lambda:InvokeAsync", "lambda:InvokeFunction", "lambda:InvokeFunctionUrl",
    "lambda:ListAliases", "lambda:ListFunctionEventInvokeConfigs", "lambda:ListFunctionUrlConfigs",
    "lambda:ListProvisionedConcurrencyConfigs", "lambda:ListTags", "lambda:ListVersionsByFunction",
    "lambda:PublishVersion", "lambda:PutFunctionCodeSigningConfig", "lambda:PutFunctionConcurrency",
    "lambda:PutFunctionEventInvokeConfig", "lambda:PutFunctionRecursionConfig",
    "lambda:PutProvisionedConcurrencyConfig", "lambda:PutRuntimeManagementConfig", "lambda:RemovePermission",
    "lambda:TagResource", "lambda:UntagResource", "lambda:UpdateAlias", "lambda:UpdateFunctionCode",
    "lambda:UpdateFunctionCodeSigningConfig", "lambda:UpdateFunctionConfiguration",
    "lambda:UpdateFunctionEventInvokeConfig", "lambda:UpdateFunctionUrlConfig",
})

# ListTags and TagResource also act on event source mappings and code signing configs (mapping_tags,
# code_signing): with function ARNs only they would be refused there, so they stay on "*".
SHARED_RESOURCE_ACTIONS = frozenset({"lambda:ListTags", "lambda:TagResource", "lambda:UntagResource"})

# Services (or single actions) whose requests name us-east-1 whatever region the work is about:
# `aws:RequestedRegion` would refuse them outside us-east-1, so their statements carry no region
# condition. ec2:DescribeRegions and s3:ListAllMyBuckets/GetBucketLocation are asked in the
# session's region, which need not be a selected one.
GLOBAL_PREFIXES = frozenset({"iam", "cloudfront", "organizations", "sts"})
GLOBAL_ACTIONS = frozenset({"ec2:DescribeRegions", "s3:ListAllMyBuckets", "s3:GetBucketLocation"})


def is_global(action: str) -> bool:
    return action in GLOBAL_ACTIONS or action.split(":", 1)[0] in GLOBAL_PREFIXES


def glob_to_iam(glob: str) -> str:
    """A function-name glob as an IAM resource pattern: IAM knows `*` and `?` only, so a bracket
    expression (`[ab]`, one character of a set) becomes `?` (one character: a superset, never less)."""
    out, i = [], 0
    while i < len(glob):
        c = glob[i]
        if c == "[":
            end = glob.find("]", i + 2 if glob[i + 1:i + 2] in ("!", "]") else i + 1)
            if end != -1:
                out.append("?")
                i = end + 1
                continue
        out.append(c)
        i += 1
    return "".join(out)
