"""Round trip: ``loads(dump(document))`` is the document, value for value and type for type, and
resolves to the same networks whatever the layout of the text (so locations never change
meaning)."""

from __future__ import annotations

import json

from hypothesis import given, note, settings

import archspec
from archspec.testing.strategies import GeneratedSpec, specs

from ._support import examples, typed, variants_of, without_locations


@settings(max_examples=examples(cheap=True))
@given(spec=specs())
def test_dump_then_load_is_the_identity(spec: GeneratedSpec) -> None:
    text = archspec.dump(spec.document)
    note(f"--- dumped\n{text}")
    doc = archspec.loads(text, "a.yaml")
    assert typed(doc.data) == typed(spec.document)
    again = archspec.dump(doc)
    assert again == text, "dump is not stable across a round trip"
    assert archspec.loads(again, "b.yaml") == doc


@settings(max_examples=examples(cheap=True))
@given(spec=specs())
def test_layout_does_not_change_the_network(spec: GeneratedSpec) -> None:
    text = archspec.dump(spec.document)
    note(f"--- dumped\n{text}")
    block_style = json.dumps(spec.document, indent=1)  # JSON is YAML: one value per line
    flow_style = json.dumps(spec.document)  # everything on line 1
    docs = [archspec.loads(t, f) for t, f in
            ((text, "dumped.yaml"), (block_style, "lines.json"), (flow_style, "flat.json"))]
    assert docs[0] == docs[1] == docs[2]
    for variant in variants_of(docs[0]):
        nets = [without_locations(archspec.resolve(d, variant)) for d in docs]
        assert nets[0] == nets[1] == nets[2], f"variant {variant!r} resolves differently"
        figures = [archspec.analyze(d, variant=variant).total for d in docs]
        assert figures[0] == figures[1] == figures[2]
