"""The deploy form on small specs: figures worked out by hand, module against graph and against the
training form, the API's arguments, checkpoints that record the form."""

from __future__ import annotations

import copy

import pytest

import archspec
from archspec.blocks.rep import RepConv, deploy_graph, rep_conv

torch = pytest.importorskip("torch")

from tests.parity.conftest import randomise, relative_error  # noqa: E402

TINY = """\
archspec: 1
name: tiny
input: {channels: 3, size: 16}
stem:
  - {block: conv, out: 8, k: 3, stride: 2}          # conv + BN + ReLU: the BN folds
stages:
  - name: s1
    blocks:
      - block: parallel                           # RepVGG-like: one 3×3 conv with a bias
        merge: add
        branches:
          - [{block: conv, out: 8, k: 3, groups: 2, act: none}]
          - [{block: conv, out: 8, k: 1, groups: 2, act: none, norm: none, bias: true}]
          - [{block: norm, norm: bn}]
          - []
      - {block: act, act: relu}
      - {block: conv, out: 8, k: 3, act: none, norm: none}
      - {block: norm, norm: bn}                     # a BN block after a conv block: folds
head:
  - {block: pool, global: true}
  - {block: linear, out: 5}
"""
# training form: stem 3·8·9 + 16 (BN) = 232; parallel 8·4·9 + 16 + 8·4 + 8 + 16 = 360;
#   conv 8·8·9 = 576, BN 16; linear 8·5 + 5 = 45  → 1,229
# deploy form: stem 216 + 8 = 224; one 3×3 conv, groups 2, bias: 288 + 8 = 296;
#   conv 576 + 8 = 584; linear 45  → 1,149
# deploy MACs (8×8 map): stem 64·8·27 = 13,824; rep 64·8·36 = 18,432; conv 64·8·72 = 36,864;
#   linear 40  → 69,160
TRAIN_PARAMS, DEPLOY_PARAMS, DEPLOY_MACS = 1_229, 1_149, 69_160


def _tiny() -> archspec.Document:
    return archspec.loads(TINY)


def test_the_deploy_analysis_is_worked_out_by_hand() -> None:
    train = archspec.analyze(_tiny())
    deploy = archspec.analyze(_tiny(), deploy=True)
    assert train.total.params == TRAIN_PARAMS and train.form.name == "train"
    assert (deploy.total.params, deploy.total.macs) == (DEPLOY_PARAMS, DEPLOY_MACS)
    assert (deploy.form.name, deploy.form.folded, deploy.form.reparameterised) == \
        ("deploy", 2, 1)
    assert deploy.total.mem_access < train.total.mem_access
    assert deploy.total.activation_bytes <= train.total.activation_bytes


def test_rep_conv_names_the_fused_conv_and_refuses_nonlinear_branches() -> None:
    net = archspec.resolve(_tiny())
    parallel = next(b for b in net.walk() if b.family == "parallel")
    assert rep_conv(parallel) == RepConv(in_ch=8, out=8, k=3, stride=1, padding=1, groups=2)
    assert all(rep_conv(b) is None for b in net.walk() if b is not parallel)
    relu = archspec.loads(TINY.replace("k: 3, groups: 2, act: none}", "k: 3, groups: 2}"))
    parallel = next(b for b in archspec.resolve(relu).walk() if b.family == "parallel")
    assert rep_conv(parallel) is None  # a ReLU inside a branch: not linear


def test_the_module_is_the_graph_and_computes_the_training_form() -> None:
    from torch.utils.flop_counter import FlopCounterMode

    model = randomise(archspec.build(_tiny()))
    before = copy.deepcopy(model.state_dict())
    deployed = archspec.to_deploy(model)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())  # untouched
    assert sum(p.numel() for p in deployed.parameters()) == DEPLOY_PARAMS
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in deployed.modules())
    x = torch.randn(2, 3, 16, 16)
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        got = deployed(x)
    assert counter.get_total_flops() == 2 * DEPLOY_MACS * 2  # batch 2
    with torch.inference_mode():
        assert relative_error(got, model(x)) <= 1e-5
    assert deployed.deploy_info.params_before == TRAIN_PARAMS


def test_channels_last_keeps_the_outputs() -> None:
    model = randomise(archspec.build(_tiny()))
    deployed = archspec.to_deploy(model, channels_last=True)
    conv = next(m for m in deployed.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    x = torch.randn(1, 3, 16, 16).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        assert relative_error(deployed(x), model(x)) <= 1e-5


def test_build_deploy_equals_to_deploy_of_build() -> None:
    torch.manual_seed(0)
    a = archspec.build(_tiny(), deploy=True)
    torch.manual_seed(0)
    b = archspec.to_deploy(archspec.build(_tiny()))
    assert not a.training
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(),
                                                 b.state_dict().values(), strict=True))


@pytest.mark.parametrize(("call", "message"), [
    (lambda: archspec.to_deploy("model"), "model: expected a torch.nn.Module"),
    (lambda: archspec.to_deploy(torch.nn.Linear(2, 2), channels_last=1),
     "channels_last: expected a bool"),
    (lambda: archspec.build(_tiny(), deploy="yes"), "deploy: expected a bool"),
    (lambda: archspec.analyze(_tiny(), deploy=None), "deploy: expected a bool"),
])
def test_arguments_are_type_checked(call, message: str) -> None:  # noqa: ANN001
    with pytest.raises(TypeError, match=message):
        call()


def test_a_deploy_form_is_not_deployed_twice() -> None:
    deployed = archspec.to_deploy(archspec.build(_tiny()))
    with pytest.raises(ValueError, match="already in deploy form"):
        archspec.to_deploy(deployed)


def test_checkpoints_record_the_form(tmp_path) -> None:  # noqa: ANN001
    from archspec.nn.export import export

    model = randomise(archspec.build(_tiny()))
    x = torch.randn(1, 3, 16, 16)
    for form, m in (("train", model), ("deploy", archspec.to_deploy(model))):
        path = export(m, x, tmp_path / f"{form}.pt", spec_text=TINY)
        assert torch.load(path, weights_only=True)["form"] == form
        loaded = archspec.load_model(path)
        assert (getattr(loaded, "deploy_info", None) is not None) == (form == "deploy")
        loaded.eval()
        with torch.inference_mode():
            assert relative_error(loaded(x), model(x)) <= 1e-5


def test_a_checkpoint_without_a_form_loads_as_the_training_form(tmp_path) -> None:  # noqa: ANN001
    from archspec.nn.export import export

    model = randomise(archspec.build(_tiny()))
    path = export(model, torch.randn(1, 3, 16, 16), tmp_path / "old.pt", spec_text=TINY)
    checkpoint = torch.load(path, weights_only=True)
    del checkpoint["form"], checkpoint["channels_last"]  # as version 1 wrote it before
    torch.save(checkpoint, path)
    loaded = archspec.load_model(path)
    assert getattr(loaded, "deploy_info", None) is None
    assert sum(p.numel() for p in loaded.parameters()) == TRAIN_PARAMS


def test_deploy_graph_leaves_the_traced_graph_alone() -> None:
    analysis = archspec.analyze(_tiny())
    before = analysis.graph.totals()
    deployed = deploy_graph(analysis.net, analysis.graph)
    assert analysis.graph.totals() == before
    assert deployed.graph.totals().params == DEPLOY_PARAMS
    assert len(list(deployed.graph.ops())) < len(list(analysis.graph.ops()))
