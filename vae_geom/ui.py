"""The ONE module that imports Streamlit: cached loaders, the shared sidebar, guards.

Models are cached with `st.cache_resource` and shared by every session, so they are used read-only
in eval mode; encoded arrays are cached with `st.cache_data`, keyed by (dataset, model name).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import streamlit as st
import torch

from vae_geom import checkpoints, geometry, ladder, probe, user_models
from vae_geom.data import DATASETS, Dataset
from vae_geom.data import load as load_dataset
from vae_geom.geometry import GeometryError
from vae_geom.models import VAE, decode_images, posteriors

torch.set_num_threads(1)  # many sessions share 2 cores: one thread each avoids oversubscription

DATASET_LABELS = {
    "mnist": "MNIST digits (5,000 real, 28×28)",
    "digits": "scikit-learn digits (1,797, 8×8)",
    "shapes": "Bars (angle × length, 28×28)",
}
KEY_DATASET, KEY_MODEL = "sidebar.dataset", "sidebar.model"
DEFAULT_MODEL = "vae-kl-1"  # the beta = 1 VAE: the standard KL objective
KEY_URL_READ, KEY_URL_NOTICES, KEY_URL_Z = "url.read", "url.notices", "url.z"


@st.cache_resource(show_spinner="Loading the dataset…")
def dataset(name: str) -> Dataset:
    return load_dataset(name)


def _stem(dataset_name: str, model_name: str) -> Path:
    if model_name.startswith(user_models.PREFIX):
        return user_models.stem(dataset_name, model_name)
    return ladder.stem(dataset_name, model_name)


def _file_version(stem: Path) -> tuple:
    """(mtime, size) of both files, so a checkpoint replaced on disk is read again, not served
    stale from the cache; None for a missing file (its load then says what is missing)."""
    version = []
    for f in checkpoints.paths(stem):
        try:
            info = f.stat()
            version.append((info.st_mtime_ns, info.st_size))
        except OSError:
            version.append(None)
    return tuple(version)


@st.cache_resource(show_spinner="Loading the model…", max_entries=64)
def _load(stem: str, version: tuple) -> tuple[VAE, dict]:
    return checkpoints.load(stem)  # a failure raises, and Streamlit caches no exception


# The last checkpoint of each model that loaded, per server process: when its file is deleted or
# replaced by garbage while the app runs, pages keep this copy and say so (see load_or_stop).
_LAST_GOOD: dict[str, tuple[tuple, VAE, dict]] = {}


def _current(dataset_name: str, model_name: str) -> tuple[VAE, dict, tuple, str | None]:
    """(model, record, file version, problem): problem is None, or why the file on disk cannot
    be used while an earlier good copy is served instead. Raises CheckpointError with no copy."""
    stem = _stem(dataset_name, model_name)
    version = _file_version(stem)
    try:
        m, meta = _load(str(stem), version)
        # e.g. a 784-pixel model copied into user_models/digits: it loads, then cannot encode
        user_models.check_fits(m, dataset_name, dataset(dataset_name).dim)
    except checkpoints.CheckpointError as e:
        if (good := _LAST_GOOD.get(str(stem))) is None:
            raise
        return good[1], good[2], good[0], str(e)
    _LAST_GOOD[str(stem)] = (version, m, meta)
    return m, meta, version, None


def model(dataset_name: str, model_name: str) -> tuple[VAE, dict]:
    """(model, its JSON record), shared by every session; raises CheckpointError for a missing or
    corrupt file unless an earlier good copy of it is in memory."""
    m, meta, _, _ = _current(dataset_name, model_name)
    return m, meta


@st.cache_resource(show_spinner=False)
def samples(dataset_name: str, split: str = "test") -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of the test split or of all samples; shared read-only by every session."""
    return dataset(dataset_name).samples(split)


def sample_posteriors(
    dataset_name: str, model_name: str, split: str = "test"
) -> tuple[np.ndarray, np.ndarray]:
    """(mu, sigma) of every sample of the split (test by default), each of shape (n, 2)."""
    m, _, version, _ = _current(dataset_name, model_name)
    return _encode(dataset_name, model_name, split, version, m)


