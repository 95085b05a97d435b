"""Fuzzing the loader and the torch-free pipeline with mutations of the shipped specs.

Every outcome is a clean result or a SpecError whose diagnostics are located (line ≥ 1, col ≥ 1,
inside the text); any other exception fails with the input that caused it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hypothesis import assume, event, given, note, settings
from hypothesis import strategies as st

import archspec
from archspec.diagnostics import SpecError
from archspec.spec.source import parse_source
from archspec.testing.strategies import mutated_texts, mutated_trees

from ._known_bugs import crash_bug
from ._support import examples

YAML_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
SPECS = sorted((Path(__file__).parents[2] / "specs").glob("*.yaml"))
TEXTS = {p.name: p.read_bytes() for p in SPECS}
TREES = {p.name: parse_source(p.read_bytes(), p.name).data for p in SPECS}


def _pipeline(text: bytes | str, file: str) -> str:
    """Load, then resolve, trace, analyse and lint every variant; returns how far it got."""
    doc = archspec.loads(text, file)
    for variant in doc.variants or [None]:
        archspec.trace(archspec.resolve(doc, variant))
        archspec.analyze(doc, variant=variant)
    archspec.lint(doc)
    return "clean"


def _outcome(text: bytes | str, file: str) -> str:
    try:
        return _pipeline(text, file)
    except SpecError as exc:
        decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        n = len(YAML_BREAK.split(decoded))  # lines as YAML counts them
        for d in exc.diagnostics:
            assert d.code.startswith("E") and d.message, d
            assert d.span.line >= 1 and d.span.col >= 1, d
            assert d.span.line <= n + 1, (d, n)
        return f"SpecError {exc.diagnostics[0].code}"
    except Exception as exc:  # the catch-all: report the input
        bug = crash_bug(exc)
        if bug is not None:
            event(f"known bug: {bug}")
            assume(False)  # reported; reproduced in test_known_bugs.py
        shown = text.decode("utf-8", "backslashreplace") if isinstance(text, bytes) else text
        raise AssertionError(f"{type(exc).__name__}: {exc}\n--- input ({file}):\n{shown}") \
            from exc


@settings(max_examples=examples(cheap=True))
@given(data=st.data(), name=st.sampled_from(sorted(TEXTS)))
def test_loader_survives_mutated_bytes(data: Any, name: str) -> None:
    text = data.draw(mutated_texts(TEXTS[name]), label="text")
    note(f"--- mutated {name}:\n{text!r}")
    event(_outcome(text, name))


@settings(max_examples=examples(cheap=True))
@given(data=st.data(), name=st.sampled_from(sorted(TREES)))
def test_pipeline_survives_mutated_trees(data: Any, name: str) -> None:
    tree = data.draw(mutated_trees(TREES[name]), label="tree")
    try:
        text = archspec.dump(tree)
    except Exception as exc:
        raise AssertionError(f"dump failed on {tree!r}") from exc
    note(f"--- mutated {name}:\n{text}")
    event(_outcome(text, name))
