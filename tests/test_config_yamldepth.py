"""scsync's own nesting scan (config/yamldepth) against the depth PyYAML composes."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from scsync.config import yamlfast
from scsync.config.yamldepth import TooDeep, check_depth


def composed_depth(text: str) -> int:
    def depth(node: yaml.Node) -> int:
        if isinstance(node, yaml.ScalarNode):
            return 0
        if isinstance(node, yaml.SequenceNode):
            return 1 + max((depth(item) for item in node.value), default=0)
        return 1 + max((max(depth(k), depth(v)) for k, v in node.value), default=0)

    return depth(yaml.compose(text, Loader=yaml.CSafeLoader))


def scanned_depth(text: str) -> int:
    low, high = 0, 200
    while low < high:
        middle = (low + high) // 2
        try:
            check_depth(text, middle)
            high = middle
        except TooDeep:
            low = middle + 1
    return low


@pytest.mark.parametrize("text", [
    "a: '[[[[[[[['\nb: \"{{{{{{\"\n",
    "bio: a[[[[[[[[[[[b\n",
    "text: |\n  [[[[[[[[[\n  {{{{{{{\nnext: 1\n",
    "k: >-\n   {{{{\n   [[[\n",
    "- - - - x\n",
    "a:\n  b:\n    c: [1, [2, [3]]]\n",
    "a: [x, # [[[[\n  y]\n",
    "a: [don't, it's]\n",
    "? [a, [b]]\n: 1\n",
    "a: &x [1, [2]]\nb: *x\n",
    "a:\n- b\n- [c, [d]]\n",
    "- a: 1\n  b:\n    - c: [d]\n",
    "q: 'it''s [a'\nr: [1]\n",
    "x: \"multi\n  line [[[[ \"\ny: {a: {b: 1}}\n",
    "{a: [1, {b: [2]}]}\n",
    "a:\r\n  - [b]\r\n",
])
def test_the_scan_counts_what_the_parser_builds(text: str) -> None:
    assert scanned_depth(text) == composed_depth(text)


def test_the_scan_locates_the_level_one_too_many() -> None:
    with pytest.raises(TooDeep) as caught:
        check_depth("x: " + "[" * 100 + "]" * 100, 64)
    assert (caught.value.line, caught.value.col) == (1, 67)  # the root mapping is level 1


def test_brackets_in_text_are_not_levels() -> None:
    text = "profiles:\n  twitter/x:\n    bio: '" + "[" * 5000 + "'\n    name: a" + "{" * 5000 + "\n"
    check_depth(text, 4)


_keys = st.text(alphabet="ab[]{}#: '\"-", min_size=1, max_size=4)
_leaves = st.text(alphabet="ab[]{}#:'\" -|>,&*!?\n", max_size=8)
_values: Any = st.recursive(
    _leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=30)


@settings(max_examples=150, deadline=None)
@given(_values, st.sampled_from([None, True, False]), st.sampled_from([2, 4]))
def test_the_scan_never_counts_far_above_the_parser(value: Any, flow: bool | None,
                                                    indent: int) -> None:
    """The scan refuses only at the limit plus a margin (yamlfast), and the walk of composed
    nodes judges the rest exactly: it must never count many levels more, nor half as many."""
    text = yaml.dump(value, default_flow_style=flow, indent=indent, allow_unicode=True)
    scanned, composed = scanned_depth(text), composed_depth(text)
    assert composed // 2 <= scanned <= composed + 2


def bound(text: str) -> int:
    """yamlfast's cheap bound: the flow levels plus two per column a block collection may start."""
    prefix = max((len(line) - len(line.lstrip(" \t?:-")) for line in text.split("\n")), default=0)
    return yamlfast._flow_bound(text, 10**9) + 2 * (prefix + 1)


_text_with_brackets = st.text(alphabet="[]{}'\"#!&*%,:- ab\n|>?\\", max_size=40)


@settings(max_examples=600, deadline=None)
@given(_text_with_brackets)
def test_the_cheap_bound_is_an_upper_bound_of_random_text(text: str) -> None:
    """Whatever quotes, comments, block scalars and plain text hide brackets, the bound that lets
    a file skip the scan is never below the depth the parser composes."""
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return
    if root is not None:
        assert composed_depth(text) <= bound(text)


@settings(max_examples=150, deadline=None)
@given(_values, st.sampled_from([None, True, False]), st.sampled_from([2, 4]))
def test_the_cheap_bound_is_an_upper_bound_of_dumped_values(value: Any, flow: bool | None,
                                                            indent: int) -> None:
    text = yaml.dump(value, default_flow_style=flow, indent=indent, allow_unicode=True)
    assert composed_depth(text) <= bound(text)


@pytest.mark.parametrize("text", [
    "a: \"x\n]]]]\n\" \nb: [[[[[[1]]]]]]\n",  # a quoted scalar over lines hides closers
    "a: 'x\n]] '\nb: [[[1]]]\n",
    "a: [x, # ]]]]\n  [[[1]]]]\n",  # a comment hides closers inside a flow collection
    "a: |\n  ]]]]\nb: [[[[1]]]]\n",  # a block scalar's text
    "a: b]]]]\nc: [[[[1]]]]\n",  # a block plain scalar's text
    "a: [[[x,\n  [[[1]]]]]]\n",  # a collection over lines
    "[don't, [[it]]]\n",
    "a: {b: [[[[c]]]]}\r\nd: [[1]]\r\n",
    # lines that look balanced while a quoted scalar or a comment hides their closers: 125 levels
    "a: [[[[ ']]]]\n" + "', [[[[ ']]]]\n" * 30 + "', x" + "]" * 124 + "\n",
    'a: [[[[ "]]]]\n' + '", [[[[ "]]]]\n' * 30 + '", x' + "]" * 124 + "\n",
    "a: [[[[ # ]]]]\n" + "[[[[ # ]]]]\n" * 30 + "x" + "]" * 124 + "\n",
])
def test_the_cheap_bound_counts_what_hides_in_text(text: str) -> None:
    assert composed_depth(text) <= bound(text)


def test_one_line_flow_collections_skip_the_scan() -> None:
    """A large file of short flow collections (``streams: [a, b]``) is not scanned: each line
    closes what it opens, so the bound stays that of one line."""
    text = "topics:\n" + "".join(f"  t{i}:\n    streams: [a, {{profile: b, x: [c]}}]\n"
                                 for i in range(5_000))
    assert 2 * text.count("[") + text.count("{") > 256
    assert yamlfast._within_scan_bound(text)
    assert not yamlfast._within_scan_bound("x: [a,\n" + "[" * 130 + "\n" + "]" * 131)
