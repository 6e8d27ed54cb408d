"""Train your own: live training, a replay of the ellipses epoch by epoch, your own data."""

from __future__ import annotations

import streamlit as st

from vae_geom import ladder, training, ui
from vae_geom.models import KINDS, ModelConfig
from vae_geom.objectives import REGULARISERS
from vae_geom.ui.lang import t

st.set_page_config(page_title=t("train.page_title"), page_icon="⭕", layout="wide")
dataset_name, _ = ui.sidebar()

st.title(t("train.title"))
st.markdown(t("train.intro"))
loss, recon, reg_tex = t("train.tex.loss"), t("train.tex.recon"), t("train.tex.reg")
st.latex(
    rf"\text{{{loss}}} = \underbrace{{-\log p(x\mid z)}}_{{\text{{{recon}}}}} + \beta\cdot"
    rf"\text{{{reg_tex}}},\quad \text{{{reg_tex}}} "
    r"\in \{\mathrm{KL},\ \|\mu\|^2 + \|\sigma - 1\|^2,\ 0\}"
)

source = st.radio(
    t("train.data"),
    ["built-in", "upload"],
    horizontal=True,
    key="train.source",
    format_func=lambda s: t(f"train.data.{s}", dataset=dataset_name),
)
ds = ui.dataset(dataset_name) if source == "built-in" else ui.uploaded_dataset()
if ds is None:
    st.stop()
store = dataset_name if source == "built-in" else "uploads"

d = training.TrainConfig()  # the one source of defaults, with ModelConfig and the USER_* bounds
c = st.columns(5)
kind = c[0].selectbox(
    t("train.model"),
    KINDS,
    index=KINDS.index(ModelConfig.kind),
    key="train.kind",
    format_func=lambda k: t(f"train.kind.{k}"),
)
reg = c[1].selectbox(
    t("train.reg"),
    REGULARISERS,
    index=REGULARISERS.index(d.regulariser),
    key="train.reg",
    disabled=kind == "ae",
    format_func=lambda r: t(f"train.reg.{r}"),
)
beta = c[2].number_input("β", 0.0, training.USER_BETA_MAX, d.beta, 0.1, key="train.beta")
epochs = c[3].number_input(
    t("train.epochs"), 1, training.USER_EPOCHS_MAX, training.USER_EPOCHS_DEFAULT, key="train.epochs"
)
seed = c[4].number_input(t("train.seed"), 0, training.USER_SEED_MAX, d.seed, key="train.seed")
spec = ladder.Spec.for_user(kind, reg, beta)  # an AE: regulariser "none", beta 0

go, stop = st.columns([1, 5])
if go.button(t("train.go"), type="primary", key="train.go"):
    stop.button(t("train.stop"), key="train.stop", help=t("train.stop_help"))
    st.session_state.pop("train.saved", None)
    ui.train_live(ds, spec, int(epochs), int(seed), store)

if (result := st.session_state.get(ui.KEY_RESULT)) is not None:
    ui.replay_view(result)
    ui.save_panel(result)

with st.expander(t("train.ckpt_expander")):
    ui.checkpoint_upload(dataset_name)
