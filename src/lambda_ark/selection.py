"""What a backup or restore covers: function-name globs, tags, shards. Pure and validated."""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Iterable

from .errors import UsageError

_GLOB_CHARS = re.compile(r"^[A-Za-z0-9_\-*?\[\]!:.]+$")


def validate_globs(globs: Iterable[str]) -> list[str]:
    out = []
    for glob in globs:
        if not glob or not _GLOB_CHARS.match(glob):
            raise UsageError(f"malformed function glob {glob!r}: use letters, digits, - _ and * ? [ ]")
        if glob.count("[") != glob.count("]"):
            raise UsageError(f"malformed function glob {glob!r}: unbalanced [ ]")
        out.append(glob)
    return out


def parse_tags(pairs: Iterable[str]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"malformed tag {pair!r}: expected KEY=VALUE")
        tags[key.strip()] = value.strip()
    return tags


def parse_regions(text: str) -> list[str] | None:
    """`--regions`: "all" -> None (every enabled region), else the listed names.

    An empty list is a mistake (an unset variable in a script), never "all regions".
    """
    names = [r.strip() for r in text.split(",") if r.strip()]
    if not names:
        raise UsageError(f"--regions {text!r} names no region: give region names, or 'all'")
    return None if names == ["all"] else names


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    m = re.fullmatch(r"(\d+)/(\d+)", text)
    if not m or int(m.group(2)) < 1 or int(m.group(1)) >= int(m.group(2)):
        raise UsageError(f"malformed shard {text!r}: expected i/n with 0 <= i < n")
    return int(m.group(1)), int(m.group(2))


def parse_region_map(text: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in (text or "").split(","):
        if not pair.strip():
            continue
        src, sep, dst = pair.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise UsageError(f"malformed region map entry {pair!r}: expected from=to")
        out[src.strip()] = dst.strip()
    return out


def name_matches(name: str, globs: list[str]) -> bool:
    return not globs or any(fnmatch.fnmatchcase(name, g) for g in globs)


def in_shard(arn: str, shard: tuple[int, int] | None) -> bool:
    """Deterministic split of an estate between workers: same function, same shard, every run."""
    if shard is None:
        return True
    digest = int.from_bytes(hashlib.sha256(arn.encode()).digest()[:8], "big")
    return digest % shard[1] == shard[0]


def parse_arn_map(pairs: Iterable[str]) -> dict[str, str]:
    """OLD=NEW overrides: ARNs, or ids restore cannot derive (subnet-…, sg-…) in another region."""
    out: dict[str, str] = {}
    for pair in pairs:
        src, sep, dst = pair.partition("=")
        src, dst = src.strip(), dst.strip()
        if not sep or not src or not dst or " " in src + dst or src.startswith("arn:") != dst.startswith("arn:"):
            raise UsageError(f"malformed map entry {pair!r}: expected OLD=NEW, both ARNs or both ids")
        out[src] = dst
    return out
