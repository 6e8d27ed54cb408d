"""A page with nothing but the Explorer's plane (MNIST β = 1 VAE, the 1,000 test ellipses): the
floor bench/first_load.py compares the Explorer's first load with. Not part of the app."""

import streamlit as st

st.set_page_config(layout="wide")

from vae_geom import ui  # noqa: E402 - imports torch, after the page's frame as in app.py

ui.latent_plane("latent", "mnist", "vae-kl-1", "test", z_key="explorer.z")
