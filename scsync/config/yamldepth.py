"""scsync's own nesting-depth scan of YAML text, run before any parser sees the file.

Parsers bound nesting themselves, each its own way: libyaml recursed until the process crashed,
and PyYAML 6.0.4 stops at 1,000 levels with a message of its own. So that a user sees scsync's
message (with the line and column of the level that is one too many) whichever release is
installed, this scan reads the text itself: block collections by their indentation and their
``- ``/``? ``/``key:`` indicators, flow collections by their brackets, skipping comments, quoted
scalars and block scalars. It never counts more levels than the parser will build (a plain scalar
that holds brackets is not a collection), so it refuses no file the parser accepts at the same
depth; the composed-node walk of ``yamlfast`` checks the exact depth of everything it lets through.
"""

from __future__ import annotations

import re

# Flow context: a quoted scalar (it may span lines), a comment (after white space), a bracket.
_FLOW_TOKEN = re.compile(
    r"""(?:(?<=[\[{,:\s])|^)(?:"(?:[^"\\]|\\.)*"?|'(?:[^']|'')*'?)"""
    r"""|(?:(?<=\s)|^)\#[^\n]*"""
    r"""|[\[\]{}]""",
    re.M | re.S,
)
_QUOTED = {'"': re.compile(r'"(?:[^"\\]|\\.)*"', re.S), "'": re.compile(r"'(?:[^']|'')*'", re.S)}
_PROPERTY = re.compile(r"(?:[&!][^\s]*[ \t]+)*")  # anchors and tags before a node
_KEY_END = re.compile(r":(?:[ \t]|$)")
_LINE_END = re.compile(r"\n")
_MAP, _SEQ, _SEQ_IN_MAP = "map", "seq", "seq-in-map"


def _is_item(rest: str) -> bool:
    """Whether a line's content starts with a block sequence or complex-key indicator."""
    return rest[:2] in ("- ", "? ", "-\t", "?\t") or rest in ("-", "?")


class TooDeep(Exception):
    """The text nests deeper than the limit; ``line`` and ``col`` (1-based) are where."""

    def __init__(self, line: int, col: int) -> None:
        super().__init__(line, col)
        self.line = line
        self.col = col


class _Scan:
    def __init__(self, text: str, limit: int) -> None:
        self.text = text
        self.limit = limit
        self.starts = [0] + [m.end() for m in _LINE_END.finditer(text)]

    def position(self, offset: int) -> tuple[int, int]:
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:  # the last line start at or before offset
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, offset - self.starts[lo] + 1

    def deeper(self, depth: int, offset: int) -> None:
        if depth > self.limit:
            raise TooDeep(*self.position(offset))

    def flow(self, offset: int, base: int) -> int:
        """Scans the flow collection opening at ``offset``; returns the offset after it."""
        depth = 0
        for match in _FLOW_TOKEN.finditer(self.text, offset):
            token = match.group()
            if token in "[{":
                depth += 1
                self.deeper(base + depth, match.start())
            elif token in "]}":
                depth -= 1
                if depth <= 0:
                    return match.end()
        return len(self.text)

    def quoted(self, offset: int) -> int:
        match = _QUOTED[self.text[offset]].match(self.text, offset)
        return match.end() if match else len(self.text)

    def run(self) -> None:
        text = self.text
        stack: list[tuple[int, str]] = []  # the column and kind of each open block collection
        resume = 0  # text before this offset was consumed by a flow or quoted node
        scalar_indent = -1  # inside a block scalar: lines indented more than this belong to it
        for number, start in enumerate(self.starts):
            if start < resume:
                continue  # (part of) the line belongs to a flow or quoted node already scanned
            end = self.starts[number + 1] - 1 if number + 1 < len(self.starts) else len(text)
            line = text[start:end].rstrip("\r")
            stripped = line.lstrip(" ")
            indent = len(line) - len(stripped)
            if scalar_indent >= 0:
                if not stripped.strip() or indent > scalar_indent:
                    continue
                scalar_indent = -1
            if not stripped or stripped[0] == "#":
                continue
            if indent == 0 and stripped.startswith(("---", "...", "%")):
                stack.clear()
                continue
            item = _is_item(stripped)
            while stack and (stack[-1][0] > indent
                             or (stack[-1] == (indent, _SEQ_IN_MAP) and not item)):
                stack.pop()
            col, rest = indent, stripped
            while _is_item(rest):
                self._open(stack, col, start + col, _SEQ if rest[0] == "-" else _MAP)
                skip = len(rest) - len(rest[1:].lstrip(" \t"))
                col, rest = col + skip, rest[skip:]
            resume = self._node(stack, col, rest, start)
            if resume < 0:
                scalar_indent, resume = (stack[-1][0] if stack else indent), 0

    def _open(self, stack: list[tuple[int, str]], col: int, offset: int, kind: str) -> None:
        if not stack or stack[-1][0] < col:
            stack.append((col, kind))
        elif stack[-1] == (col, _MAP) and kind == _SEQ:
            stack.append((col, _SEQ_IN_MAP))  # a sequence as a key's value, not indented
        else:
            return
        self.deeper(len(stack), offset)

    def _node(self, stack: list[tuple[int, str]], col: int, rest: str, start: int) -> int:
        """One node that starts a line's content; the offset where scanning resumes, or -1 when a
        block scalar starts."""
        skip = _PROPERTY.match(rest)
        if skip and skip.end():
            col, rest = col + skip.end(), rest[skip.end():]
        if not rest:
            return 0
        if rest[0] in "[{":
            return self.flow(start + col, len(stack))
        if rest[0] in "|>":
            return -1
        value_at = self._value_after_key(rest)
        if value_at is None:
            if rest[0] in "\"'":
                return self.quoted(start + col)
            return 0
        self._open(stack, col, start + col, _MAP)
        value = rest[value_at:]
        skip = _PROPERTY.match(value)
        offset = value_at + (skip.end() if skip else 0)
        value = rest[offset:]
        if value[:1] in ("[", "{"):
            return self.flow(start + col + offset, len(stack))
        if value[:1] in ("|", ">"):
            return -1
        if value[:1] in ("\"", "'"):
            return self.quoted(start + col + offset)
        return 0

    @staticmethod
    def _value_after_key(rest: str) -> int | None:
        """Where the value starts when ``rest`` is ``key: value`` (a plain or quoted key)."""
        key_end = 0
        if rest[0] in "\"'":
            match = _QUOTED[rest[0]].match(rest)
            if not match:
                return None
            key_end = match.end()
        found = _KEY_END.search(rest, key_end)
        if found is None or (key_end and found.start() != key_end):
            return None
        if " #" in rest[key_end:found.start()]:
            return None  # the colon is inside a comment
        tail = rest[found.end():]
        return found.end() + len(tail) - len(tail.lstrip(" \t"))


def check_depth(text: str, limit: int) -> None:
    """Raise ``TooDeep`` when ``text`` nests more than ``limit`` levels deep."""
    _Scan(text, limit).run()
