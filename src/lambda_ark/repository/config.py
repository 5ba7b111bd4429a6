"""The config object: sealed, and from format 2 bound to its name so nothing else can stand in.

Readers try the format-2 associated data (`config:config`) and fall back to format 1 (`config`);
a config sealed the old way that claims format 2 or later is refused, so an old config cannot be
put back to make a migrated repository look like format 1 (and be written the weaker way).
"""

from __future__ import annotations

from ..errors import IntegrityError, RepositoryError
from .crypto import MasterKey, named
from .models import FORMAT_VERSION, RepoConfig

NAME = "config"


def seal_config(key: MasterKey, config: RepoConfig) -> bytes:
    aad = named("config", NAME) if config.version >= 2 else "config"
    return key.seal(config.model_dump_json().encode(), aad)


def open_config(key: MasterKey, sealed: bytes) -> RepoConfig:
    bound = True
    try:
        plain = key.open(sealed, named("config", NAME), NAME)
    except IntegrityError:
        plain, bound = key.open(sealed, "config", NAME), False
    try:
        config = RepoConfig.model_validate_json(plain)
    except ValueError as exc:
        raise IntegrityError(f"config: not a valid repository config ({exc})") from exc
    if config.version >= 2 and not bound:
        raise IntegrityError(f"config: claims format {config.version} but is sealed as format 1 (replaced?)")
    if config.version > FORMAT_VERSION:
        raise RepositoryError(f"repository format {config.version} needs a newer lambda-ark "
                              f"(this one reads up to {FORMAT_VERSION})")
    return config
