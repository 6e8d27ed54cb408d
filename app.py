"""Explorer (the home page): every sample's posterior q(z|x) as an ellipse; click to decode."""

from __future__ import annotations

import streamlit as st

from vae_geom import i18n
from vae_geom.data import SPLITS, TRAIN
from vae_geom.figures import plane  # plotly and numpy only: torch comes later (see below)

try:  # the session's language before vae_geom.ui (and with it torch) is imported, read only:
    _locale = st.context.locale  # the same rule as vae_geom.ui.lang.current()
except Exception:  # no browser (AppTest): English
    _locale = None
LANG = i18n.choose(st.session_state.get("lang"), st.query_params.get("lang"), _locale)


def t(key: str, /, **values) -> str:
    return i18n.t(key, LANG, **values)


st.set_page_config(page_title=t("explorer.page_title"), page_icon="⭕", layout="wide")
# The page's frame (its title and lead) is sent before torch is imported: on a fresh server the
# first run spends ~1 s importing it. The plane comes first, the longer explanation under it, so
# that at 1280 × 720 (a projector) the plane is on screen without scrolling.
st.title(t("explorer.title"))
st.markdown(t("explorer.lead"))
controls = st.container()
plane_column = st.container()

from vae_geom import collapse, ui  # noqa: E402 - imports torch, so only once the frame above is sent
from vae_geom.ui import lang  # noqa: E402

dataset_name, model_name = ui.sidebar()
LANG = lang.current()  # as the sidebar's switch left it (the same as above unless just switched)
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
        t("explorer.two_sigma"),
        help=t("explorer.two_sigma_help"),
        key="explorer.two_sigma",
    )
    right.radio(
        t("explorer.samples"),
        SPLITS,
        key="explorer.split",
        horizontal=True,
        format_func={
            "test": t("explorer.split.test", n=len(ds.y_test)),
            "all": t("explorer.split.all", n=len(ds.y_test) + len(ds.y_train)),
        }.get,
    )
k = 2.0 if two_sigma else 1.0
st.query_params["split"] = split

with plane_column:
    sent = ui.latent_plane(
        "latent", dataset_name, model_name, split, z_key="explorer.z", fragment="decoder", k=k
    )
    st.caption(
        t(
            "explorer.caption",
            n=len(mu),
            # English names the dataset by its id ("mnist"), Chinese by its picker label's name
            # ("MNIST 手写数字", without the sizes in brackets that would contradict n)
            dataset=dataset_name
            if LANG == "en"
            else ui.DATASET_LABELS[dataset_name].split("（")[0],
            split=t(f"explorer.split_word.{split}"),
            model=ui.literal(ui.model_label(model_name), None),
        )
        + (
            " " + plane.outside_note(mu, lang=LANG)
        ).rstrip()  # codes beyond the fixed ±4 view, if any
    )
    if collapse.is_collapsed(meta):  # the plane is one unit circle: say why
        st.info(collapse.notice(meta["test"], LANG), icon=":material/compress:")


@st.fragment(key="decoder")
def decoder_panel() -> None:
    """Reruns alone on a pin: the plane above is neither rebuilt nor re-sent. A pin writes z and
    the URL; the server decodes z only when asked (the browser's panel already shows it all), or
    when the training images were too many to send, so its panel has no thumbnails or blend."""
    if st.session_state.get("explorer.z") is None:
        if err := st.session_state.pop("explorer.z.error", None):  # a click refused before a pin
            st.warning(err)
        return
    st.subheader(t("explorer.pinned"))
    if st.query_params.get("decode") == "server":  # a link (and the benchmarks) may ask for it
        st.session_state.setdefault("explorer.server_check", True)
    if not (sent and sent.get("images")):  # the browser's panel has no thumbnails or blend
        st.caption(t("explorer.server_always"))
    elif not st.toggle(
        t("explorer.server_check"),
        key="explorer.server_check",
        help=t("explorer.server_check_help"),
    ):
        ui.pinned_readout("explorer.z")
        return
    # holes and the blend are judged where the decoder learned: the training split's posteriors
    train = ui.sample_posteriors(dataset_name, model_name, TRAIN)
    ui.decoded_view(model, ds, *train, z_key="explorer.z")


decoder_panel()

st.subheader(t("explorer.what"))
st.markdown(t("explorer.what_text"))
st.latex(
    r"q(z\mid x) = \mathcal{N}\big(\mu(x),\ \mathrm{diag}\,\sigma^2(x)\big),\qquad "
    r"\mathrm{KL} = \tfrac12\textstyle\sum_d \big(\mu_d^2 + \sigma_d^2 - \log\sigma_d^2"
    r" - 1\big)"
)

st.subheader(t("explorer.coverage"))
ui.coverage_metrics(meta["test"])
# No st.download_button here: the plane's own CSV button (beside its PNG one) gives the same
# table. A Streamlit download outside the "decoder" fragment would lose its file after two pins:
# a pin's keyed rerun replaces a full run that had already let go of the page's files.
