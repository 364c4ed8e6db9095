"""The fast YAML path: PyYAML's C parser composes nodes (which carry line and column), and one
walk turns them into plain values with YAML 1.2 core scalars: ``values`` (what a load needs), or
``load``, which also makes a source map of positions (asked for only when a problem needs a
location, by parsing that file's text again).

Duplicate keys, unknown tags, recursive aliases, runaway alias expansion ("billion laughs"),
nesting deeper than ``MAX_DEPTH`` and numbers too long to convert are refused here with a
``YamlProblem`` that points at the offending node.
"""

from __future__ import annotations

import math
import re
from typing import Any, ClassVar, cast

import yaml

from scsync.config.yamldepth import TooDeep, check_depth

Path_ = tuple[Any, ...]
# (key line, key col, value line, value col), 1-based; the key equals the value for list items.
Pos = tuple[int, int, int, int]

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
# Config files nest a few levels; the C composer recurses per level (and crashes the process some
# tens of thousands deep), so deeper files are refused before they are composed.
MAX_DEPTH = 64
_TOO_DEEP = f"the file nests more than {MAX_DEPTH} levels deep; config files need only a few levels"
# Below this bound every parser release composes the file, and the walk checks its depth exactly.
_SCAN_ABOVE = 4 * MAX_DEPTH
# The scan may count a level or two too many on odd keys: it refuses only files clearly too deep,
# and leaves those near the limit to the walk's exact count.
_SCAN_MARGIN = 16
_TAGS_LENGTH, _TAGS_KEPT = 40, 20_000  # the plain scalars whose tags ``resolve`` keeps
_MAX_INT_BITS = 3 * 4000  # below Python's 4300-digit limit of int <-> str conversion
_PREFIX_CHARS = r"[ \t?:-]"  # what may come before a block collection's first key or item
_BRACKET = re.compile(r"[\[\]{}]")
_WEIGHT = {"[": 2, "{": 1, "]": -2, "}": -1}
_HIDING = re.compile(r"[\"'#!&*%]")  # what may start a token that holds text brackets


class YamlProblem(Exception):
    """A YAML-level problem at 1-based (line, col)."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


class _Core12Loader(yaml.CSafeLoader):
    """CSafeLoader with the YAML 1.2 core schema's implicit resolvers (``Yes`` is a string)."""

    yaml_implicit_resolvers: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}
    # The tags of short plain scalars met before (keys and repeated values, mostly): a look-up
    # instead of the resolvers' regexes.
    plain_tags: ClassVar[dict[str, str]] = {}

    # The C composer calls these once per node: PyYAML's general versions (path resolvers,
    # wildcard resolvers) cost a sixth of a large load; this loader has neither.
    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return _STR
            tag = self.plain_tags.get(value)
            if tag is None:
                tag = _STR
                for candidate, regex in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if regex.match(value):
                        tag = candidate
                        break
                if len(value) <= _TAGS_LENGTH and len(self.plain_tags) < _TAGS_KEPT:
                    self.plain_tags[value] = tag
            return tag
        return _SEQ if kind is yaml.SequenceNode else _MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


def _add(tag: str, pattern: str, first: str) -> None:
    regex = re.compile(pattern, re.X)
    for char in first:
        _Core12Loader.yaml_implicit_resolvers.setdefault(char, []).append((tag, regex))


