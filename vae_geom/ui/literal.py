"""Text from outside (a link's value, a file name, a message quoting a file) shown as it is.

st.warning, st.error, st.success, st.info, st.markdown and st.caption render their body as
Markdown: `![](http://host/t.png)` there makes every reader's browser fetch that image, and
`[Log in again](//host)` draws a live link inside the app. `literal` escapes the text so that
Markdown shows it character for character: every ASCII punctuation character gets a backslash
(CommonMark lets any of them be escaped, and an escaped one starts no image, link, autolink,
emphasis, HTML tag, heading, list, LaTeX or Streamlit directive), and characters that are not
printable (newlines, bidi overrides) become U+FFFD.

Escapes cannot stop GFM's autolinks (`http://…`, `www.…`, `a@b.c`): Streamlit's Markdown finds
them in the text once escapes are undone (a real browser showed it). An invisible word joiner
(U+2060) after `http`/`https`, `www` and `@` breaks the pattern without changing what is read.
"""

from __future__ import annotations

import re
import string

ELLIPSIS = "…"
REPLACEMENT = "\ufffd"  # what an unprintable character is shown as
_ESCAPED = {ord(c): "\\" + c for c in string.punctuation}  # the 32 ASCII punctuation characters
JOINER = "\u2060"  # word joiner: invisible, and no letter, dot or colon to an autolink
_AUTOLINK = re.compile(r"https?(?=:)|www(?=\.)|@", re.IGNORECASE)  # where GFM's autolinks start


def literal(text: object, limit: int | None = 40) -> str:
    """`text` as Markdown that renders exactly as `text` (cut to `limit` characters with "…").

    Use it for anything a user or a file supplied, inside an f-string passed to st.warning,
    st.error and the like: f"The link's dataset “{literal(ds)}” is unknown."
    """
    text = str(text)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + ELLIPSIS
    shown = "".join(c if c.isprintable() else REPLACEMENT for c in text)
    shown = _AUTOLINK.sub(lambda m: m.group() + JOINER, shown)
    return shown.translate(_ESCAPED)
