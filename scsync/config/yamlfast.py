"""The fast YAML path: PyYAML's C parser composes nodes (which carry line and column), and one
walk turns them into plain values with YAML 1.2 core scalars and a source map of positions.

Duplicate keys, unknown tags, recursive aliases, runaway alias expansion ("billion laughs"),
nesting deeper than ``MAX_DEPTH`` and numbers too long to convert are refused here with a
``YamlProblem`` that points at the offending node.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, cast

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
_MAX_INT_BITS = 3 * 4000  # below Python's 4300-digit limit of int <-> str conversion
_BLOCK_PREFIX = re.compile(r"^[ \t?:-]*", re.M)


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

    # The C composer calls these once per node: PyYAML's general versions (path resolvers,
    # wildcard resolvers) cost a sixth of a large load; this loader has neither.
    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regex in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if regex.match(value):
                        return tag
            return _STR
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


@dataclass(slots=True)
class Loaded:
    """One document as plain values, and where each path's key and value are."""

    data: Any
    positions: dict[Path_, Pos]


class _Walker:
    """Turns a composed node graph into values, counting the values that aliases expand to (a
    collection visited again) against ``budget``, so alias bombs cost bounded time and memory."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.positions: dict[Path_, Pos] = {}
        self.active: set[int] = set()
        self.seen: set[int] = set()
        self.reusing = 0

    def value(self, node: yaml.Node, path: Path_, key_pos: tuple[int, int]) -> Any:
        mark = node.start_mark
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
            key = self._key(key_node)
            mark = key_node.start_mark
            if key in out:
                first = self.positions[(*path, key)]
                raise YamlProblem(f'duplicate key "{key}" (first defined at line {first[0]})',
                                  mark.line + 1, mark.column + 1)
            out[key] = self.value(value_node, (*path, key), (mark.line + 1, mark.column + 1))
        return out

    def _key(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            mark = node.start_mark
            raise YamlProblem("a mapping key must be a plain value, not a list or mapping",
                              mark.line + 1, mark.column + 1)
        key = _scalar(node)
        return key if isinstance(key, str) else node.value


def _unsupported(node: yaml.Node) -> None:
    mark = node.start_mark
    raise YamlProblem(f"unsupported tag {node.tag}; config files use plain YAML without tags",
                      mark.line + 1, mark.column + 1)


def _too_deep(mark: Any) -> YamlProblem:
    return YamlProblem(_TOO_DEEP, mark.line + 1, mark.column + 1)


def _depth_bound(text: str) -> int:
    """An upper bound of the nesting depth, cheap to compute: flow brackets (a ``[`` may open a
    single-pair mapping too) plus two levels per column a block collection can start at."""
    flow = 2 * text.count("[") + text.count("{")
    if flow > _SCAN_ABOVE:
        return flow
    return flow + 2 * (max(map(len, _BLOCK_PREFIX.findall(text)), default=0) + 1)


def _check_depth(text: str) -> None:
    """Refuse a file nested deeper than ``MAX_DEPTH`` before the parser sees it (its own limits
    and messages differ from one release to the next)."""
    if _depth_bound(text) <= _SCAN_ABOVE:
        return  # the parser handles this depth, and the walk below checks it exactly
    try:
        check_depth(text, MAX_DEPTH + _SCAN_MARGIN)
    except TooDeep:
        try:
            check_depth(text, MAX_DEPTH)
        except TooDeep as exc:
            raise YamlProblem(_TOO_DEEP, exc.line, exc.col) from None


def load(text: str) -> Loaded:
    """Parse one YAML document. Raises ``YamlProblem`` (with 1-based line/col) on any problem."""
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
    if root is None:
        return Loaded(None, {})
    walker = _Walker(budget=len(text) // 4 + 10_000)
    data = walker.value(root, (), (root.start_mark.line + 1, root.start_mark.column + 1))
    return Loaded(data, walker.positions)


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    problem = (exc.problem or "syntax error").strip()
    if exc.context:
        problem = f"{problem} ({exc.context.strip()})"
    if "expected a single document" in problem or "but found another document" in problem:
        return "a config file holds one YAML document; remove the second '---'"
    return f"not valid YAML: {problem}"
