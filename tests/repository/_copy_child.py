"""Child process for test_copy_packs: copies every snapshot, slowly, until the parent kills it."""

from __future__ import annotations

import sys
import time

from lambda_ark.repository import Repository, copy


def main() -> None:
    src = Repository.open(sys.argv[1], password=sys.argv[3])
    dst = Repository.open(sys.argv[2], password=sys.argv[3])
    put = dst.backend.put

    def slow_put(name: str, data: bytes, on_bytes: object = None) -> None:
        time.sleep(0.05)  # so the parent sees the copy halfway rather than done
        put(name, data)

    dst.backend.put = slow_put  # type: ignore[method-assign]
    copy(src, dst, [s.id for s in src.snapshots()], connections=1)


if __name__ == "__main__":
    main()
