"""Block families. :data:`TAGS` is the one registration every side reads.

A family is the tag users write (``block: <tag>``) and one module per side, each named by the tag:
``archspec.blocks.<tag>`` (spec model, resolve, trace; it registers in :data:`FAMILIES`),
``archspec.nn.<tag>`` (its torch module) and its generator under ``archspec.testing``. Adding a
family is one line in :data:`TAGS`; importing this package imports every family module.
"""

from importlib import import_module

from archspec.blocks.base import FAMILIES, Family, ResolvedBlock

#: Every block family, in the order the schema and the spec reference list them.
TAGS = ("act", "conv", "dropout", "ghost", "linear", "mmb", "mqa", "norm", "parallel", "pool",
        "residual", "resize", "se", "shuffle", "transformer", "uib")

for _tag in TAGS:
    import_module(f"archspec.blocks.{_tag}")

__all__ = ["FAMILIES", "TAGS", "Family", "ResolvedBlock"]
