"""The optional packages a sweep's extras bring, imported when a feature needs them.

A sweep's analysis runs in the lint-only install; drawing the front needs matplotlib
(``archspec[sweep]``), measuring needs torch or ONNX Runtime, a Ray engine needs ray. Each is
imported at the point of use through :func:`need`, so a missing one is a sentence naming the
extra to install (the command line turns it into exit 2), never an ImportError traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingExtra(RuntimeError):
    """A feature asked for a package this install lacks; the message says what to install."""


def need(module: str, *, extra: str, feature: str) -> ModuleType:
    """``module`` imported, or :class:`MissingExtra` naming ``extra`` (``pip install
    'archspec[extra]'``) for ``feature`` (what the user asked for, as they wrote it)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(f"{feature} needs {module.split('.')[0]}: "
                           f"pip install 'archspec[{extra}]'") from None
