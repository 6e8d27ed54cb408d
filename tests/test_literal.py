"""literal(): outside text, escaped so that Streamlit's Markdown shows it character for character.

The oracle is CommonMark's own rule: a backslash before an ASCII punctuation character stands for
that character, and an escaped character starts no Markdown construct. So the output must (a) read
back as the input under that rule and (b) hold no unescaped punctuation at all.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vae_geom.ui.literal import ELLIPSIS, REPLACEMENT, literal


def unescape(markdown: str) -> str:
    """What CommonMark shows for text made only of characters and backslash escapes; fails on an
    unescaped punctuation character (which could start a construct)."""
    shown, i = [], 0
    while i < len(markdown):
        c = markdown[i]
        if c == "\\":
            assert markdown[i + 1] in string.punctuation, markdown
            shown.append(markdown[i + 1])
            i += 2
            continue
        assert c not in string.punctuation, f"unescaped {c!r} in {markdown!r}"
        shown.append(c)
        i += 1
    return "".join(shown)


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
        "https://host/x www.host.com a@host.com",
        ":red[alert] :material/warning: $x^2$ `code` **bold** # title",
        "\\![](http://host/t.png)",  # a backslash of its own must not un-escape the image
    ],
)
def test_images_links_html_and_directives_are_shown_as_text(text):
    out = literal(text, limit=None)
    assert unescape(out) == text
    assert "![" not in out and "](" not in out and "://" not in out  # (unescape checks "<")


def test_long_text_is_cut_with_an_ellipsis():
    assert unescape(literal("x" * 50, limit=40)) == "x" * 39 + ELLIPSIS
    assert literal("x" * 40, limit=40) == "x" * 40
    assert unescape(literal("[" * 50)) == "[" * 39 + ELLIPSIS


def test_line_breaks_and_bidi_overrides_become_replacement_characters():
    assert (
        literal("a\nb\r\tc\u202ed") == f"a{REPLACEMENT}b{REPLACEMENT}{REPLACEMENT}c{REPLACEMENT}d"
    )
    assert literal(None) == "None"  # any object, by its str()