_add(_NULL, r"^(?:~|null|Null|NULL|)$", "~nN\x00")
_Core12Loader.yaml_implicit_resolvers.setdefault("", []).append((_NULL, re.compile(r"^$")))
_add(_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
_add(_INT, r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789")
_add(_FLOAT, r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
             r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+.0123456789")


def _int(text: str) -> int:
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text)


def _float(text: str) -> float:
    lowered = text.lower()
    if lowered.endswith(".inf"):
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered == ".nan":
        return math.nan
    return float(text)


def _number(node: yaml.ScalarNode) -> int | float:
    """The number, refusing one too long for Python to convert (or to print in a message)."""
    try:
        number = _int(node.value) if node.tag == _INT else _float(node.value)
        if isinstance(number, int) and number.bit_length() > _MAX_INT_BITS:
            raise ValueError(node.value)
        return number
    except ValueError:
        mark = node.start_mark
        raise YamlProblem(f"the number has too many digits ({len(node.value)}); quote it if it "
                          "is text", mark.line + 1, mark.column + 1) from None


def _scalar(node: yaml.ScalarNode) -> Any:
    tag, value = node.tag, node.value
    if tag == _STR:
        return value
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return value.lower() == "true"
    if tag in (_INT, _FLOAT):
        return _number(node)
    mark = node.start_mark
    raise YamlProblem(f"unsupported tag {tag}; config files use plain YAML without tags",
                      mark.line + 1, mark.column + 1)


class Loaded:
    """One document as plain values, and where each path's key and value are."""

    # a plain class, not a dataclass: creating a dataclass compiles its methods (~0.5 ms a start)
    __slots__ = ("data", "positions")
    data: Any
    positions: dict[Path_, Pos]

    def __init__(self, data: Any, positions: dict[Path_, Pos]) -> None:
        self.data = data
        self.positions = positions


class _Walker:
    """Turns a composed node graph into values, counting the values that aliases expand to (a
    collection visited again) against ``budget``, so alias bombs cost bounded time and memory."""

    def __init__(self, budget: int, *, record: bool = True) -> None:
        self.budget = budget
        self.record = record
        self.positions: dict[Path_, Pos] = {}
        self.active: set[int] = set()
        self.seen: set[int] = set()
        self.reusing = 0

    def value(self, node: yaml.Node, path: Path_, key_pos: tuple[int, int]) -> Any:
        mark = node.start_mark
        if self.record:
            self.positions[path] = (key_pos[0], key_pos[1], mark.line + 1, mark.column + 1)
        if self.reusing:
            self.budget -= 1
            if self.budget < 0:
                raise YamlProblem("aliases expand to too many values (an alias bomb?); "
                                  "refusing to load this file", mark.line + 1, mark.column + 1)
        if len(path) > MAX_DEPTH:
            raise _too_deep(mark)
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        return self._collection(node, path, mark)

    def _collection(self, node: yaml.Node, path: Path_, mark: yaml.Mark) -> Any:
        key = id(node)
        if key in self.active:
            raise YamlProblem("an alias refers to a node that contains it (a recursive alias)",
                              mark.line + 1, mark.column + 1)
        reused = key in self.seen
        self.seen.add(key)
        self.active.add(key)
        self.reusing += reused
        try:
            if isinstance(node, yaml.SequenceNode):
                return self._sequence(node, path)
            return self._mapping(cast(yaml.MappingNode, node), path)
        finally:
            self.active.discard(key)
            self.reusing -= reused

    def _sequence(self, node: yaml.SequenceNode, path: Path_) -> list[Any]:
        if node.tag != _SEQ:
            _unsupported(node)
        out = []
        for index, item in enumerate(node.value):
            mark = item.start_mark
            out.append(self.value(item, (*path, index), (mark.line + 1, mark.column + 1)))
        return out

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[Any, Any]:
        if node.tag != _MAP:
            _unsupported(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _key(key_node)
            mark = key_node.start_mark
            if key in out:
                raise _duplicate(node, key, mark)
            out[key] = self.value(value_node, (*path, key), (mark.line + 1, mark.column + 1))
        return out


def _key(node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        mark = node.start_mark
        raise YamlProblem("a mapping key must be a plain value, not a list or mapping",
                          mark.line + 1, mark.column + 1)
    key = _scalar(node)
    return key if isinstance(key, str) else node.value


def _duplicate(node: yaml.MappingNode, key: Any, mark: yaml.Mark) -> YamlProblem:
    """The problem of ``key`` given again (at ``mark``) in ``node``, naming its first line."""
    first = next(k.start_mark.line + 1 for k, _ in node.value if _key(k) == key)
    return YamlProblem(f'duplicate key "{key}" (first defined at line {first})',
                       mark.line + 1, mark.column + 1)


def _unsupported(node: yaml.Node) -> None:
    mark = node.start_mark
    raise YamlProblem(f"unsupported tag {node.tag}; config files use plain YAML without tags",
                      mark.line + 1, mark.column + 1)


def _too_deep(mark: Any) -> YamlProblem:
    return YamlProblem(_TOO_DEEP, mark.line + 1, mark.column + 1)


def _flow_bound(text: str, budget: int) -> int:
    """An upper bound of the flow levels open at any point of ``text``, where a ``[`` counts two
    (it may open a single-pair mapping too) and a ``{`` one; stops counting above ``budget``.

    A line whose brackets, read left to right, never close more than they opened and close all
    they open, and which holds no character that starts a quoted scalar, a comment, a tag, an
    anchor, an alias or a directive (``"'#!&*%``), leaves the levels open as they were: either
    its brackets are the collections they look like (in flow context a plain scalar holds no
    bracket), or they are text at flow level 0 (a block plain or block scalar), or the whole
    line lies inside a quoted scalar that began on an earlier line. Such a line adds its own
    deepest point to the levels open before it; any other line counts every bracket it opens
    and none it closes, for the rest of the text. The bound never exceeds the count of all the
    brackets (``2 * [ + {``), and is far below it for files of one-line flow collections."""
    carried = deepest = 0
    at = 0
    while deepest <= budget:
        found = _BRACKET.search(text, at)
        if found is None:
            break
        start = text.rfind("\n", 0, found.start()) + 1
        end = text.find("\n", found.start())
        end = len(text) if end < 0 else end
        line, at = text[start:end], end
        opened = 2 * line.count("[") + line.count("{")
        peak = _balanced_peak(line)
        if peak < 0:
            carried += opened
            deepest = max(deepest, carried)
        else:
            deepest = max(deepest, carried + peak)
    return deepest


def _balanced_peak(line: str) -> int:
    """The deepest weighted bracket level of a line that opens and closes its own collections and
    holds nothing that may hide a bracket from the parser; -1 for any other line."""
    if _HIDING.search(line):
        return -1
    level = peak = 0
    for bracket in _BRACKET.findall(line):
        level += _WEIGHT[bracket]
        if level < 0:
            return -1
        peak = max(peak, level)
    return peak if level == 0 else -1


def _within_scan_bound(text: str) -> bool:
    """Whether a cheap upper bound of the nesting depth is at most ``_SCAN_ABOVE``: the flow
    levels (``_flow_bound``) plus two levels per column a block collection can start at (the
    longest run of white space and ``?``/``:``/``-`` at the start of a line, plus one). Looks for
    one line start longer than the bound allows instead of measuring every line."""
    flow = 2 * text.count("[") + text.count("{")
    if flow > _SCAN_ABOVE - 2:
        flow = _flow_bound(text, _SCAN_ABOVE)
    longest = (_SCAN_ABOVE - flow) // 2 - 1  # the longest line prefix the bound allows
    if longest < 0:
        return False
    too_long = f"{_PREFIX_CHARS}{{{longest + 1}}}"  # compiled once each, in re's cache
    return re.match(too_long, text) is None and re.search("\n" + too_long, text) is None


def _check_depth(text: str) -> None:
    """Refuse a file nested deeper than ``MAX_DEPTH`` before the parser sees it (its own limits
    and messages differ from one release to the next)."""
    if _within_scan_bound(text):
        return  # the parser handles this depth, and the walk below checks it exactly
    try:
        check_depth(text, MAX_DEPTH + _SCAN_MARGIN)
    except TooDeep:
        try:
            check_depth(text, MAX_DEPTH)
        except TooDeep as exc:
            raise YamlProblem(_TOO_DEEP, exc.line, exc.col) from None


def load(text: str) -> Loaded:
    """Parse one YAML document with its source map. Raises ``YamlProblem`` (with 1-based
    line/col) on any problem."""
    root = _compose(text)
    if root is None:
        return Loaded(None, {})
    walker = _Walker(budget=_budget(text))
    data = walker.value(root, (), (root.start_mark.line + 1, root.start_mark.column + 1))
    return Loaded(data, walker.positions)


def values(text: str, strings: dict[str, str] | None = None) -> Any:
    """The plain values of one YAML document, as ``load(text).data`` without the source map;
    raises the same ``YamlProblem`` as ``load``. Text values equal to one in ``strings`` are that
    one (kept once however often a load meets them), and new ones are added to it."""
    root = _compose(text)
    if root is None:
        return None
    if "&" in text:  # anchors, so maybe aliases: the walk that counts what they expand to
        walker = _Walker(budget=_budget(text), record=False)
        return walker.value(root, (), (0, 0))
    return _Plain({} if strings is None else strings).value(root, 0)


def _budget(text: str) -> int:
    return len(text) // 4 + 10_000


class _Plain:
    """The walk of ``_Walker`` for a document without anchors (no node is visited twice),
    tracking only the depth. Each collection's scalar items are converted in its own loop."""

    def __init__(self, strings: dict[str, str]) -> None:
        self.text = strings.setdefault

    def value(self, node: yaml.Node, depth: int) -> Any:
        if node.__class__ is yaml.ScalarNode:
            return self.text(node.value, node.value) if node.tag == _STR else _scalar(node)
        if node.__class__ is yaml.SequenceNode:
            return self.sequence(node, depth)
        return self.mapping(cast(yaml.MappingNode, node), depth)

    def sequence(self, node: yaml.SequenceNode, depth: int) -> list[Any]:
        if node.tag != _SEQ:
            _unsupported(node)
        items = node.value
        if depth >= MAX_DEPTH and items:
            raise _too_deep(items[0].start_mark)
        out: list[Any] = []
        append, text = out.append, self.text
        scalar = yaml.ScalarNode
        for item in items:
            if item.__class__ is scalar:
                append(text(item.value, item.value) if item.tag == _STR else _scalar(item))
            else:
                append(self.value(item, depth + 1))
        return out

    def mapping(self, node: yaml.MappingNode, depth: int) -> dict[Any, Any]:
        if node.tag != _MAP:
            _unsupported(node)
        deep = depth >= MAX_DEPTH
        out: dict[Any, Any] = {}
        scalar, text = yaml.ScalarNode, self.text
        for key_node, value_node in node.value:
            if key_node.__class__ is scalar and key_node.tag == _STR:
                key = key_node.value
            else:
                key = _key(key_node)
            if key in out:
                raise _duplicate(node, key, key_node.start_mark)
            if deep:
                raise _too_deep(value_node.start_mark)
            if value_node.__class__ is scalar:
                out[key] = (text(value_node.value, value_node.value) if value_node.tag == _STR
                            else _scalar(value_node))
            else:
                out[key] = self.value(value_node, depth + 1)
        return out


def _compose(text: str) -> yaml.Node | None:
    """The composed node graph of ``text`` (None for an empty document)."""
    try:
        _check_depth(text)
        root = yaml.compose(text, Loader=_Core12Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = _yaml_message(exc)
        raise YamlProblem(message, mark.line + 1 if mark else 1, mark.column + 1 if mark else 1) \
            from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - text.rfind("\n", 0, exc.position)
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1])
        raise YamlProblem(f"not valid YAML: unacceptable character #x{char:04X}: {exc.reason}",
                          line, col) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"not valid YAML: {exc}", 1, 1) from None
    return root


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    problem = (exc.problem or "syntax error").strip()
    if exc.context:
        problem = f"{problem} ({exc.context.strip()})"
    if "expected a single document" in problem or "but found another document" in problem:
        return "a config file holds one YAML document; remove the second '---'"
    return f"not valid YAML: {problem}"
