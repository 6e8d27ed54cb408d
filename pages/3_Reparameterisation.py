"""Reparameterisation: z = mu + eps * sigma moves and stretches the unit circle into the ellipse."""

from __future__ import annotations

import numpy as np
import streamlit as st

from vae_geom import generate, i18n, probe, tiles, ui
from vae_geom.figures import reparam
from vae_geom.models import decode_images
from vae_geom.ui import lang
from vae_geom.ui.lang import t

st.set_page_config(page_title=t("reparam.page_title"), page_icon="⭕", layout="wide")
dataset_name, model_name = ui.sidebar()
model, meta = ui.load_or_stop(dataset_name, model_name)
ds = ui.dataset(dataset_name)
mu, sigma = ui.sample_posteriors(dataset_name, model_name)
# open on a sample the model reconstructs as itself (the judge's reading), not on a failure
st.session_state.setdefault("reparam.index", ui.recognised_sample(dataset_name, model_name))
if (clicked := st.session_state.pop("reparam.z", None)) is not None:  # a click picks the nearest μ
    st.session_state["reparam.index"] = int(probe.nearest_codes(clicked, mu, 1)[0][0])

st.title(t("reparam.title"))
if err := st.session_state.pop("reparam.z.error", None):  # a click on the plane it could not read
    st.warning(err)
st.markdown(t("reparam.lead"))
st.latex(r"z = \mu(x) + \varepsilon \odot \sigma(x),\qquad \varepsilon \sim \mathcal{N}(0, I)")

c1, c2, c3 = st.columns(3)
index = c1.number_input(t("reparam.index"), 0, len(mu) - 1, key="reparam.index")
k = c2.slider(t("reparam.k"), *generate.DRAWS_SLIDER, key="reparam.k")
seed = c3.number_input(t("reparam.seed"), 0, generate.DRAW_SEED_MAX, 0, key="reparam.seed")
eps, z = generate.reparameterize(mu[index], sigma[index], k, seed)
if model.is_ae:
    st.warning(t("reparam.ae"))

left, right = st.columns(2)
fig_eps, fig_z = reparam.reparam_figures(eps, z, mu[index], sigma[index], lang.current())
left.plotly_chart(fig_eps, key="reparam.eps")
right.plotly_chart(fig_z, key="reparam.zfig")
st.caption(
    t(
        "reparam.caption",
        index=index,
        label=i18n.t(f"label.{ds.label_name}", lang.current()),  # "digit", "数字"
        y=ds.y_test[index],
        mu1=mu[index][0],
        mu2=mu[index][1],
        s1=sigma[index][0],
        s2=sigma[index][1],
    )
)

st.subheader(t("reparam.decodings"))
decoded = decode_images(model, np.vstack([mu[index][None], z]))
cols = st.columns([1, 1, 4])
cols[0].image(
    tiles.upscale(ds.x_test[index].reshape(ds.image_shape), 112),
    caption=t("reparam.x"),
    output_format="PNG",
)
cols[1].image(
    tiles.upscale(decoded[0].reshape(ds.image_shape), 112),
    caption=t("reparam.decoder_mu"),
    output_format="PNG",
)
cols[2].image(
    tiles.upscale(tiles.mosaic(decoded[1:], ds.image_shape, cols=min(k, 8)), 600),
    caption=t("reparam.decoder_z"),
    output_format="PNG",
)

st.subheader(t("reparam.pick"))
# the chosen sample's ellipse at 1σ and 2σ, and where its K draws of z landed
marks = [
    {"kind": "ellipse", "z": mu[index].tolist(), "sigma": sigma[index].tolist(), "k": k_sigma}
    for k_sigma in (1, 2)
] + [{"kind": "points", "z": z[:256].tolist(), "colour": "#d00"}]
ui.latent_plane("reparam_plane", dataset_name, model_name, z_key="reparam.z", marks=marks)
st.caption(t("reparam.plane_caption", index=index, k=k))
