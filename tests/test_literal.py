"""literal(): outside text, escaped so that Streamlit's Markdown shows it character for character.

The oracle is CommonMark's own rule: a backslash before an ASCII punctuation character stands for
that character, and an escaped character starts no Markdown construct. So the output must (a) read
back as the input under that rule (word joiners aside: invisible) and (b) hold no unescaped
punctuation at all. GFM's autolinks are found in the text after escapes are undone, so (c) that
text must hold none of their patterns (test_browser_links.py checks the same in Chromium).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.shown import unescape
from vae_geom.ui.literal import ELLIPSIS, REPLACEMENT, literal


@given(st.text(alphabet=st.characters().filter(str.isprintable)))
def test_printable_text_reads_back_as_itself(text):
    assert unescape(literal(text, limit=None)) == text


@given(st.text())
def test_anything_at_all_leaves_no_markdown_construct(text):
    unescape(literal(text, limit=None))  # asserts no unescaped punctuation


@pytest.mark.parametrize(
    "text",
    [
        "![](http://host/t.png)",
        "[Log in again](//host)",
        "<img src=x onerror=alert(1)>",
        "https://host/x www.host.com a@host.com HTTP://HOST WWW.HOST.COM mailto:a@b.co",
        ":red[alert] :material/warning: $x^2$ `code` **bold** # title",
        "\\![](http://host/t.png)",  # a backslash of its own must not un-escape the image
    ],
)
def test_images_links_html_and_directives_are_shown_as_text(text):
    out = literal(text, limit=None)
    assert unescape(out) == text
    assert "![" not in out and "](" not in out  # unescape checks "<" and autolinks


def test_long_text_is_cut_with_an_ellipsis():
    assert unescape(literal("x" * 50, limit=40)) == "x" * 39 + ELLIPSIS
    assert literal("x" * 40, limit=40) == "x" * 40
    assert unescape(literal("[" * 50)) == "[" * 39 + ELLIPSIS


def test_line_breaks_and_bidi_overrides_become_replacement_characters():
    assert (
        literal("a\nb\r\tc\u202ed") == f"a{REPLACEMENT}b{REPLACEMENT}{REPLACEMENT}c{REPLACEMENT}d"
    )
    assert literal(None) == "None"  # any object, by its str()
