"""Lambda's "already exists" answer.

AWS: creating what exists (an alias, a function, a statement id, a URL config) is
`ResourceConflictException`, HTTP 409 ("The resource already exists"); botocore raises it as
`client.exceptions.ResourceConflictException`.
moto: some of these answer `ConflictException`, a code Lambda's API does not have, so a client
catching AWS's exception misses it.
"""

from __future__ import annotations

from moto.awslambda import exceptions


class ResourceConflict(exceptions.LambdaClientError):
    code = 409

    def __init__(self, message: str):
        super().__init__("ResourceConflictException", message)


def apply() -> None:
    # moto's modules raise it by name from `exceptions`: replacing the class there (and where it was
    # imported) makes every raise answer AWS's code.
    from moto.awslambda import models

    exceptions.ConflictException = ResourceConflict  # type: ignore[misc,assignment]
    models.ConflictException = ResourceConflict  # type: ignore[attr-defined,assignment]