@st.cache_data(show_spinner="Encoding the samples…")
def _encode(
    dataset_name: str, model_name: str, split: str, version: tuple, _m: VAE
) -> tuple[np.ndarray, np.ndarray]:
    # keyed by the checkpoint's file version: a model replaced on disk is encoded anew
    return posteriors(_m, samples(dataset_name, split)[0])


def sidebar() -> tuple[str, str]:
    """The dataset and model pickers shared by every page; returns (dataset, model name).

    The first run of a session reads dataset, model and z from the URL's query parameters (a bad
    one falls back to the default, with a notice); every run writes the current ones back, so a
    copied link reopens the same view.
    """
    _read_url_once()
    st.session_state.setdefault(KEY_DATASET, DATASETS[0])  # defaults live in session state only,
    st.session_state.setdefault(KEY_MODEL, DEFAULT_MODEL)  # so a link or slider may overwrite them
    for key in (KEY_DATASET, KEY_MODEL):  # keep the choice when the user switches pages
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    with st.sidebar:
        _page_links()
        st.header("Data and model")
        ds = st.selectbox("Dataset", DATASETS, format_func=DATASET_LABELS.get, key=KEY_DATASET)
        names = model_names(ds)
        if st.session_state.get(KEY_MODEL) not in names:  # e.g. a user model of another dataset
            st.session_state[KEY_MODEL] = DEFAULT_MODEL
        name = st.selectbox(
            "Model",
            names,
            key=KEY_MODEL,
            format_func=model_label,
            help="The shipped ladder: an AE, VAEs with the KL term at five weights β "
            "(β = 0 switches the KL off), and a VAE with the simple regulariser.",
        )
        for notice in st.session_state.get(KEY_URL_NOTICES, []):
            st.warning(notice, icon=":material/link_off:")
    st.query_params.update(dataset=ds, model=name)
    return ds, name


def model_names(dataset_name: str) -> list[str]:
    """The shipped ladder, then the user's own models for this dataset ("user:NAME")."""
    return [s.name for s in ladder.SPECS] + user_models.list_models(dataset_name)


def model_label(name: str) -> str:
    """How a model is named in the picker and captions."""
    if name.startswith(user_models.PREFIX):
        return f"Yours: {name.removeprefix(user_models.PREFIX)}"
    return ladder.spec_by_name(name).label


PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"


def _page_links() -> None:
    """The navigation: Explorer, then pages/N_Title.py in order (Streamlit's own is hidden because
    it would call the home page "app", after the file name)."""
    from streamlit.errors import StreamlitAPIException

    links = [("app.py", "Explorer", ":material/blur_on:")] + [
        (f"pages/{p.name}", p.stem.split("_", 1)[1].replace("_", " "), None)
        for p in sorted(PAGES_DIR.glob("[0-9]*_*.py"))
    ]
    try:
        for page, label, icon in links:
            st.page_link(page, label=label, icon=icon)
    except StreamlitAPIException:  # a page run on its own (AppTest) has no app to link to
        return
    st.divider()


def _read_url_once() -> None:
    if st.session_state.get(KEY_URL_READ):
        return
    st.session_state[KEY_URL_READ] = True
    qp, notices = st.query_params, []
    if (ds := qp.get("dataset")) is not None:
        if ds in DATASETS:
            st.session_state[KEY_DATASET] = ds
        else:
            notices.append(f"The link's dataset {ds[:40]!r} is unknown: showing MNIST instead.")
    if (name := qp.get("model")) is not None:
        if name in model_names(st.session_state.get(KEY_DATASET, DATASETS[0])):
            st.session_state[KEY_MODEL] = name
        else:
            notices.append(f"The link's model {name[:40]!r} is unknown: showing the β = 1 VAE.")
    if (z := qp.get("z")) is not None:
        try:
            st.session_state[KEY_URL_Z] = probe.check_z(z.split(","))
        except GeometryError as e:  # its message quotes z: a very long z is cut short
            reason = str(e) if len(str(e)) <= 120 else f"{str(e)[:119]}…"
            notices.append(f"The link's z {z[:40]!r} was ignored: {reason}")
            del st.query_params["z"]  # so the address bar no longer carries it
    st.session_state[KEY_URL_NOTICES] = notices


