"""``python -m bench`` (``make bench``): run every benchmark module and write its JSON result."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    """Run the ``bench_*`` modules named in ``argv`` (all when none), each via ``main()`` or ``run()``."""
    names = sorted(
        m.name for m in pkgutil.iter_modules([str(BENCH_DIR)]) if m.name.startswith("bench_")
    )
    chosen = [n for n in names if not argv or n in argv or n.removeprefix("bench_") in argv]
    unknown = [a for a in argv if f"bench_{a.removeprefix('bench_')}" not in names]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)} (available: {', '.join(names)})",
            file=sys.stderr,
        )
        return 2
    failed = 0
    for name in chosen:
        started = time.perf_counter()
        print(f"== {name}", file=sys.stderr, flush=True)
        module = importlib.import_module(f"bench.{name}")
        entry = getattr(module, "main", None) or module.run
        try:
            entry()
        except Exception as exc:  # a failing benchmark must not hide the others' results
            failed += 1
            print(f"!! {name} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(f"== {name} took {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
