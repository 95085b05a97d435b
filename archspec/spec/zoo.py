"""The shipped networks by name: ``archspec profile ghostnet_100``, ``archspec.build("mobilevit_xxs")``.

``archspec/data/zoo.yaml`` maps a name (timm's or torchvision's, where the network is theirs) to a
spec file shipped as package data and one of its variants, so a name works from an installed wheel
as well as from a checkout. A command line or API argument that names an existing file is always
that file; only an argument that is not a file is looked up here (:func:`locate`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from archspec.diagnostics import Span, did_you_mean
from archspec.spec.yaml_nodes import one_error

DATA = Path(__file__).resolve().parent.parent / "data"
INDEX = DATA / "zoo.yaml"


@dataclass(frozen=True)
class Network:
    """One shipped network: its spec (package data), its variant and what it is equal to."""

    name: str
    spec: Path
    variant: str
    timm: str | None = None
    torchvision: str | None = None
    reference: str | None = None

    @property
    def source(self) -> str:
        """Where the equal network lives, for people: ``timm mobilevit_xxs``."""
        if self.timm:
            return f"timm {self.timm}"
        if self.torchvision:
            return f"torchvision {self.torchvision}"
        return self.reference or ""


@cache
def networks() -> dict[str, Network]:
    """Every shipped network, by name, in the index's order."""
    import yaml

    data = yaml.safe_load(INDEX.read_text(encoding="utf-8"))
    entries: dict[str, Network] = {}
    for name, entry in data["networks"].items():
        entries[name] = Network(name, DATA / "specs" / entry["spec"], entry["variant"],
                                entry.get("timm"), entry.get("torchvision"),
                                entry.get("reference"))
    return entries


def lookup(name: str) -> Network | None:
    """The shipped network called ``name``, or None."""
    return networks().get(name)


def looks_like_a_name(arg: str) -> bool:
    """Whether a command-line argument could be a network name rather than a path: no directory
    separator and no YAML suffix."""
    return not (os.sep in arg or "/" in arg or arg.endswith((".yaml", ".yml")))


def locate(arg: str, variant: str | None) -> tuple[str, str | None]:
    """The spec path and variant an argument means: an existing path is itself (with
    ``variant``); a shipped network's name is its spec and variant. Anything else is returned
    unchanged, for the loader to report (E100), except a name-like argument that is neither,
    which is E100 here with the name closest to it.

    A name picks its variant, so another ``variant`` with it is E131.
    """
    if os.path.lexists(arg):
        return arg, variant
    network = lookup(arg)
    if network is None:
        if looks_like_a_name(arg):
            near = did_you_mean(arg, list(networks()))
            hint = (f"did you mean {near}?" if near else
                    "`archspec list --networks` shows every name")
            raise one_error("E100", f"{arg} is neither a file nor a shipped network's name",
                            Span(arg, 1, 1), expected="a spec file or a network name",
                            fix=hint)
        return arg, variant
    if variant is not None and variant != network.variant:
        raise one_error("E131", f"{arg} is variant {network.variant!r} of {network.spec.name}; "
                        f"it cannot be given --variant {variant!r}", Span(arg, 1, 1),
                        expected=f"no variant, or {network.variant!r}",
                        fix=f"pass the file to choose a variant: {network.spec.name} "
                            f"--variant {variant}")
    return str(network.spec), network.variant