def sections(labels: list[str], key: str) -> list:
    """A page's sections as tabs of which only the open one runs, so only its charts are drawn:
    test `tab.open` before filling a tab.

    A fresh browser tab spends ~0.5 s of its main thread on each plane of 1,000 ellipses, so
    pages drawing every section at once took 3.6-4.9 s to load (BENCHMARKS.md). Switching tabs
    reruns the page. Widgets in a closed tab are not drawn, and Streamlit forgets the values of
    widgets a run does not draw: give them to `keep_widgets` so they survive.
    """
    return st.tabs(labels, key=key, on_change="rerun")


def keep_widgets(defaults: dict) -> None:
    """Set these widget keys to their defaults once, and carry their values through runs that
    do not draw the widgets (a closed section). Such widgets take no value/default argument:
    Session State is their one source (Streamlit warns when both are given)."""
    for key, default in defaults.items():
        st.session_state[key] = st.session_state.get(key, default)


def load_or_stop(dataset_name: str, model_name: str) -> tuple[VAE, dict]:
    """The cached model, or a clear message and a stopped page if its checkpoint is unusable."""
    try:
        m, meta, _, problem = _current(dataset_name, model_name)
    except checkpoints.CheckpointError as e:
        st.error(f"This model cannot be loaded. {e}")
        st.stop()
    if problem:
        st.warning(
            f"{model_label(model_name)}: its checkpoint changed on disk and can no longer be read "
            f"({problem}). Showing the copy loaded earlier; it is used until the file is restored.",
            icon=":material/history:",
        )
    return m, meta


def ladder_or_stop(dataset_name: str) -> list[dict]:
    """The KL ladder's rows (beta and test figures) from the models in use, as load_or_stop."""
    rows = []
    for spec in ladder.SPECS:
        if spec.regulariser == "kl":
            _, meta = load_or_stop(dataset_name, spec.name)
            rows.append({"name": spec.name, "beta": spec.beta, **meta["test"]})
    return rows


def codes_csv(mu: np.ndarray, sigma: np.ndarray, labels: np.ndarray) -> str:
    """The latent codes as CSV text: index, label, mu1, mu2, sigma1, sigma2."""
    table = np.column_stack([np.arange(len(mu)), labels, mu, sigma])
    buf = io.StringIO()
    np.savetxt(
        buf,
        table,
        delimiter=",",
        fmt=["%d", "%d", "%.6g", "%.6g", "%.6g", "%.6g"],
        header="index,label,mu1,mu2,sigma1,sigma2",
        comments="",
    )
    return buf.getvalue()


def codes_download(mu: np.ndarray, sigma: np.ndarray, labels: np.ndarray, stem: str) -> None:
    st.download_button(
        "Download the codes (CSV)",
        codes_csv(mu, sigma, labels),
        file_name=f"{stem}-codes.csv",
        mime="text/csv",
        help="μ and σ of every test sample, with its label. Figures download as PNG "
        "from the camera icon in each chart's toolbar.",
    )


COVERAGE_HELP = {
    "coverage_1": "P over z ~ N(0, I) that z lies inside at least one 1σ ellipse: "
    "Σ_d ((z_d − μ_id)/σ_id)² ≤ 1 for some sample i. Monte Carlo with {M:,} fixed draws. "
    "0 for an AE: points cover nothing.",
    "coverage_2": "The same with 2σ ellipses (k = 2).",
    "aggregate_kl": "KL(q‖p) between the union of posteriors q(z) = (1/N) Σᵢ N(z; μᵢ, σᵢ²) and "
    "the prior, on a 0.1-wide grid over [−4, 4]² (plus one cell for outside it).",
    "holes_fraction": "Share of the grid cells inside the prior's 2σ circle where "
    "q(z) < 0.1 · p(z): places the prior samples but no posterior reaches.",
}


