"""The Lesson: the essay's argument in eight steps, each with its live figure (vae_geom.lesson)."""

from __future__ import annotations

import streamlit as st

from vae_geom import ui

st.set_page_config(
    page_title="vae-geom · Lesson", page_icon="⭕", layout="wide", initial_sidebar_state="collapsed"
)
ui.lesson_page()  # the sidebar too: a follower catching up draws both in its turn
