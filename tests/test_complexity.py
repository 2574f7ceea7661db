"""Functions a newcomer can read: no function or method outside the tests above complexity 20.

Cyclomatic complexity as radon counts it (McCabe 1976: one plus each branch, loop, boolean
operator and comprehension condition; a closure counts towards its function). The limit is the
one issue 13 set; ``radon cc -s -n C instruments analysis reports survey_app bench`` lists the
functions closest to it.
"""

from __future__ import annotations

from pathlib import Path

from radon.complexity import cc_visit
from radon.visitors import Class

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("instruments", "analysis", "reports", "survey_app", "bench")
LIMIT = 20


def too_complex(code: str, limit: int = LIMIT) -> list[tuple[str, int, int]]:
    """``(name, line, complexity)`` of every function or method in ``code`` above ``limit``."""
    found: list[tuple[str, int, int]] = []
    for block in cc_visit(code):
        if isinstance(block, Class):
            continue  # a class's own figure is its methods' average; each method is a block
        if block.complexity > limit:
            found.append((block.fullname, block.lineno, block.complexity))
    return found


def test_no_function_outside_the_tests_is_above_complexity_20() -> None:
    over = [
        f"{path.relative_to(ROOT)}:{line} {name} ({complexity})"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for name, line, complexity in too_complex(path.read_text(encoding="utf-8"))
    ]
    assert over == [], "split these into named steps:\n" + "\n".join(over)


def test_the_check_sees_a_function_with_21_paths() -> None:
    branches = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(20))
    code = f"def long(x):\n{branches}    return -1\n\n\nclass A:\n    def m(self, x):\n{branches.replace('    ', '        ')}        return -1\n"
    assert too_complex(code) == [("long", 1, 21), ("A.m", 46, 21)]
    assert too_complex(code, limit=21) == []
