"""The storage engine's fixtures (a local repository, the CLI in-process, cheap keys) for report tests."""

from tests.repository.conftest import (  # noqa: F401 - fixtures, found by pytest by name
    _cheap_scrypt,
    _password_vars_do_not_leak,
    cli,
    local_repo,
)
