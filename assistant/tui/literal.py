"""Model output and file text as data: terminal escape sequences and control characters removed,
and never parsed as Rich/Textual markup.

    >>> clean("\\x1b[31mred\\x1b[0m [bold]x[/]")
    'red [bold]x[/]'
"""

from __future__ import annotations

import re

from rich.text import Text

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), DCS/SOS/PM/APC strings, two-byte ESC sequences,
# 8-bit C1 CSI/OSC, then any other C0/C1 control character except tab and newline.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|\x9d[^\x07\x9c]*[\x07\x9c]?"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)


def clean(text: str) -> str:
    """`text` without escape sequences or control characters (tab and newline kept)."""
    return _ESCAPES.sub("", text.replace("\r\n", "\n"))


def literal(text: str, style: str = "") -> Text:
    """A Rich Text that shows `text` exactly: no markup, no escapes."""
    return Text(clean(text), style=style)
