"""Explorer (the home page): every sample's posterior q(z|x) as an ellipse; click to decode."""

from __future__ import annotations

import sys

import streamlit as st

from vae_geom.data import SPLITS, TRAIN
from vae_geom.figures import plane  # plotly and numpy only: torch comes later (see below)

st.set_page_config(page_title="vae-geom · Explorer", page_icon="⭕", layout="wide")
# The page's frame (its text, and the plane with only the prior) is sent before torch is
# imported: on a fresh server the first run spends ~1 s importing it, and meanwhile the browser
# fetches and compiles the chart code it would otherwise start on only when the figure came.
st.title("Every sample is an ellipse")
st.markdown(
    "An **autoencoder** maps each image x to a *point* z = E(x). A **VAE** maps it to an "
    "*area*: the Gaussian posterior q(z|x) with centre μ(x) and semi-axes σ(x), drawn here as "
    "an ellipse. The black circles are the prior p(z) = N(0, I) at 1σ and 2σ. Points cannot "
    "cover a plane; areas can, and the KL term pulls their union onto the prior's disc. "
    "**Click anywhere in the plane** — empty space too — to see what the decoder makes of z."
)
st.latex(
    r"q(z\mid x) = \mathcal{N}\big(\mu(x),\ \mathrm{diag}\,\sigma^2(x)\big),\qquad "
    r"\mathrm{KL} = \tfrac12\textstyle\sum_d \big(\mu_d^2 + \sigma_d^2 - \log\sigma_d^2"
    r" - 1\big)"
)
controls = st.container()
plane_column, panel = st.columns([3, 2])
chart = plane_column.empty()
if "torch" not in sys.modules:  # the server's first run: show the prior while torch loads
    chart.plotly_chart(plane.prior_plane(), width="stretch", config=plane.CLICK_CONFIG)

from vae_geom import collapse, ui  # noqa: E402 - imports torch, so only once the frame above is sent

dataset_name, model_name = ui.sidebar()
with controls:
    model, meta = ui.load_or_stop(dataset_name, model_name)
ds = ui.dataset(dataset_name)
if "explorer.split" not in st.session_state and st.query_params.get("split") in SPLITS:
    st.session_state["explorer.split"] = st.query_params["split"]  # a link may ask for all
split = st.session_state.get("explorer.split", "test")
_, y = ui.samples(dataset_name, split)
mu, sigma = ui.sample_posteriors(dataset_name, model_name, split)

with controls:
    ui.ladder_slider(key="explorer.ladder")
    left, right = st.columns([2, 1])
    two_sigma = left.toggle(
        "Draw 2σ ellipses (86% of each posterior's mass) instead of 1σ (39%)",
        key="explorer.two_sigma",
    )
    right.radio(
        "Samples",
        SPLITS,
        key="explorer.split",
        horizontal=True,
        format_func={
            "test": f"test set ({len(ds.y_test):,})",
            "all": f"all ({len(ds.y_test) + len(ds.y_train):,})",
        }.get,
    )
k = 2.0 if two_sigma else 1.0
st.query_params["split"] = split

with plane_column:
    fig = plane.clickable(
        plane.latent_figure(mu, sigma, y, k=k, label_name=ds.label_name, class_names=ds.class_names)
    )
    chart.plotly_chart(fig, key="latent", width="stretch", config=plane.CLICK_CONFIG)
    st.caption(
        f"{len(mu):,} samples of {dataset_name} ({split}); axes in latent units z₁, z₂. "
        f"Model: {ui.literal(ui.model_label(model_name), None)}."
        + (
            " Ellipses drawn as shaded areas (no outlines) at this density."
            if len(mu) > plane.OUTLINE_MAX
            else ""
        )
        + (" " + plane.outside_note(mu)).rstrip()  # codes beyond the fixed ±4 view, if any
    )
    if collapse.is_collapsed(meta):  # the plane is one unit circle: say why
        st.info(collapse.notice(meta["test"]), icon=":material/compress:")
    ui.click_listener(["latent"], z_key="explorer.z", fragment="decoder")


@st.fragment(key="decoder")
def decoder_panel() -> None:
    """Reruns alone on a click: the figure on the left is neither rebuilt nor re-sent."""
    # holes and the blend are judged where the decoder learned: the training split's posteriors
    train = ui.sample_posteriors(dataset_name, model_name, TRAIN)
    ui.decoded_view(model, ds, *train, z_key="explorer.z")


with panel:
    decoder_panel()

st.subheader("How much of the prior do the ellipses cover?")
ui.coverage_metrics(meta["test"])
ui.codes_download(mu, sigma, y, f"{dataset_name}-{model_name}-{split}")