def coverage_metrics(test: dict) -> None:
    """The model's recorded coverage figures as metrics, each with its definition."""
    cols = st.columns(5)
    m = test.get("coverage_samples", 0)
    cols[0].metric(
        "coverage₁", f"{test['coverage_1']:.1%}", help=COVERAGE_HELP["coverage_1"].format(M=m)
    )
    cols[1].metric("coverage₂", f"{test['coverage_2']:.1%}", help=COVERAGE_HELP["coverage_2"])
    cols[2].metric(
        "aggregate KL(q‖p)", f"{test['aggregate_kl']:.3f} nats", help=COVERAGE_HELP["aggregate_kl"]
    )
    cols[3].metric("holes", f"{test['holes_fraction']:.1%}", help=COVERAGE_HELP["holes_fraction"])
    elbo = "—" if test["elbo"] is None else f"{test['elbo']:.1f} nats"
    cols[4].metric(
        "test ELBO",
        elbo,
        help="−(reconstruction + KL) per test image, one z draw "
        "per image. Undefined for an AE (a point has no density).",
    )


LADDER_SLIDER = [s.name for s in ladder.SPECS if s.regulariser != "simple"]


def ladder_slider(key: str) -> None:
    """Step along the KL ladder (AE, KL off, β = 0.1 … 3); drives the sidebar's model picker."""
    current = st.session_state.get(KEY_MODEL)
    if current not in LADDER_SLIDER:
        st.caption(
            "The simple regulariser is selected in the sidebar; pick a KL model there "
            "to step along the β ladder."
        )
        return
    st.session_state[key] = current

    def follow() -> None:
        st.session_state[KEY_MODEL] = st.session_state[key]

    st.select_slider(
        "KL weight β — slide left to switch the KL off and watch the ellipses shrink to points",
        LADDER_SLIDER,
        key=key,
        on_change=follow,
        format_func=lambda n: {"ae": "AE (no noise)", "vae-kl-0": "KL off (β = 0)"}.get(
            n, f"β = {ladder.spec_by_name(n).beta:g}"
        ),
    )


def decoded_view(
    model: VAE,
    ds: Dataset,
    mu: np.ndarray,
    sigma: np.ndarray,
    z_key: str,
    top: int = 5,
    images: np.ndarray | None = None,
) -> None:
    """What the plane says at the clicked z: decoder(z), p(z), and the posteriors that cover z."""
    if err := st.session_state.pop(f"{z_key}.error", None):
        st.warning(err)
    z = st.session_state.get(z_key)
    if z is None:
        st.info(
            "👈 Click anywhere in the latent plane — on an ellipse or in empty space — to "
            "decode that point z.",
            icon=":material/touch_app:",
        )
        return
    st.query_params["z"] = f"{z[0]:.3f},{z[1]:.3f}"
    images = ds.x_test if images is None else images  # the samples whose ellipses are drawn
    p = probe.probe(model, images, mu, sigma, z, ds.image_shape, top=top)
    st.markdown(
        f"**z = ({z[0]:+.2f}, {z[1]:+.2f})** · prior density p(z) = "
        f"{p.prior_density:.3g} · ‖z‖ = {np.hypot(*z):.2f}"
    )
    left, right = st.columns(2)
    left.image(probe.upscale(p.image), caption="decoder(z)", output_format="PNG", width=160)
    if p.blend is not None:
        right.image(
            probe.upscale(p.blend),
            output_format="PNG",
            width=160,
            caption="Σᵢ rᵢ xᵢ: the samples that claim z, averaged by responsibility",
        )
    captions = [f"#{i}: r = {w:.2f}" for i, w in zip(p.top, p.weights, strict=True)]
    if model.is_ae:
        idx, dist = probe.nearest_codes(z, mu, 3)
        st.markdown(
            "An AE's codes are **points**: no posterior covers z, and the decoder was "
            "only ever trained at the codes themselves. The nearest codes:"
        )
        _thumbnails(
            ds, images, idx, [f"#{i}: {d:.2f} away" for i, d in zip(idx, dist, strict=True)]
        )
    elif p.inside:
        many = "s" if p.inside > 1 else ""
        st.markdown(
            f"**z lies inside {p.inside} posterior{many}' 2σ ellipse{many}.** The most "
            "responsible (rᵢ = N(z; μᵢ, σᵢ²) / Σⱼ N(z; μⱼ, σⱼ²)) are below: where "
            "ellipses overlap the decoder must serve them all at once, so it blends "
            "them — one reason VAE outputs look blurry."
        )
        _thumbnails(ds, images, p.top, captions)
    else:
        st.markdown(
            "**z is in a hole: no posterior's 2σ ellipse contains it.** The decoder was "
            "never trained on a z from here, so its image is a guess. Nearest claims:"
        )
        _thumbnails(ds, images, p.top, captions)


