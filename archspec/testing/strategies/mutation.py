"""Fuzzing inputs derived from an existing spec: byte-level text mutations and structural
mutations of its parsed tree."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

from archspec.testing.strategies.world import KeyPath

_TOKENS = (b"\t", b"\x00", b"\xff", b"\xef\xbb\xbf", b"&a ", b"*a", b"!!python/object:os.system ",
           b"!!int ", b"!foo ", b"---\n", b"...\n", b"? ", b"- ", b": ", b"{", b"}", b"[", b"]",
           b"\"", b"'", b"#", b"\n", b"\r", b"\r\n", b"%YAML 1.1\n", b"<<: *a\n", b"yes", b"no",
           b".inf", b".nan", b"1e999", b"0x1F", b"0o17", b"~", b"null", b"\xc2\x85",
           b"\xe2\x80\xa8", "\u00e9".encode(), b"\x1b", b"  ", b",", b"|\n", b">-\n",
           b"999999999999999999999999", b"-1", b"0", b"2.5", b"true", b"block: ")


def get(doc: Any, path: KeyPath) -> Any:
    """The node at ``path`` in a tree of dicts and lists."""
    for part in path:
        doc = doc[part]
    return doc


@st.composite
def _mutated_texts(draw: Any, text: bytes) -> bytes:
    data = bytearray(text)
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "flip", "delete", "replace", "dup_line",
                                   "truncate", "indent"]))
        if op == "insert":
            data[pos:pos] = draw(st.one_of(st.sampled_from(_TOKENS),
                                           st.binary(min_size=1, max_size=4)))
        elif op == "flip" and pos < len(data):
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 16))]
        elif op == "replace" and pos < len(data):
            data[pos:pos + 1] = draw(st.sampled_from(_TOKENS))
        elif op == "dup_line":
            start = data.rfind(b"\n", 0, pos) + 1
            end = data.find(b"\n", pos)
            end = len(data) if end < 0 else end + 1
            data[end:end] = data[start:end]
        elif op == "truncate":
            del data[pos:]
        elif op == "indent":
            start = data.rfind(b"\n", 0, pos) + 1
            data[start:start] = b" " * draw(st.integers(1, 3))
    return bytes(data)


def mutated_texts(text: str | bytes) -> st.SearchStrategy[bytes]:
    """``text`` with a few byte-level mutations: YAML syntax tokens, tags, anchors, control
    characters, invalid UTF-8, truncation, duplicated lines, indentation changes."""
    return _mutated_texts(text.encode("utf-8") if isinstance(text, str) else bytes(text))


def _paths(tree: Any, here: KeyPath = ()) -> list[KeyPath]:
    out = [here]
    if isinstance(tree, dict):
        for k, v in tree.items():
            out += _paths(v, (*here, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out += _paths(v, (*here, i))
    return out


_SCALARS = st.one_of(
    st.sampled_from([0, 1, 2, 3, -1, 7, 1000, 2**31, 2**63, 10**30]),
    st.integers(-5, 64),
    st.sampled_from([0.0, 0.1, 0.5, 1.0, 1.5, 64.0, 1e-300, 1e300, -0.0, 0.01]),
    st.floats(-100, 100),
    st.booleans(), st.none(),
    st.sampled_from(["", "relu", "attn", "grid", "bn", "ln", "none", "conv", "mmb", "shuffle",
                     "x1_0", "s1", "yes", "1e3", "global", "avg", " a b ", "\u00e9"]),
    st.text(max_size=6),
)
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
        ["block", "out", "k", "stride", "name", "depth", "exp", "f", "size", "x"]), inner,
        max_size=3)), max_leaves=6)
_KEYS = ("block", "out", "k", "stride", "name", "depth", "exp", "mid", "f", "window", "dim_head",
         "groups", "skip", "dw_skip", "first", "blocks", "branches", "merge", "se", "noqa",
         "variants", "default_variant", "stages", "input", "size", "channels", "width", "mult",
         "strid", "G1", "")


@st.composite
def _mutated_trees(draw: Any, tree: Any) -> Any:
    tree = copy.deepcopy(tree)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(tree)))
        parent: Any = get(tree, path[:-1]) if path else None
        op = draw(st.sampled_from(["replace", "delete", "add_key", "dup_item", "swap", "rename"]))
        if op == "replace" and path:
            parent[path[-1]] = draw(_VALUES)
        elif op == "delete" and path:
            del parent[path[-1]]
        elif op == "add_key":
            node = get(tree, path)
            if isinstance(node, dict):
                node[draw(st.sampled_from(_KEYS))] = draw(_VALUES)
        elif op == "dup_item" and isinstance(parent, list):
            parent.insert(path[-1], copy.deepcopy(parent[path[-1]]))
        elif op == "swap" and isinstance(parent, list) and len(parent) > 1:
            j = draw(st.integers(0, len(parent) - 1))
            parent[path[-1]], parent[j] = parent[j], parent[path[-1]]
        elif op == "rename" and isinstance(parent, dict):
            value = parent.pop(path[-1])
            parent[draw(st.sampled_from(_KEYS))] = value
        if not isinstance(tree, dict):
            break
    return tree


def mutated_trees(tree: dict[str, Any]) -> st.SearchStrategy[Any]:
    """``tree`` (a spec's plain data) with one to three structural mutations: values replaced by
    values of any type, keys deleted, added or renamed, list items duplicated or swapped."""
    return _mutated_trees(tree)
