"""ruamel.yaml round-trip editing that keeps comments where a reader expects them: load, dump,
reorder a mapping into canonical order, and replace or append entries.

ruamel attaches the comment lines that follow a value to that value (the deepest last entry of a
block collection), so comments *before* key B travel with key A. Every edit here first splits
each entry's trailing comment into its end-of-line part (which stays with the entry) and the
following full lines (which belong before the next entry, or to the end of the mapping), and
puts the following lines back in front of whichever entry comes next after the edit.
"""

from __future__ import annotations

import io
from typing import Any, cast

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    ScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.tokens import CommentToken

from scsync.ops.canonical import needs_quotes, order_for, sort_keys

Node = CommentedMap | CommentedSeq


def make_yaml() -> YAML:
    """The round-trip YAML (1.2) every writer here uses: quotes kept, 2-space maps, ``- `` lists
    indented under their key, no line folding."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.Representer = _Representer
    return yaml


class _Representer(RoundTripRepresenter):
    """ruamel's round-trip representer with ``null`` spelt out: ``bio: null`` reads as a
    deliberate clear, ``bio:`` as a slip. (A subclass: ruamel's registry is per class.)"""

    def represent_none(self, data: Any) -> Any:
        return self.represent_scalar("tag:yaml.org,2002:null", "null")


_Representer.add_representer(type(None), _Representer.represent_none)


def load(text: str) -> Any:
    return make_yaml().load(text)


def dump(doc: Any) -> str:
    out = io.StringIO()
    make_yaml().dump(doc, out)
    return out.getvalue()


def _is_block(value: Any) -> bool:
    return isinstance(value, (CommentedMap, CommentedSeq)) and len(value) > 0 \
        and not value.fa.flow_style()


def _last_key(node: Node) -> Any:
    return list(node.keys())[-1] if isinstance(node, CommentedMap) else len(node) - 1


def _tail_slot(node: Node, key: Any) -> tuple[list[Any], int]:
    """The comment slot holding what follows entry ``key`` of ``node`` (deepest last entry)."""
    value = node[key]
    if _is_block(value):
        return _tail_slot(value, _last_key(value))
    index = 2 if isinstance(node, CommentedMap) else 0
    slot = node.ca.items.setdefault(key, [None, None, None, None])
    return slot, index


def _split(token: CommentToken | None) -> tuple[str, str]:
    """A trailing comment as (end-of-line part, following full lines)."""
    if token is None:
        return "", ""
    text = str(token.value)
    head, sep, rest = text.partition("\n")
    return head + sep, rest


def _tail_collections(node: Node, key: Any) -> list[Node]:
    """The block collections an entry's tail passes through, innermost first."""
    found: list[Node] = []
    value = node[key]
    while _is_block(value):
        found.insert(0, value)
        value = value[_last_key(value)]
    return found


def get_following(node: Node, key: Any) -> str:
    """The full comment lines after entry ``key`` (before the next entry); ruamel keeps some of
    them (blank lines after a list) as the ``end`` comments of the collections that end there."""
    slot, index = _tail_slot(node, key)
    text = _split(slot[index])[1]
    for collection in _tail_collections(node, key):
        text += "".join(str(t.value) for t in collection.ca.end or [])
    return text


def set_following(node: Node, key: Any, following: str) -> None:
    """Make ``following`` the full comment lines after entry ``key``, keeping its own EOL part."""
    for collection in _tail_collections(node, key):
        collection.ca.end = []
    slot, index = _tail_slot(node, key)
    token = slot[index]
    eol, _ = _split(token)
    text = (eol or "\n") + following
    if text == "\n":
        slot[index] = None
        return
    mark = token.start_mark if token is not None else CommentMark(0)
    slot[index] = CommentToken(text, start_mark=mark)


def reorder(node: CommentedMap, keys: list[Any]) -> None:
    """Reorder ``node`` to ``keys`` (a permutation), moving comment lines with their entry."""
    old = list(node.keys())
    if old == keys:
        return
    before = {k: get_following(node, old[i - 1]) if i else "" for i, k in enumerate(old)}
    end = get_following(node, old[-1])
    # The new first entry's comment lines cannot go above the mapping's header: keep them above
    # the old first entry instead, so no comment is ever lost.
    before[old[0]], before[keys[0]] = before[keys[0]], ""
    for key in keys:
        node.move_to_end(key)
    for index, key in enumerate(keys):
        after = before[keys[index + 1]] if index + 1 < len(keys) else end
        set_following(node, key, after)


def append(node: CommentedMap, key: Any, value: Any) -> None:
    """Add ``key: value`` at the end of ``node``; comments that ended the mapping still end it."""
    end = get_following(node, _last_key(node)) if len(node) else ""
    if len(node):
        set_following(node, _last_key(node), "")
    node[key] = value
    if end:
        set_following(node, key, end)


def insert(node: CommentedMap, position: int, key: Any, value: Any) -> None:
    """Insert ``key: value`` at ``position``; the comment lines above the entry that was there
    stay above it."""
    keys = list(node.keys())
    if position >= len(keys):
        append(node, key, value)
        return
    following = get_following(node, keys[position - 1]) if position else ""
    if following:
        set_following(node, keys[position - 1], "")
    node.insert(position, key, value)
    if following:
        set_following(node, key, following)


def replace(node: Node, key: Any, value: Any) -> None:
    """Set entry ``key`` to ``value``, keeping the comment lines that followed the old value."""
    following = get_following(node, key)
    node[key] = value
    set_following(node, key, following)


def styled(text: str, *, flow: bool = False) -> str:
    """``text`` in its canonical scalar style (see ``scsync.ops.canonical``); ``flow``: it sits
    inside a flow collection."""
    if isinstance(text, (LiteralScalarString, FoldedScalarString)):
        return cast(str, text)
    if "\n" in text and text == text.strip(" ") and "\t" not in text:
        return cast(str, LiteralScalarString(str(text)))
    if needs_quotes(str(text), flow=flow):
        # Double quotes, or single ones for text holding a double quote (no escapes to read).
        style = SingleQuotedScalarString if '"' in text and text.isprintable() \
            else DoubleQuotedScalarString
        return text if type(text) is style else cast(str, style(str(text)))
    return str(text) if isinstance(text, ScalarString) else text


def canonicalize(doc: Any, path: tuple[str, ...] = (), *, flow: bool = False) -> None:
    """Put every mapping of a config document in canonical key order and every string in its
    canonical style, in place, comments kept."""
    if not isinstance(doc, (CommentedMap, CommentedSeq)):
        return
    flow = flow or bool(doc.fa.flow_style())
    if isinstance(doc, CommentedMap):
        order = order_for(path)
        if order is not None:
            reorder(doc, sort_keys(list(doc.keys()), order))
        for key in list(doc.keys()):
            _canonical_child(doc, key, (*path, str(key)), flow)
    else:
        for index in range(len(doc)):
            _canonical_child(doc, index, path, flow)


def _canonical_child(node: Node, key: Any, path: tuple[str, ...], flow: bool) -> None:
    value = node[key]
    if isinstance(value, str):
        new = styled(value, flow=flow)
        if new is not value:
            set_scalar(node, key, new)
    else:
        canonicalize(value, path, flow=flow)


def set_scalar(node: Node, key: Any, value: Any) -> None:
    """Set a scalar entry to exactly ``value``: ruamel's ``__setitem__`` would keep the old
    value's quoting style, which is what canonical styling must be able to change."""
    if isinstance(node, CommentedSeq):
        list.__setitem__(node, key, value)
        return
    if key not in node:
        node[key] = value
        return
    comments = node.ca.items.get(key)
    position = list(node.keys()).index(key)
    del node[key]
    node.insert(position, key, value)
    if comments is not None:
        node.ca.items[key] = comments
