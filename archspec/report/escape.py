"""Untrusted text made safe for terminals and CI logs (docs/decisions/0010).

Names, keys, values and file names come from specs, config files and the command line; printed
raw, a control character in one of them could move the cursor, recolour or retitle a terminal
(ESC, BEL, CSI) or start a line that GitHub Actions reads as a workflow command
(``\\n::warning ...``). Every human-readable renderer passes such text through :func:`escape`
once, where it lays the text out: control and other non-printable characters are written as
Python writes them in a ``repr`` (``\\n``, ``\\x1b``, ``\\u202e``), printable Unicode is kept.
"""

from __future__ import annotations

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(c: str) -> str:
    if c.isprintable():
        return c
    code = ord(c)
    if c in _SHORT:
        return _SHORT[c]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escape(text: str) -> str:
    """``text`` with every non-printable character (C0/C1 controls, DEL, bidi and other format
    characters, separators other than the space, lone surrogates) written as its escape."""
    if text.isprintable():  # the common case: nothing to do
        return text
    return "".join(_escaped(c) for c in text)


def escape_html(text: object) -> str:
    """``text`` for an HTML page (element content and quoted attributes): its non-printable
    characters escaped as above, then ``& < > " '`` as entities, so no user text is markup."""
    import html

    return html.escape(escape(str(text)), quote=True)
