"""Points vs ellipses: an AE's codes are points and leave holes; a VAE's are areas."""

from __future__ import annotations

import streamlit as st

from vae_geom import geometry, ui
from vae_geom.data import TRAIN
from vae_geom.figures import plane
from vae_geom.figures.plane import HOLE
from vae_geom.ui import lang
from vae_geom.ui.lang import t

st.set_page_config(page_title=t("points.page_title"), page_icon="⭕", layout="wide")
dataset_name, _ = ui.sidebar()
ds = ui.dataset(dataset_name)
ae, ae_meta = ui.load_or_stop(dataset_name, "ae")
vae, vae_meta = ui.load_or_stop(dataset_name, "vae-kl-1")
mu_ae, sigma_ae = ui.sample_posteriors(dataset_name, "ae")
mu_vae, sigma_vae = ui.sample_posteriors(dataset_name, "vae-kl-1")
judge, no_judge = ui.judge_or_none(dataset_name)
# "a hole of the AE": the prior draw inside 2 sigma whose decode the judge finds least real
pick = ui.judge_worst_z(dataset_name, "ae", judge) if judge else None

st.title(t("points.title"))
st.markdown(t("points.lead"))
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
    st.markdown(t("points.ae_head", limit=limit))
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
        f"{plane.outside_note(mu_ae, limit, lang.current())}"
    )
with right:
    st.markdown(t("points.vae_head", limit=limit))
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
        t(
            "points.vae_caption",
            c1=vae_meta["test"]["coverage_1"],
            c2=vae_meta["test"]["coverage_2"],
        )
        + " "
        + plane.outside_note(mu_vae, limit, lang.current())
    )


@st.fragment(key="points_decoder")
def decoded_pair() -> None:
    st.button(
        t("points.jump"),
        key="points.jump",
        on_click=lambda: st.session_state.update({"points.z": tuple(map(float, pick[0]))}),
        disabled=pick is None,
        help=t("points.jump_help"),
    )
    # holes are judged where each decoder learned: the training split's codes, not those drawn
    codes = [ui.sample_posteriors(dataset_name, name, TRAIN) for name in ("ae", "vae-kl-1")]
    ui.decoded_pair(ae, vae, ds, *codes, z_key="points.z")


decoded_pair()

st.header(t("points.sampling"))
if judge is None:
    st.info(t("points.no_judge", why=ui.literal(no_judge, None)))
else:
    shown = {t("points.ae_shown"): "ae", t("points.vae_shown"): "vae-kl-1"}
    ui.judged_prior(dataset_name, ds, judge, shown)
    if ae_meta.get("continued_from") == "vae-kl-1":
        st.caption(t("points.continued"))
