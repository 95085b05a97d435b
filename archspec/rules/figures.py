"""Formatting of the figures findings quote, so every message reads the same way."""

from __future__ import annotations

from archspec.diagnostics import show_figure


def pct(x: float) -> str:
    """0.0462 → '4.6%'; shares below 0.1% keep two significant digits, changes of 1000% and
    more four (a width rounded up from 8e-300 is '+1e+301%', not a 300-digit number)."""
    if x != 0 and abs(x) < 0.001:
        return f"{x * 100:.2g}%"
    if abs(x) >= 10:
        return f"{x * 100:.4g}%"
    return f"{x * 100:.1f}%"


#: A share of a whole, 0 to 1 (an option's threshold, a network figure).
Share = float

#: A computed value quoted in a message (one definition, shared with spec errors).
fig = show_figure


def times(x: float) -> str:
    """1.4286 → '1.43×'."""
    return f"{x:.2f}×"


def count(n: float) -> str:
    """A count of elements or multiply-accumulates: 680000 → '0.68 M', 1234 → '1,234'."""
    if abs(n) >= 1e9:
        return f"{n / 1e9:.2f} G"
    if abs(n) >= 1e5:
        return f"{n / 1e6:.2f} M"
    return f"{int(round(n)):,}"


def num(x: float) -> str:
    """A plain number with at most two decimals: 6.0 → '6.0', 1.4286 → '1.43'."""
    if float(x).is_integer():
        return f"{x:.1f}"
    return f"{x:.2f}".rstrip("0")


def sig(x: float) -> float:
    """A figure stored in ``data``, to 6 significant digits (stable, readable JSON)."""
    return float(f"{float(x):.6g}")
