"""Every block family shows an example in docs/spec.md, and every example is a valid spec part:
it resolves, and (with torch) builds into a module with the analysed parameters and shape."""

from __future__ import annotations

import textwrap

import pytest

import archspec
from archspec.blocks import FAMILIES, TAGS

#: A spec whose stem is the example: a 16-channel 32×32 input fits every family's example.
FRAME = """\
archspec: 1
name: example
input: {{channels: 16, size: 32}}
stem:
{blocks}
"""


def example_spec(tag: str) -> str:
    blocks = textwrap.indent(textwrap.dedent(FAMILIES[tag].example).strip(), "  ")
    return FRAME.format(blocks=blocks)


@pytest.mark.parametrize("tag", TAGS)
def test_every_family_has_an_example_that_resolves(tag: str) -> None:
    assert FAMILIES[tag].example.strip(), f"block family {tag!r} has no example"
    net = archspec.resolve(archspec.loads(example_spec(tag), f"{tag}.yaml"))
    assert any(b.family == tag or any(c.family == tag for c in b.children())
               for b in net.blocks)


@pytest.mark.parametrize("tag", TAGS)
def test_every_example_builds_to_its_analysis(tag: str) -> None:
    torch = pytest.importorskip("torch")
    doc = archspec.loads(example_spec(tag), f"{tag}.yaml")
    analysis = archspec.analyze(doc)
    model = archspec.build(doc).eval()
    assert sum(p.numel() for p in model.parameters()) == analysis.total.params
    with torch.inference_mode():
        y = model(torch.zeros(1, 16, 32, 32))
    assert tuple(y.shape[1:]) == analysis.net.output_shape
