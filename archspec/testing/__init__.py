"""Testing helpers for archspec and for projects that write specs: hypothesis strategies.

``archspec.testing.strategies`` needs hypothesis (``pip install 'archspec[testing]'``); this
package itself imports nothing heavy. See docs/testing.md.
"""
