"""Train your own: live training, a replay of the ellipses epoch by epoch, your own data."""

from __future__ import annotations

import streamlit as st

from vae_geom import ladder, training, ui
from vae_geom.models import KINDS, ModelConfig
from vae_geom.objectives import REGULARISERS

st.set_page_config(page_title="vae-geom · Train your own", page_icon="⭕", layout="wide")
dataset_name, _ = ui.sidebar()

st.title("Train your own and watch it learn")
st.markdown(
    "Pick data and an objective, press **Train**, and watch the loss fall. Then replay the "
    "ellipses epoch by epoch: they start as one tangle near the origin, reconstruction pulls them "
    "apart, and the regulariser keeps their union on the prior's disc. Training always starts "
    "from a fresh model, on this page only; **Stop** keeps the epochs done so far."
)
st.latex(
    r"\text{loss} = \underbrace{-\log p(x\mid z)}_{\text{reconstruction}} + \beta\cdot"
    r"\text{reg},\quad \text{reg} \in \{\mathrm{KL},\ \|\mu\|^2 + \|\sigma - 1\|^2,\ 0\}"
)

source = st.radio(
    "Data",
    ["built-in", "upload"],
    horizontal=True,
    key="train.source",
    format_func={
        "built-in": f"the sidebar's dataset ({dataset_name})",
        "upload": "my own file",
    }.get,
)
ds = ui.dataset(dataset_name) if source == "built-in" else ui.uploaded_dataset()
if ds is None:
    st.stop()
store = dataset_name if source == "built-in" else "uploads"

d = training.TrainConfig()  # the one source of defaults, with ModelConfig and the USER_* bounds
c = st.columns(5)
kind = c[0].selectbox(
    "Model",
    KINDS,
    index=KINDS.index(ModelConfig.kind),
    key="train.kind",
    format_func={"vae": "VAE (areas)", "ae": "AE (points)"}.get,
)
reg = c[1].selectbox(
    "Regulariser",
    REGULARISERS,
    index=REGULARISERS.index(d.regulariser),
    key="train.reg",
    disabled=kind == "ae",
    format_func={"kl": "KL", "simple": "‖μ‖²+‖σ−1‖²", "none": "none (β ignored)"}.get,
)
beta = c[2].number_input("β", 0.0, training.USER_BETA_MAX, d.beta, 0.1, key="train.beta")
epochs = c[3].number_input(
    "Epochs", 1, training.USER_EPOCHS_MAX, training.USER_EPOCHS_DEFAULT, key="train.epochs"
)
seed = c[4].number_input("Seed", 0, training.USER_SEED_MAX, d.seed, key="train.seed")
spec = ladder.Spec.for_user(kind, reg, beta)  # an AE: regulariser "none", beta 0

go, stop = st.columns([1, 5])
if go.button("Train", type="primary", key="train.go"):
    stop.button("Stop", key="train.stop", help="Interrupts training; the epochs done are kept.")
    st.session_state.pop("train.saved", None)
    ui.train_live(ds, spec, int(epochs), int(seed), store)

if (result := st.session_state.get(ui.KEY_RESULT)) is not None:
    ui.replay_view(result)
    ui.save_panel(result)

with st.expander("Upload a model you downloaded before"):
    ui.checkpoint_upload(dataset_name)
