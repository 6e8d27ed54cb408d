"""What a reader sees of a Markdown message that quotes outside text through ui.literal.literal.

The oracle is CommonMark's rule: a backslash before an ASCII punctuation character stands for that
character; word joiners are invisible. Tests compare a message with what they expect through
`read`, as a student would read it on the page.
"""

from __future__ import annotations

import re
import string

from vae_geom.ui.literal import JOINER

AUTOLINK = re.compile(r"https?://|www\.|@[-\w]", re.IGNORECASE)  # GFM's, in the unescaped text


def unescape(markdown: str) -> str:
    """What a reader sees of text made only of characters and backslash escapes (word joiners are
    invisible); fails on an unescaped punctuation character (which could start a construct) and
    on an autolink's pattern in the text (GFM finds those after escapes are undone)."""
    assert not AUTOLINK.search(_undo_escapes(markdown)), markdown
    return _undo_escapes(markdown).replace(JOINER, "")


def read(markdown: str) -> str:
    """What a reader sees of any Markdown message body: backslash escapes undone, joiners gone."""
    return _undo_escapes(markdown, strict=False).replace(JOINER, "")


def _undo_escapes(markdown: str, strict: bool = True) -> str:
    shown, i = [], 0
    while i < len(markdown):
        c = markdown[i]
        if markdown[i + 1 : i + 2] in tuple(string.punctuation) and c == "\\":
            shown.append(markdown[i + 1])
            i += 2
            continue
        assert not strict or c not in string.punctuation, f"unescaped {c!r} in {markdown!r}"
        shown.append(c)
        i += 1
    return "".join(shown)
