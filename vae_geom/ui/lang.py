"""The session's language: English or 中文, chosen per session, never process-wide.

The first run of a session takes it from the link (?lang=zh) or else from the browser's own
language (st.context.locale, navigator.language: "zh-CN" and every zh-* -> 中文); the sidebar's
switch changes it and writes it back to the link, so a shared link opens in the same language.
`t(key, **values)` looks a text up in the session's language (vae_geom.i18n).
"""

from __future__ import annotations

import streamlit as st

from vae_geom import i18n

KEY = "lang"  # st.session_state[KEY]: the session's language, also the switch's widget key


def current() -> str:
    """The session's language, decided on its first run (link, then browser), then kept."""
    state = st.session_state
    if state.get(KEY) not in i18n.LANGUAGES:
        state[KEY] = i18n.choose(None, st.query_params.get("lang"), browser_locale())
    return state[KEY]


def browser_locale() -> str | None:
    try:
        return st.context.locale
    except Exception:  # no browser (AppTest, a bare run): English
        return None


def t(key: str, /, **values) -> str:
    """The text of `key` in the session's language, its {placeholders} filled."""
    return i18n.t(key, current(), **values)


def switch() -> None:
    """The sidebar's language switch, bound to the link's ?lang=."""
    current()
    st.radio(
        "Language · 语言",
        i18n.LANGUAGES,
        key=KEY,
        horizontal=True,
        format_func=i18n.NAMES.get,
        label_visibility="collapsed",
    )
    st.query_params["lang"] = st.session_state[KEY]


def said(error: BaseException) -> str:
    """An error's message in the session's language (vae_geom.i18n.said): the core's errors carry
    their text as a catalogue key and values; anything else is shown as its str()."""
    return i18n.said(error, current())
