"""Explorer: every test sample's posterior q(z|x) as an ellipse over the unit-circle prior."""

from __future__ import annotations

import streamlit as st

from vae_geom import figures, ladder, ui

st.set_page_config(page_title="vae-geom · Explorer", page_icon="⭕", layout="wide")
dataset_name, model_name = ui.sidebar()
model, meta = ui.load_or_stop(dataset_name, model_name)
ds = ui.dataset(dataset_name)
mu, sigma = ui.test_posteriors(dataset_name, model_name)

st.title("Every sample is an ellipse")
st.markdown(
    "An **autoencoder** maps each image x to a *point* z = E(x). A **VAE** maps it to an *area*: "
    "the Gaussian posterior q(z|x) with centre μ(x) and semi-axes σ(x), drawn here as an ellipse. "
    "The black circles are the prior p(z) = N(0, I) at 1σ and 2σ. Points cannot cover a plane; "
    "areas can, and the KL term pulls their union onto the prior's disc."
)
st.latex(
    r"q(z\mid x) = \mathcal{N}\big(\mu(x),\ \mathrm{diag}\,\sigma^2(x)\big),\qquad "
    r"p(z) = \mathcal{N}(0, I)"
)

k = (
    2.0
    if st.toggle(
        "Draw 2σ ellipses (86% of each posterior's mass) instead of 1σ (39%)",
        key="explorer.two_sigma",
    )
    else 1.0
)
left, right = st.columns([3, 1])
with left:
    fig = figures.latent_figure(mu, sigma, ds.y_test, k=k, label_name=ds.label_name)
    st.plotly_chart(fig, key="latent", width="stretch")
    st.caption(
        f"{len(mu):,} test samples of {dataset_name}; axes in latent units z₁, z₂. "
        f"Model: {ladder.spec_by_name(model_name).label}."
    )
with right:
    t = meta["test"]
    st.metric(
        "coverage₁",
        f"{t['coverage_1']:.1%}",
        help="Share of the prior's mass inside at least one 1σ ellipse "
        f"(Monte Carlo, M = {t['coverage_samples']:,} draws z ~ N(0, I)). 0 for an AE.",
    )
    st.metric("coverage₂", f"{t['coverage_2']:.1%}", help="The same with 2σ ellipses.")
    st.metric(
        "aggregate KL(q‖p)",
        f"{t['aggregate_kl']:.3f} nats",
        help="How far the union of posteriors q(z) = (1/N) Σ N(z; μᵢ, σᵢ²) is from the "
        "prior, on a 0.1-wide grid over [−4, 4]².",
    )
    st.metric(
        "holes",
        f"{t['holes_fraction']:.1%}",
        help="Share of the grid cells inside the prior's 2σ disc where q(z) < 0.1 p(z).",
    )
    elbo = "—" if t["elbo"] is None else f"{t['elbo']:.1f} nats"
    st.metric("test ELBO", elbo, help="−(reconstruction + KL) per test image; undefined for an AE.")
    st.download_button(
        "Codes as CSV",
        ui.codes_csv(mu, sigma, ds.y_test),
        file_name=f"{dataset_name}-{model_name}-codes.csv",
        mime="text/csv",
        help="mu and sigma of every test sample, with its label.",
    )
