"""The Lesson: the essay's argument in eight steps, each with its live figure (vae_geom.lesson)."""

from __future__ import annotations

import streamlit as st

from vae_geom import ui

st.set_page_config(
    page_title="vae-geom · Lesson", page_icon="⭕", layout="wide", initial_sidebar_state="collapsed"
)
ui.lesson_page()  # the sidebar, then the body: a fragment a follower catching up reruns alone
