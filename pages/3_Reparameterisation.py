"""Reparameterisation: z = mu + eps * sigma moves and stretches the unit circle into the ellipse."""

from __future__ import annotations

import numpy as np
import streamlit as st

from vae_geom import generate, probe, tiles, ui
from vae_geom.figures import reparam
from vae_geom.models import decode_images

st.set_page_config(page_title="vae-geom · Reparameterisation", page_icon="⭕", layout="wide")
dataset_name, model_name = ui.sidebar()
model, meta = ui.load_or_stop(dataset_name, model_name)
ds = ui.dataset(dataset_name)
mu, sigma = ui.sample_posteriors(dataset_name, model_name)
# open on a sample the model reconstructs as itself (the judge's reading), not on a failure
st.session_state.setdefault("reparam.index", ui.recognised_sample(dataset_name, model_name))
if (clicked := st.session_state.pop("reparam.z", None)) is not None:  # a click picks the nearest μ
    st.session_state["reparam.index"] = int(probe.nearest_codes(clicked, mu, 1)[0][0])

st.title("Reparameterisation: every z in the ellipse must reconstruct x")
if err := st.session_state.pop("reparam.z.error", None):  # a click on the plane it could not read
    st.warning(err)
st.markdown(
    "Training samples z from q(z|x) in a way gradients can flow through: draw ε from N(0, I) — "
    "a cloud around the **unit circle** — then move it by μ(x) and stretch it by σ(x). Every such "
    "z lands in x's ellipse, and the decoder is asked to turn **each** of them back into x. That "
    "is what makes the whole area, not only its centre, mean x."
)
st.latex(r"z = \mu(x) + \varepsilon \odot \sigma(x),\qquad \varepsilon \sim \mathcal{N}(0, I)")

c1, c2, c3 = st.columns(3)
index = c1.number_input(
    "Sample (test-set index; or click near its μ below)", 0, len(mu) - 1, key="reparam.index"
)
k = c2.slider("K draws of ε", *generate.DRAWS_SLIDER, key="reparam.k")
seed = c3.number_input("Seed for ε", 0, generate.DRAW_SEED_MAX, 0, key="reparam.seed")
eps, z = generate.reparameterize(mu[index], sigma[index], k, seed)
if model.is_ae:
    st.warning("The AE has σ ≡ 0: every ε lands on μ, a single point. Pick a VAE in the sidebar.")

left, right = st.columns(2)
fig_eps, fig_z = reparam.reparam_figures(eps, z, mu[index], sigma[index])
left.plotly_chart(fig_eps, key="reparam.eps")
right.plotly_chart(fig_z, key="reparam.zfig")
st.caption(
    f"Sample #{index} ({ds.label_name} {ds.y_test[index]}): μ = ({mu[index][0]:.3f}, "
    f"{mu[index][1]:.3f}), σ = ({sigma[index][0]:.3f}, {sigma[index][1]:.3f}). Draw i on "
    "the left lands at point i on the right."
)

st.subheader("Their decodings: all should look like x")
decoded = decode_images(model, np.vstack([mu[index][None], z]))
cols = st.columns([1, 1, 4])
cols[0].image(
    tiles.upscale(ds.x_test[index].reshape(ds.image_shape), 112), caption="x", output_format="PNG"
)
cols[1].image(
    tiles.upscale(decoded[0].reshape(ds.image_shape), 112),
    caption="decoder(μ)",
    output_format="PNG",
)
cols[2].image(
    tiles.upscale(tiles.mosaic(decoded[1:], ds.image_shape, cols=min(k, 8)), 600),
    caption="decoder(z) for draws 0, 1, 2, … (row by row)",
    output_format="PNG",
)

st.subheader("Pick a sample by clicking near its μ")
# the chosen sample's ellipse at 1σ and 2σ, and where its K draws of z landed
marks = [
    {"kind": "ellipse", "z": mu[index].tolist(), "sigma": sigma[index].tolist(), "k": k_sigma}
    for k_sigma in (1, 2)
] + [{"kind": "points", "z": z[:256].tolist(), "colour": "#d00"}]
ui.latent_plane("reparam_plane", dataset_name, model_name, z_key="reparam.z", marks=marks)
st.caption(
    f"Red: sample #{index}'s ellipse at 1σ and 2σ and its {k} draws z. Point inside the ellipse: "
    "the decoder should return x there too. A click picks the sample whose μ is nearest."
)
