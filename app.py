"""Explorer (the home page): every sample's posterior q(z|x) as an ellipse; click to decode."""

from __future__ import annotations

import streamlit as st

from vae_geom.data import SPLITS, TRAIN
from vae_geom.figures import plane  # plotly and numpy only: torch comes later (see below)

st.set_page_config(page_title="vae-geom · Explorer", page_icon="⭕", layout="wide")
# The page's frame (its title and lead) is sent before torch is imported: on a fresh server the
# first run spends ~1 s importing it. The plane comes first, the longer explanation under it, so
# that at 1280 × 720 (a projector) the plane is on screen without scrolling.
st.title("Every sample is an ellipse")
st.markdown(
    "Each image x is encoded as an *area*, the posterior q(z|x) = N(μ(x), diag σ²(x)), drawn as "
    "an ellipse; the black circles are the prior N(0, I). **Move the pointer anywhere in the "
    "plane, empty space too, to see what the decoder makes of that z.**"
)
controls = st.container()
plane_column = st.container()

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
    slider, left, right = st.columns([5, 3, 3], vertical_alignment="center")
    with slider:
        ui.ladder_slider(key="explorer.ladder")
    two_sigma = left.toggle(
        "2σ ellipses",
        help="Draw each ellipse at 2σ (86% of its posterior's mass) instead of 1σ (39%).",
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
    ui.latent_plane(
        "latent", dataset_name, model_name, split, z_key="explorer.z", fragment="decoder", k=k
    )
    st.caption(
        f"{len(mu):,} samples of {dataset_name} ({split}); axes in latent units z₁, z₂. "
        f"Model: {ui.literal(ui.model_label(model_name), None)}. The panel beside the plane "
        "is computed in your browser from the model's weights as you move: nothing is sent to "
        "the server until you pin z."
        + (" " + plane.outside_note(mu)).rstrip()  # codes beyond the fixed ±4 view, if any
    )
    if collapse.is_collapsed(meta):  # the plane is one unit circle: say why
        st.info(collapse.notice(meta["test"]), icon=":material/compress:")


@st.fragment(key="decoder")
def decoder_panel() -> None:
    """Reruns alone on a pin: the plane above is neither rebuilt nor re-sent."""
    if st.session_state.get("explorer.z") is None:
        if err := st.session_state.pop("explorer.z.error", None):  # a click refused before a pin
            st.warning(err)
        return
    st.subheader("The pinned z, checked on the server")
    # holes and the blend are judged where the decoder learned: the training split's posteriors
    train = ui.sample_posteriors(dataset_name, model_name, TRAIN)
    ui.decoded_view(model, ds, *train, z_key="explorer.z")


decoder_panel()

st.subheader("What the picture says")
st.markdown(
    "An **autoencoder** maps each image x to a *point* z = E(x). A **VAE** maps it to an "
    "*area*: the Gaussian posterior with centre μ(x) and semi-axes σ(x), the ellipse drawn for "
    "each sample. Points cannot cover a plane; areas can, and the KL term pulls their union "
    "towards the prior's disc. Where ellipses overlap, the decoder must answer for all of them "
    "at once: the blended image beside the plane is what they average to."
)
st.latex(
    r"q(z\mid x) = \mathcal{N}\big(\mu(x),\ \mathrm{diag}\,\sigma^2(x)\big),\qquad "
    r"\mathrm{KL} = \tfrac12\textstyle\sum_d \big(\mu_d^2 + \sigma_d^2 - \log\sigma_d^2"
    r" - 1\big)"
)

st.subheader("How much of the prior do the ellipses cover?")
ui.coverage_metrics(meta["test"])
ui.codes_download(mu, sigma, y, f"{dataset_name}-{model_name}-{split}")
