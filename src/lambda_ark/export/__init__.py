"""Exports: a snapshot as infrastructure as code (CloudFormation, SAM, Terraform) or as code history (git).

    result = export_iac(repo, snap, "cloudformation", Path("out"), upload="s3://bucket/prefix", aws=aws)
    result = export_git(repo, Path("history"))       # one commit per snapshot, tags FUNCTION/vN

See docs/export.md. Nothing here prints: results carry what was written and what could not be.
"""

from __future__ import annotations

from .git import GitExportResult, export_git
from .run import IAC_FORMATS, ExportResult, export_iac, parse_s3_url

__all__ = ["IAC_FORMATS", "ExportResult", "GitExportResult", "export_git", "export_iac", "parse_s3_url"]
