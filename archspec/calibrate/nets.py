"""The networks calibration draws kernels from and times end to end: a resolved network with its
graph and the spec text it came from (what an export cache is keyed by)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archspec.graph.op import Op
    from archspec.graph.opgraph import OpGraph
    from archspec.spec.document import Document
    from archspec.spec.resolved import ResolvedNet


@dataclass(frozen=True)
class CalibNet:
    """One network: ``name`` (``file:variant`` for a shipped spec), its resolved form, its op
    graph, and ``key``, a hash of its spec text and variant (cache key of its exports)."""

    name: str
    net: ResolvedNet
    graph: OpGraph
    key: str

    def ops(self) -> Iterator[Op]:
        return self.graph.ops()


def _key(text: str, variant: str | None) -> str:
    return hashlib.sha256(f"{variant}\n{text}".encode()).hexdigest()[:16]


def from_document(document: Document, *, name: str, text: str | None = None,
                  input_size: int | None = None) -> list[CalibNet]:
    """Every variant of ``document`` that resolves (the others are skipped), at ``input_size``
    when given."""
    from archspec.pipeline import run
    from archspec.spec.document import dump

    body = text if text is not None else dump(document)
    result = run(document, list(document.resolvable) or [None], input_size=input_size)
    nets = []
    for v in result.variants:
        if v.net is None or v.graph is None:
            continue
        label = f"{name}:{v.variant}" if v.variant else name
        nets.append(CalibNet(label, v.net, v.graph, _key(f"{input_size}\n{body}", v.variant)))
    return nets


def from_files(paths: Iterable[str | Path], *, input_size: int | None = None
               ) -> list[CalibNet]:
    """Every resolvable variant of each spec file (at ``input_size`` when given)."""
    from archspec.spec.document import loads

    nets: list[CalibNet] = []
    for path in sorted(Path(p) for p in paths):
        text = path.read_text(encoding="utf-8")
        nets.extend(from_document(loads(text, str(path)), name=path.stem, text=text,
                                  input_size=input_size))
    return nets


def shipped(spec_dir: str | Path | None = None) -> list[CalibNet]:
    """The shipped specs' variants (``specs/*.yaml``; the package's copy when not given)."""
    if spec_dir is None:
        import archspec

        spec_dir = Path(archspec.__file__).parent / "data" / "specs"
    return from_files(Path(spec_dir).glob("*.yaml"))


def generated(seed: int, n: int) -> list[CalibNet]:
    """``n`` calibration networks of the generator
    (:func:`archspec.calibrate.generate.calibration_networks`: the stream never judged), at
    their own size; an empty list when this tree has no generator."""
    try:
        from archspec.calibrate.generate import calibration_networks
    except ImportError:
        return []
    from archspec.spec.document import loads

    nets: list[CalibNet] = []
    for g in calibration_networks(seed, n):
        nets.extend(from_document(loads(g.text, f"{g.name}.yaml"), name=g.name, text=g.text))
    return nets


def all_ops(nets: Sequence[CalibNet]) -> list[Op]:
    """Every op of every network, in order (duplicates kept: dedupe by signature)."""
    return [op for n in nets for op in n.ops()]


def grouped_variants(ops: Sequence[Op], *, groups: Sequence[int] = (2, 4, 8),
                     every: int = 7) -> list[Op]:
    """Grouped convs at the shapes real networks have: every ``every``-th dense 1×1 or 3×3 conv
    among ``ops`` (in order, so the choice is deterministic), with each of ``groups`` that
    divides its channels. Mobile networks write few grouped convs (ShuffleNet V1, the G2
    experiments), so the networks sampled alone leave the class almost empty."""
    from dataclasses import replace

    from archspec.graph.cost import cost_of
    from archspec.graph.op import OpKind

    dense = [op for op in ops if op.kind == OpKind.CONV and op.attrs["groups"] == 1
             and op.attrs["k"] in (1, 3) and len(op.in_shapes[0]) == 3
             and op.out_shape[-1] * op.out_shape[-2] > 1]
    out = []
    for op in dense[::every]:
        cin, cout = op.in_shapes[0][0], op.out_shape[0]
        for g in groups:
            if cin % g or cout % g or cin // g < 2:
                continue
            shaped = replace(op, name=f"{op.name}.g{g}", attrs={**op.attrs, "groups": g})
            cost = cost_of(shaped)
            out.append(replace(shaped, params=cost.params, macs=cost.macs,
                               mem_access=cost.mem_access, fvcore_extra=cost.fvcore_extra))
    return out