def _thumbnails(ds: Dataset, images: np.ndarray, idx, captions: list[str]) -> None:
    st.image(
        [probe.upscale(images[i].reshape(ds.image_shape), 84) for i in idx],
        caption=captions,
        output_format="PNG",
    )


_CLICK_JS = (Path(__file__).resolve().parent.parent / "assets" / "plane_click.js").read_text()
_plane_click = st.components.v2.component("vae_geom.plane_click", js=_CLICK_JS)


def click_listener(charts: list[str], z_key: str, fragment: str | None = None) -> None:
    """Listen for clicks anywhere on the plotly charts with these keys (see assets/plane_click.js).

    A click stores z = (z1, z2) in st.session_state[z_key] and reruns only `fragment` (a
    `@st.fragment(key=...)`), so the figure is not rebuilt or re-sent.
    """
    key = f"{z_key}.listener"

    def on_click() -> None:
        event = st.session_state[key]["click"]
        try:
            st.session_state[z_key] = probe.check_z((event["x"], event["y"]))
        except (TypeError, KeyError, GeometryError) as e:
            st.session_state[f"{z_key}.error"] = f"That click could not be read: {e}"
        if fragment:
            st.rerun(fragment)

    if z_key not in st.session_state and KEY_URL_Z in st.session_state:
        st.session_state[z_key] = st.session_state[KEY_URL_Z]  # the link's z, once
    z = st.session_state.get(z_key)
    _plane_click(
        key=key, data={"charts": charts, "z": list(z) if z else None}, on_click_change=on_click
    )


@st.cache_data(show_spinner="Drawing every rung of the ladder…", max_entries=3)
def ladder_animation(dataset_name: str):
    """The KL ladder's ellipses as one animated figure (cached per dataset)."""
    from vae_geom import figures

    names = [s.name for s in ladder.SPECS if s.regulariser == "kl"]
    frames = [
        (
            "off" if ladder.spec_by_name(n).beta == 0 else f"β = {ladder.spec_by_name(n).beta:g}",
            *sample_posteriors(dataset_name, n),
        )
        for n in names
    ]
    ds = dataset(dataset_name)
    return figures.ladder_animation(frames, ds.y_test, label_name=ds.label_name)


def decoded_pair(
    ae: VAE,
    vae: VAE,
    ds: Dataset,
    mu_ae: np.ndarray,
    mu_vae: np.ndarray,
    sigma_vae: np.ndarray,
    z_key: str,
) -> None:
    """The same z decoded by the AE and by the VAE, with what surrounds z in each code space."""
    z = st.session_state.get(z_key)
    if z is None:
        st.info("Click anywhere in either plane (or jump into the hole) to decode that z.")
        return
    st.query_params["z"] = f"{z[0]:.3f},{z[1]:.3f}"
    images = decode_images(ae, [z])[0], decode_images(vae, [z])[0]
    _, d_ae = probe.nearest_codes(z, mu_ae, 1)
    inside = int(geometry.covered_by(z, mu_vae, sigma_vae, k=2.0).sum())
    st.markdown(f"**z = ({z[0]:+.2f}, {z[1]:+.2f})**")
    cols = st.columns(2)
    cols[0].image(
        probe.upscale(images[0].reshape(ds.image_shape)),
        width=160,
        output_format="PNG",
        caption=f"AE decoder(z) — nearest code {d_ae[0]:.2f} away",
    )
    where = f"inside {inside} posteriors' 2σ ellipses" if inside else "in a hole: no 2σ ellipse"
    cols[1].image(
        probe.upscale(images[1].reshape(ds.image_shape)),
        width=160,
        output_format="PNG",
        caption=f"VAE decoder(z) — z is {where}",
    )


