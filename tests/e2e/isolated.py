"""Helpers for end-to-end tests in an account of their own (`tests.accounts`)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.accounts import Account, own_account

from lambda_ark.aws import Aws
from lambda_ark.demo import estate

__all__ = ["Account", "make_functions", "own_account"]


def make_functions(aws: Aws, region: str, names: list[str], tags: dict[str, str] | None = None) -> None:
    role = estate.role_arn(aws)
    lam = aws.client("lambda", region)

    def create(name: str) -> None:
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": estate.package(name, extra_modules=2)},
            Tags=tags or {},
        )

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(create, names))
