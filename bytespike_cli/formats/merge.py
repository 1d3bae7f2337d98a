"""Taking one change back out of a text that has been edited since: ``git revert`` for one file.

``--remove`` knows the bytes a setup started from (``before``) and the bytes it wrote (``after``). When
the file still holds exactly ``after``, ``before`` comes back byte for byte. When someone edited it
since, the change ``after → before`` is applied to the current text as long as it touches no line the
other edit touched (a three-way merge at line level); the caller checks the result's data with
:func:`merge_data` and falls back to key-by-key removal when either says no.
"""

from __future__ import annotations

import difflib
from typing import Any

from bytespike_cli.formats.common import MISSING, canonical


class Conflict(Exception):
    """Both sides changed the same part: no safe merge."""


def _hunks(old: list[str], new: list[str]) -> list[tuple[int, int, list[str]]]:
    """(start, stop, replacement) in ``old`` line numbers for every change old → new."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [(o1, o2, new[n1:n2]) for tag, o1, o2, n1, n2 in matcher.get_opcodes() if tag != "equal"]


def revert_patch(current: str, before: str, after: str) -> str | None:
    """``current`` with the edit ``before → after`` taken back out; None when another edit overlaps it."""
    if current == after:
        return before
    base = after.splitlines(keepends=True)
    ours = _hunks(base, before.splitlines(keepends=True))
    theirs = _hunks(base, current.splitlines(keepends=True))
    for o1, o2, _ in ours:
        for t1, t2, _ in theirs:
            # overlapping ranges, or two insertions at one place (their order would be a guess), or an
            # insertion right at the edge of the other side's change
            if max(o1, t1) < min(o2, t2) or o1 == t1 or (o1 == o2 and t1 <= o1 <= t2) or \
                    (t1 == t2 and o1 <= t1 <= o2):
                return None
    edits = sorted([(a, b, lines) for a, b, lines in ours] + [(a, b, lines) for a, b, lines in theirs])
    result: list[str] = []
    cursor = 0
    for start, stop, lines in edits:
        if start < cursor:
            return None
        result.extend(base[cursor:start])
        result.extend(lines)
        cursor = stop
    result.extend(base[cursor:])
    text = "".join(result)
    # a line without its newline in the middle of the text would glue two lines together
    if any(not line.endswith("\n") for line in text.splitlines(keepends=True)[:-1]):
        return None
    return text


def merge_data(base: Any, ours: Any, theirs: Any) -> Any:
    """Three-way merge of plain data: per key, the side that changed it wins; both changed it differently →
    :class:`Conflict`. Lists and scalars are single values."""
    if canonical(theirs) == canonical(base):
        return ours
    if canonical(ours) == canonical(base) or canonical(ours) == canonical(theirs):
        return theirs
    if isinstance(base, dict) and isinstance(ours, dict) and isinstance(theirs, dict):
        merged = {}
        for key in list(dict.fromkeys([*theirs, *ours, *base])):
            value = merge_data(base.get(key, MISSING), ours.get(key, MISSING), theirs.get(key, MISSING))
            if value is not MISSING:
                merged[key] = value
        return merged
    raise Conflict()