# ---- Train your own (pages/7_Train_your_own.py) -------------------------------------------

KEY_RESULT = "train.result"


@st.cache_data(show_spinner="Reading your file…", max_entries=4)
def _parse_upload(
    name: str, data: bytes, labels: bytes | None, labels_name: str | None, rescale: bool
) -> Dataset:
    from vae_geom.uploads import load_upload

    return load_upload(name, data, labels, labels_name, rescale=rescale)


def uploaded_dataset() -> Dataset | None:
    """The user's own data, validated; a clear message (and None) for anything wrong."""
    from vae_geom.uploads import UploadError, describe

    # type=None: Streamlit's own extension check raises (a traceback); ours names the problem
    up = st.file_uploader(
        "Your data: .npz (images or vectors), .csv (one sample per row) or a "
        ".zip of PNG images (sub-folders = labels)",
        key="train.upload",
    )
    lab = st.file_uploader("Labels (optional): .csv, one integer per sample", key="train.labels")
    rescale = st.checkbox("Min-max rescale my values to [0, 1]", key="train.rescale")
    if up is None:
        st.info("Upload a file to train on your own data (at most 50 MB, 50–20,000 samples).")
        return None
    try:
        ds = _parse_upload(
            up.name,
            up.getvalue(),
            lab.getvalue() if lab else None,
            lab.name if lab else None,
            rescale,
        )
    except UploadError as e:
        st.error(str(e) if str(e).startswith(up.name) else f"{up.name}: {e}")  # named once
        if getattr(e, "suggest_rescale", False):
            st.info("Tick **Min-max rescale** above to map your values onto [0, 1].")
        return None
    st.success(f"{up.name}: {describe(ds)}")
    return ds


def train_live(ds: Dataset, spec: ladder.Spec, epochs: int, seed: int, store: str) -> None:
    """Train a FRESH model with a progress bar, ETA and live curves; keep everything in the
    session as it goes, so a Stop (which interrupts this run) still leaves the epochs done."""
    from vae_geom import replay
    from vae_geom.models import ModelConfig, make_model

    idx = replay.subset(len(ds.x_test))
    model = make_model(ModelConfig(ds.dim, kind=spec.kind), seed)
    bar = st.progress(0.0, text="Starting…")
    curves = st.empty()

    def report(row: dict) -> None:
        bar.progress(
            row["epoch"] / epochs,
            text=f"epoch {row['epoch']}/{epochs} · "
            f"{row['elapsed_s']:.0f} s so far · about {row['eta_s']:.0f} s left",
        )
        curves.line_chart(_curve_table(rec.rows[1:]), height=220)

    rec = replay.Recorder(ds.x_test[idx], epochs, report=report)
    rec.record_start(model)
    result = {
        "model": model,
        "recorder": rec,
        "spec": spec,
        "seed": seed,
        "epochs": epochs,
        "dataset": ds,
        "labels": ds.y_test[idx],
        "store": store,
        "meta": None,
    }
    st.session_state[KEY_RESULT] = result
    _, result["meta"] = ladder.train_one(ds, spec, epochs, seed, on_epoch=rec, model=model)
    bar.progress(1.0, text=f"Done: {epochs} epochs in {rec.rows[-1]['elapsed_s']:.1f} s")


