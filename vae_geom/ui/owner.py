"""Whose models these are: a private random token the app puts in the student's link (`?me=...`).

The first run of a session takes the token from the link if it is well formed, or makes a new one
(`secrets.token_urlsafe`, 128 random bits), and every run keeps it in the address bar; so a reload,
or the same link next lesson, finds the student's own models again (`user_models`, "me:NAME"),
and nobody without the link can list or load them. The link is the key: a student who sends it
to someone sends their models too.
"""

from __future__ import annotations

import secrets

import streamlit as st

from vae_geom import user_models

PARAM = "me"
KEY_OWNER = "owner.token"


def token() -> str:
    """This session's owner token, also written into the link."""
    tok = st.session_state.get(KEY_OWNER)
    if tok is None:
        given = st.query_params.get(PARAM)
        ok = given is not None and user_models.OWNER_RE.fullmatch(given)
        tok = given if ok else secrets.token_urlsafe(16)
        st.session_state[KEY_OWNER] = tok
    if st.query_params.get(PARAM) != tok:
        st.query_params[PARAM] = tok
    return tok
