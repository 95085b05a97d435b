"""The bottom layer: arithmetic and small value types every other layer shares.

Nothing here imports from archspec (beyond :mod:`archspec.diagnostics`), so block families, the op
graph builder and the torch modules can all read the same definitions without importing each
other (docs/decisions/0017-layers.md).
"""
