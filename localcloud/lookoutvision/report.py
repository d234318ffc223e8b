"""The report of the calls the emulator answered: one line per operation, with the errors among them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .calls import Call


def calls_summary(calls: Iterable[Call]) -> list[str]:
    """One line per operation, in the order first called: how many calls, and the errors among them."""
    total: Counter[str] = Counter()
    errors: dict[str, Counter[str]] = {}
    for call in calls:
        total[call.operation] += 1
        if call.error_code:
            errors.setdefault(call.operation, Counter())[call.error_code] += 1
    lines = []
    for operation, count in total.items():
        detail = ", ".join(f"{n}x {code}" for code, n in sorted(errors.get(operation, Counter()).items()))
        lines.append(f"{operation:<22} {count:>4}" + (f"   ({detail})" if detail else ""))
    return lines
