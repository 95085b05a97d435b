"""``build --deploy [--channels-last]`` and ``profile --deploy``: the deploy form's figures, the
same as archspec.analyze(..., deploy=True) and the module's own count."""

from __future__ import annotations

import json

import pytest

import archspec

MOBILEONE = "specs/mobileone.yaml"
# timm 1.0's mobileone_s0 after reparameterize(): its parameters and FlopCounterMode MACs
TIMM_S0_DEPLOY = (2_078_504, 275_110_400)


def test_profile_deploy_json_records_the_form_and_timms_reparameterised_figures(cli) -> None:  # noqa: ANN001
    result = cli("profile", MOBILEONE, "--deploy", "--format", "json")
    assert result.rc == 0, result.all
    report = json.loads(result.out)
    assert report["form"] == "deploy"
    assert report["deploy"] == {"bns_folded": 0, "parallels_reparameterised": 43}
    assert (report["totals"]["params"], report["totals"]["macs"]) == TIMM_S0_DEPLOY
    train = json.loads(cli("profile", MOBILEONE, "--format", "json").out)
    assert train["form"] == "train" and "deploy" not in train
    assert train["totals"]["params"] == 5_293_272


def test_profile_deploy_text_says_what_was_folded(cli) -> None:  # noqa: ANN001
    result = cli("profile", "specs/repvit.yaml", "--deploy")
    assert result.rc == 0, result.all
    analysis = archspec.analyze("specs/repvit.yaml", deploy=True)
    assert (f"deploy form: {analysis.form.folded} BNs folded, "
            f"{analysis.form.reparameterised} branch groups re-parameterised") in result.out
    assert f"{analysis.total.params:,}" in result.out


def test_build_deploy_summary(cli, tmp_path) -> None:  # noqa: ANN001
    pytest.importorskip("torch")
    from tests.nn.test_deploy import DEPLOY_PARAMS, TINY, TRAIN_PARAMS

    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY)
    result = cli("build", str(spec), "--deploy", "--channels-last", "-o", str(tmp_path / "t.pt"))
    assert result.rc == 0, result.all
    assert f"parameters    {DEPLOY_PARAMS:,} (as analysed)" in result.out
    assert (f"deploy form, channels-last: 2 BNs folded, 1 branch groups re-parameterised, "
            f"params {TRAIN_PARAMS:,} → {DEPLOY_PARAMS:,}") in result.out
    model = archspec.load_model(tmp_path / "t.pt")
    assert sum(p.numel() for p in model.parameters()) == DEPLOY_PARAMS


def test_channels_last_needs_deploy(cli) -> None:  # noqa: ANN001
    result = cli("build", MOBILEONE, "--channels-last")
    assert result.rc == 2
    assert "add --deploy" in result.err


def test_profile_deploy_never_imports_torch() -> None:
    from .helpers import subprocess_cli

    code = ("import sys, archspec.cli\n"
            "rc = archspec.cli.main(['profile', 'specs/mobileone.yaml', '--deploy'])\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n"
            "raise SystemExit(rc)\n")
    result = subprocess_cli(code=code)
    assert result.rc == 0, result.all
