"""Child process for test_kill: writes deterministic files through a Writer forever, never commits."""

from __future__ import annotations

import random
import sys

from lambda_ark.repository import Repository


def payload(i: int) -> bytes:
    return random.Random(i).randbytes(200_000)


def main() -> None:
    repo = Repository.open(sys.argv[1], password=sys.argv[2])
    with repo.writer() as w:
        i = 0
        while True:  # the parent kills us with SIGKILL once enough packs are up
            w.put_file(payload(i))
            i += 1


if __name__ == "__main__":
    main()
