"""The smallest Streamlit interaction, for bench/pin_cost.py: a button in a fragment; a press
reruns the fragment, which writes one line. What a widget interaction costs the server on this
machine before the app does anything (no vae_geom here: none of its bounds or wrappers)."""

import streamlit as st


@st.fragment(key="frag")
def frag() -> None:
    st.button("pin", key="pin")
    st.write("presses:", st.session_state.setdefault("n", 0))
    st.session_state["n"] += 1


st.title("minimal")
frag()
