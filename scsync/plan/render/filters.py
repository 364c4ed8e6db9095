"""Pure helpers the plan templates use as jinja2 filters: value literals, line diffs of long text,
item diffs of lists, side-by-side rows for HTML, ANSI colour, and Markdown-safe code spans.

None of them knows a template; each turns plain values into strings or small tuples.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from scsync.errors import printable
from scsync.resources import LONG_TEXT_FIELDS

# A diff line: its sign ("+", "-" or " ") and its text.
Line = tuple[str, str]
# A side-by-side row: (left sign, left text, right sign, right text); a missing side is ("", "").
Row = tuple[str, str, str, str]

LONG_TEXT_CHARS = 80

_ANSI = {"+": "32", "~": "33", "-": "31", "!": "31", "error": "31", "warning": "33"}


def shown(value: Any) -> Any:
    """``value`` as a template may show it: a string ``printable``; a plain list or tuple of
    strings (or of tuples of strings: diff lines) likewise; anything else as it is."""
    if isinstance(value, str):
        return printable(value)
    if type(value) in (list, tuple) and value and isinstance(value[0], str | list | tuple):
        return type(value)(shown(item) for item in value)
    return value


def literal(value: Any) -> str:
    """A value as a JSON-ish literal: ``"text"``, ``true``, ``null``, ``{"label": "A"}``."""
    return json.dumps(value, ensure_ascii=False)


def is_long_text(path: str, before: Any, after: Any) -> bool:
    """True when a text field is shown as a line diff rather than ``"a" -> "b"``."""
    texts = [v for v in (before, after) if isinstance(v, str) and v]
    if not texts or any(v is not None and not isinstance(v, str) for v in (before, after)):
        return False
    if any("\n" in t or len(t) > LONG_TEXT_CHARS for t in texts):
        return True
    return len(texts) == 2 and path.rsplit(".", 1)[-1] in LONG_TEXT_FIELDS


def text_lines(before: str | None, after: str | None) -> list[Line]:
    """A line diff of two texts (``None`` is empty): every line, signed ``-``, ``+`` or `` ``."""
    old, new = (before or "").splitlines(), (after or "").splitlines()
    return list(_signed(old, new))


def list_lines(before: Sequence[Any] | None, after: Sequence[Any] | None, *,
               is_set: bool, key: Callable[[Any], Any] = literal) -> list[Line]:
    """One line per list item (as a literal), signed. Sets compare items by ``key``: removed
    items first, then the desired items in order; ordered lists get a sequence diff."""
    old, new = list(before or []), list(after or [])
    if is_set:
        kept = {key(item) for item in new}
        have = {key(item) for item in old}
        gone = [("-", literal(i)) for i in old if key(i) not in kept]
        return gone + [(" " if key(i) in have else "+", literal(i)) for i in new]
    return list(_signed([literal(i) for i in old], [literal(i) for i in new]))


def _signed(old: list[str], new: list[str]) -> Iterable[Line]:
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            yield from ((" ", line) for line in old[i1:i2])
            continue
        yield from (("-", line) for line in old[i1:i2])
        yield from (("+", line) for line in new[j1:j2])


def side_by_side(lines: Sequence[Line]) -> list[Row]:
    """Pair a signed diff into rows: unchanged lines on both sides, each run of removed lines
    beside the run of added lines that replaces it."""
    rows: list[Row] = []
    index = 0
    while index < len(lines):
        sign, text = lines[index]
        if sign == " ":
            rows.append((" ", text, " ", text))
            index += 1
            continue
        gone, added, index = _run(lines, index)
        for n in range(max(len(gone), len(added))):
            left = ("-", gone[n]) if n < len(gone) else ("", "")
            right = ("+", added[n]) if n < len(added) else ("", "")
            rows.append((*left, *right))
    return rows


def _run(lines: Sequence[Line], index: int) -> tuple[list[str], list[str], int]:
    gone: list[str] = []
    added: list[str] = []
    while index < len(lines) and lines[index][0] != " ":
        (gone if lines[index][0] == "-" else added).append(lines[index][1])
        index += 1
    return gone, added, index


def paint(text: str, key: str, color: bool) -> str:
    """``text`` in the ANSI colour of ``key`` (a change symbol or a severity) when ``color``."""
    code = _ANSI.get(key)
    if not color or code is None or not text:
        return text
    return f"\x1b[{code}m{text}\x1b[0m"


def code(text: str) -> str:
    """A Markdown code span that holds any text (backticks included, never HTML-interpreted)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fence(lines: Iterable[str]) -> str:
    """A backtick fence longer than any backtick run in ``lines`` (so content cannot close it)."""
    longest = max((len(run) for line in lines for run in re.findall(r"`{3,}", line)), default=0)
    return "`" * max(3, longest + 1)


def plural(count: int, word: str) -> str:
    """``1 write``, ``4 writes``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


FILTERS: dict[str, Callable[..., Any]] = {
    "literal": literal,
    "side_by_side": side_by_side,
    "paint": paint,
    "code": code,
    "fence": fence,
    "plural": plural,
}


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#!])")
_WORD_JOINER = "\u2060"  # invisible; stops an autolink or @mention from forming
_LINKISH = re.compile(r"(@|://|(?i:www)\.)")


def md(text: str) -> str:
    """Plain text made inert in Markdown: HTML-escaped, its punctuation backslash-escaped, and
    ``@name``, ``https://``, ``www.`` broken by a word joiner (no mention, no autolink)."""
    html = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return inert(_MD_SPECIAL.sub(r"\\\1", html))


def inert(text: str) -> str:
    """``text`` with a word joiner after each ``@`` and inside each ``://`` and ``www.``, so that
    a forge renders it as written but links nothing and notifies no one."""
    return _LINKISH.sub(lambda m: m.group()[0] + _WORD_JOINER + m.group()[1:], text)


def cell(text: str) -> str:
    """A Markdown table cell holding ``text`` as code (a ``|`` cannot end the cell)."""
    return code(text).replace("|", "\\|")


FILTERS.update({"md": md, "cell": cell, "inert": inert})


def more(items: Sequence[Any], cap: int | None) -> str:
    """The Markdown line that stands for the items a cap leaves out, or nothing."""
    if cap is None or len(items) <= cap:
        return ""
    return f"- … and {len(items) - cap} more (truncated)\n"


FILTERS["more"] = more