def _curve_table(rows: list[dict]) -> dict:
    """Per-epoch recon, regulariser and -ELBO-like loss, for st.line_chart."""
    return {
        "recon (nats)": [r["recon"] for r in rows],
        "regulariser": [r["reg"] for r in rows],
        "loss": [r["loss"] for r in rows],
    }


def replay_view(result: dict) -> None:
    """A slider over epochs: the ellipses from their starting tangle to the final layout."""
    from vae_geom import figures

    rec, ds = result["recorder"], result["dataset"]
    last = len(rec.mu) - 1
    if result["meta"] is None:
        st.warning(f"Training was stopped after epoch {last}: what it learnt so far is kept.")
    st.subheader("Replay: watch the ellipses find their places")
    epoch = st.slider("Epoch (0 = before training)", 0, last, last, key="train.epoch")
    left, right = st.columns([3, 2])
    left.plotly_chart(
        figures.latent_figure(
            rec.mu[epoch], rec.sigma[epoch], result["labels"], label_name=ds.label_name
        ),
        key="train.plane",
    )
    left.caption(f"{len(result['labels']):,} test samples' 1σ ellipses after epoch {epoch}.")
    right.line_chart({"coverage₁": [r["coverage_1"] for r in rec.rows]}, height=220)
    right.caption(
        "coverage₁ per epoch (Monte Carlo, M = 4,000): how much of the prior the "
        "ellipses cover as training goes."
    )
    right.line_chart(_curve_table(rec.rows[1:]), height=220)
    right.caption("Training loss terms per epoch (nats per image).")


def save_panel(result: dict) -> None:
    """Save the trained model as a user model; download it as a zip."""
    spec = result["spec"]
    default = f"{spec.name}-s{result['seed']}-e{len(result['recorder'].rows) - 1}"
    name = st.text_input("Model name", default, key="train.name", max_chars=48)
    if st.button("Save to my models", key="train.save"):
        meta = result["meta"] or _meta_after_stop(result)
        try:
            user_models.save(result["model"], result["store"], name, meta)
            st.session_state["train.saved"] = name
        except checkpoints.CheckpointError as e:
            st.error(str(e))
            if user_models.NAME_RE.match(name):  # else the name is what to fix, not the folder
                st.download_button(
                    "Download it instead (.zip: safetensors + JSON)",
                    user_models.model_zip(result["model"], result["store"], name, meta),
                    file_name=f"{name}.zip",
                    mime="application/zip",
                    key="train.dl_unsaved",
                )
    saved = st.session_state.get("train.saved")
    if saved:
        where = result["store"]
        st.success(
            f"Saved as “Yours: {saved}”"
            + (
                " — pick it in the sidebar on every page."
                if where in DATASETS
                else " (trained on your upload: shown here only)."
            )
        )
        st.download_button(
            "Download it (.zip: safetensors + JSON)",
            user_models.to_zip(where, saved),
            file_name=f"{saved}.zip",
            mime="application/zip",
            key="train.dl",
        )


def _meta_after_stop(result: dict) -> dict:
    ds, rec = result["dataset"], result["recorder"]
    return {
        "name": result["spec"].name,
        "dataset": ds.name,
        "kind": result["spec"].kind,
        "epochs_run": len(rec.rows) - 1,
        "test": ladder.test_metrics(result["model"], ds),
    }


def checkpoint_upload(dataset_name: str) -> None:
    """Upload a model zip (as downloaded above); validated, never unpickled."""
    up = st.file_uploader(
        "Upload a model (.zip with NAME.json + NAME.safetensors)", type=["zip"], key="train.ckpt"
    )
    if up is None:
        return
    name = user_models.name_from_file(up.name)
    try:
        user_models.from_zip(up.getvalue(), dataset_name, name, dataset(dataset_name).dim)
        st.success(f"“Yours: {name}” is now in the sidebar's model picker for {dataset_name}.")
    except checkpoints.CheckpointError as e:
        st.error(str(e) if str(e).startswith(up.name) else f"{up.name}: {e}")  # named once
