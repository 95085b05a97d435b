"""The network generator: deterministic streams that never meet, every network resolvable, all
families drawn, sizes where real mobile networks live."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

import archspec
from archspec.calibrate.generate import (
    calibration_networks,
    generate_networks,
    heldout_networks,
    main,
)
from archspec.pipeline import LintRequest, run

N = 50


@pytest.fixture(scope="module")
def heldout() -> list:
    return heldout_networks(0, N)


def _body(text: str) -> str:
    """The spec without its comment and name lines (what would make two streams' nets equal)."""
    return "\n".join(line for line in text.splitlines()
                     if not line.startswith(("#", "name:")))


def _blocks(data: dict) -> list[dict]:
    """Every block mapping of a spec's plain data (templates and `first:` merged as written)."""
    out = list(data.get("stem", [])) + list(data.get("head", []))
    for stage in data["stages"]:
        if "blocks" in stage:
            out += stage["blocks"]
        else:
            template = {**stage["block"], "out": stage["out"]}
            out += [{**template, **stage.get("first", {})}] + [template] * (stage["depth"] - 1)
    return out


def test_deterministic_and_prefix_stable() -> None:
    a = generate_networks(3, 6, stream="validation")
    b = generate_networks(3, 6, stream="validation")
    assert a == b
    assert generate_networks(3, 3, stream="validation") == a[:3]
    assert generate_networks(4, 6, stream="validation") != a


def test_streams_never_meet(heldout: list) -> None:
    calibration = calibration_networks(0, N // 2)
    validation = generate_networks(0, N // 2, stream="validation")
    names = [n.name for n in (*heldout, *calibration, *validation)]
    assert len(set(names)) == 2 * N
    assert all(n.name.startswith("heldout_") for n in heldout)
    assert all(n.name.startswith("calibration_") for n in calibration)
    bodies = [{_body(n.text) for n in nets} for nets in (heldout, calibration, validation)]
    assert not bodies[0] & bodies[1] and not bodies[0] & bodies[2] and not bodies[1] & bodies[2]


def test_every_network_resolves_traces_and_lints(heldout: list) -> None:
    for i, net in enumerate(heldout):
        document = archspec.loads(net.text, f"{net.name}.yaml")
        lint = LintRequest() if i % 10 == 0 else None  # lint may warn; it must not fail
        result = run(document, [None], lint=lint)
        assert not result.spec_errors, (net.text, result.spec_errors)
        assert not result.lint_errors
        (variant,) = result.variants
        assert variant.graph is not None
        assert variant.net is not None
        assert variant.net.input_shape == (3, 224, 224)
        assert variant.net.output_shape == (1000,)


def test_family_coverage(heldout: list) -> None:
    mix: Counter[str] = Counter()
    for net in heldout:
        mix.update({k: v for k, v in net.family_mix.items() if v})
    assert set(mix) == {"mmb", "ir", "uib", "conv", "shuffle"}
    # read back from the texts, independently of family_mix
    blocks = [b for net in heldout for b in _blocks(yaml.safe_load(net.text))]
    tags = Counter(b["block"] for b in blocks)
    assert {"conv", "mmb", "uib", "shuffle", "pool", "linear"} <= set(tags)
    attn = [b for b in blocks if b.get("f") == "attn"]
    assert {b["partition"] for b in attn} >= {"global", "grid", "local"}
    assert any(b.get("window", 7) != 7 for b in attn if b["partition"] != "global")
    assert any(b.get("se") for b in blocks if b["block"] == "mmb")
    assert any(b.get("se_gate") == "hardsigmoid" for b in blocks)
    assert any(b.get("expand_act") == "hardswish" for b in blocks)
    uib_forms = {("start_dw_k" in b, "dw_k" in b) for b in blocks if b["block"] == "uib"}
    assert uib_forms == {(True, True), (False, True), (True, False), (False, False)}
    exps = {b["exp"] for b in blocks if b["block"] == "mmb" and "exp" in b}
    assert min(exps) == 1 and max(exps) == 6
    widths = [b["out"] for b in blocks if b["block"] in ("mmb", "uib", "shuffle")]
    unaligned = sum(w % 8 != 0 for w in widths) / len(widths)
    assert 0.05 < unaligned < 0.6


def test_structure_and_sizes(heldout: list) -> None:
    stage_counts, depths = Counter(), Counter()
    for net in heldout:
        data = yaml.safe_load(net.text)
        assert data["input"] == {"channels": 3, "size": 224}
        stage_counts[len(data["stages"])] += 1
        for stage in data["stages"]:
            depths[stage.get("depth", len(stage.get("blocks", [])))] += 1
            for block in _blocks({"stages": [stage]}):
                if block["block"] != "conv":  # a fused IB's expanding conv may be wider
                    assert block.get("out", 0) <= 512
        analysis = archspec.analyze(archspec.loads(net.text))
        assert 25e6 <= analysis.total.macs <= 600e6, net.name
        assert analysis.total.params <= 12e6, net.name
    assert set(stage_counts) == {4, 5}
    assert set(depths) <= {1, 2, 3, 4, 5, 6, 7, 8} and {1, 2, 3, 4} <= set(depths)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="stream"):
        generate_networks(0, 1, stream="training")
    with pytest.raises(ValueError, match="seed"):
        generate_networks(-1, 1, stream="heldout")


def test_cli_writes_specs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stream", "heldout", "--seed", "0", "-n", "2", "-o", str(tmp_path)]) == 0
    files = sorted(tmp_path.glob("*.yaml"))
    assert [f.name for f in files] == ["heldout_s0_n000.yaml", "heldout_s0_n001.yaml"]
    assert all(re.match(r"# generated", f.read_text()) for f in files)
    assert archspec.analyze(files[0]).total.macs > 0
