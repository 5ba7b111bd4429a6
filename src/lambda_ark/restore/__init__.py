"""Restore: repository -> plan -> apply (`restore.apply`), with one ARN mapper (`restore.arns`).

Kept import-free: kinds import the mapper, and restore.apply imports the kinds.
"""
