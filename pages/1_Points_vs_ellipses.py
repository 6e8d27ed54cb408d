"""Points vs ellipses: an AE's codes are points and leave holes; a VAE's are areas."""

from __future__ import annotations

import streamlit as st

from vae_geom import geometry, ui
from vae_geom.data import TRAIN
from vae_geom.figures import plane
from vae_geom.figures.plane import HOLE

st.set_page_config(page_title="vae-geom · Points vs ellipses", page_icon="⭕", layout="wide")
dataset_name, _ = ui.sidebar()
ds = ui.dataset(dataset_name)
ae, ae_meta = ui.load_or_stop(dataset_name, "ae")
vae, vae_meta = ui.load_or_stop(dataset_name, "vae-kl-1")
mu_ae, sigma_ae = ui.sample_posteriors(dataset_name, "ae")
mu_vae, sigma_vae = ui.sample_posteriors(dataset_name, "vae-kl-1")
judge, no_judge = ui.judge_or_none(dataset_name)
# "a hole of the AE": the prior draw inside 2 sigma whose decode the judge finds least real
pick = ui.judge_worst_z(dataset_name, "ae", judge) if judge else None

st.title("Points cannot cover a plane; areas can")
st.markdown(
    "Left, a plain **autoencoder**: each test image is a *point* z = E(x). Right, the β = 1 "
    "**VAE** on the same images: each is an *area*, the 1σ ellipse of q(z|x). The decoder of "
    "each was trained only on the z its encoder produced, so where the AE's points leave "
    "**holes**, its decoder was never taught anything; whether what it decodes there looks like "
    "data is measured below, by a judge. **Point anywhere in either plane**: the same z is "
    "decoded by both; click to pin it."
)
st.latex(
    r"\text{AE: } z = E(x)\qquad\text{VAE: } z \sim \mathcal{N}\big(\mu(x), "
    r"\mathrm{diag}\,\sigma^2(x)\big)"
)

# one scale for both planes, wide enough for the codes of either: the same z is in the same place
limit = max(geometry.plane_limit(mu_ae), geometry.plane_limit(mu_vae))
# the judge's pick, marked on the AE's plane (a star labelled "least real")
marks = [{"kind": "star", "z": [float(v) for v in pick[0]], "colour": HOLE}] if pick else []
left, right = st.columns(2)
with left:
    st.markdown(f"**AE: points** (axes ±{limit:g})")
    ui.latent_plane(
        "pv_ae",
        dataset_name,
        "ae",
        z_key="points.z",
        fragment="points_decoder",
        limit=limit,
        marks=marks,
        link="points",
    )
    st.caption(
        f"{ui.ae_codes_note(ae_meta, geometry.code_spread(mu_ae))} {ui.pick_note(pick, judge)} "
        f"{plane.outside_note(mu_ae, limit)}"
    )
with right:
    st.markdown(f"**VAE: ellipses** (axes ±{limit:g})")
    ui.latent_plane(
        "pv_vae",
        dataset_name,
        "vae-kl-1",
        z_key="points.z",
        fragment="points_decoder",
        limit=limit,
        link="points",
    )
    st.caption(
        f"The VAE's codes are areas: together its 1σ ellipses cover "
        f"{vae_meta['test']['coverage_1']:.0%} of the prior's mass and its 2σ ellipses "
        f"{vae_meta['test']['coverage_2']:.0%} (the AE's points: none). Where they overlap, "
        "nearby z decode to similar images. The two planes share the pointer: one z, decoded "
        "by each model. " + plane.outside_note(mu_vae, limit)
    )


@st.fragment(key="points_decoder")
def decoded_pair() -> None:
    st.button(
        "Jump to the AE's least real-looking prior draw, as the judge sees it",
        key="points.jump",
        on_click=lambda: st.session_state.update({"points.z": tuple(map(float, pick[0]))}),
        disabled=pick is None,
        help="The prior draw inside the 2σ circle whose AE decode the judge finds least like "
        "real data (of the 2,000 draws judged below).",
    )
    # holes are judged where each decoder learned: the training split's codes, not those drawn
    codes = [ui.sample_posteriors(dataset_name, name, TRAIN) for name in ("ae", "vae-kl-1")]
    ui.decoded_pair(ae, vae, ds, *codes, z_key="points.z")


decoded_pair()

st.header("Sampling the prior, judged")
if judge is None:
    st.info(f"No judge for this dataset, so nothing is judged here. {ui.literal(no_judge, None)}")
else:
    ui.judged_prior(dataset_name, ds, judge, {"AE": "ae", "β = 1 VAE": "vae-kl-1"})
    if ae_meta.get("continued_from") == "vae-kl-1":
        st.caption(
            "Why the AE does so well here: this AE went on training from the β = 1 VAE (so that "
            "both planes show the same images in the same places), and it kept the VAE's code "
            "space, already shaped like the prior. Nothing in an AE's own loss would put its codes "
            "there: an AE trained from scratch on **Train your own** need not land anywhere near "
            "N(0, I)."
        )
