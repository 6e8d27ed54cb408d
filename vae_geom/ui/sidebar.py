"""The shared sidebar (dataset and model pickers, page links) and the link's query parameters.

The session-state keys other parts of the ui read (KEY_DATASET, KEY_MODEL, KEY_URL_*) live here.
"""

from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

from vae_geom import checkpoints, collapse, i18n, ladder, probe, user_models
from vae_geom.data import DATASETS
from vae_geom.geometry import GeometryError
from vae_geom.ui import heap, lang
from vae_geom.ui.lang import said, t
from vae_geom.ui.literal import literal


class _DatasetLabels:
    """DATASET_LABELS[name]: a dataset's name in the session's language (or in `code`)."""

    def get(self, name: str, code: str | None = None) -> str:
        return i18n.t(f"sidebar.dataset.{name}", code or lang.current())

    __getitem__ = get


DATASET_LABELS = _DatasetLabels()
KEY_DATASET, KEY_MODEL = "sidebar.dataset", "sidebar.model"
DEFAULT_MODEL = "vae-kl-1"  # the beta = 1 VAE: the standard KL objective
KEY_URL_READ, KEY_URL_NOTICES, KEY_URL_Z = "url.read", "url.notices", "url.z"
KEY_SHOWN, KEY_LOST = "sidebar.shown", "sidebar.lost"  # (dataset, model) last shown; its notice
URL_ECHO = 40  # characters of a bad link value quoted back in its notice


def sidebar() -> tuple[str, str]:
    """The dataset and model pickers shared by every page; returns (dataset, model name).

    The first run of a session reads dataset, model and z from the URL's query parameters (a bad
    one falls back to the default, with a notice); every run writes the current ones back, so a
    copied link reopens the same view.
    """
    heap.freeze_once()  # the first page run: everything the app imports is loaded by now
    _read_url_once()
    # Streamlit's default 6rem above the title would push each page's figure below the fold of
    # a projector's 1280 × 720; 2rem keeps the title clear of the (hidden) toolbar.
    st.html("<style>[data-testid='stMainBlockContainer']{padding-top:2rem}</style>")
    st.session_state.setdefault(KEY_DATASET, DATASETS[0])  # defaults live in session state only,
    st.session_state.setdefault(KEY_MODEL, DEFAULT_MODEL)  # so a link or slider may overwrite them
    for key in (KEY_DATASET, KEY_MODEL):  # keep the choice when the user switches pages
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    with st.sidebar:
        lang.switch()
        _page_links()
        st.header(t("sidebar.header"))
        # the pickers' labels take the language drawn with them: Streamlit may call format_func
        # again outside the script run (AppTest does), where the session cannot be read
        code = lang.current()
        ds = st.selectbox(
            t("sidebar.dataset"),
            DATASETS,
            format_func=functools.partial(DATASET_LABELS.get, code=code),
            key=KEY_DATASET,
        )
        names = model_names(ds)
        if st.session_state.get(KEY_MODEL) not in names:  # deleted, or of another dataset
            st.session_state[KEY_LOST] = (ds, _lost_notice(ds, st.session_state.get(KEY_MODEL)))
            st.session_state[KEY_MODEL] = DEFAULT_MODEL
        name = st.selectbox(
            t("sidebar.model"),
            names,
            key=KEY_MODEL,
            format_func=functools.partial(model_label, dataset=ds, code=code),  # marks collapse
            help=t("sidebar.model_help"),
        )
        for notice in st.session_state.get(KEY_URL_NOTICES, []):
            st.warning(notice, icon=":material/link_off:")
        lost = st.session_state.get(KEY_LOST)
        if lost and (lost[0], DEFAULT_MODEL) == (ds, name):  # until another model is picked
            st.warning(lost[1], icon=":material/folder_off:")
        else:
            st.session_state.pop(KEY_LOST, None)
    st.session_state[KEY_SHOWN] = (ds, name)
    st.query_params.update(dataset=ds, model=name)
    return ds, name


def _lost_notice(ds: str, name: object) -> str:
    """Why the picked model is gone from the picker: deleted from the server (the dataset is the
    one it was shown with), or a user model of the dataset the user has just left."""
    shown = literal(str(name).split(":", 1)[-1], 48)  # "user:mine" -> mine
    default = t("sidebar.lost.default")
    before = st.session_state.get(KEY_SHOWN, (ds, name))[0]
    if before == ds:
        return t("sidebar.lost.gone", name=shown, default=default)
    return t("sidebar.lost.other", name=shown, dataset=literal(before, None), default=default)


def model_names(dataset_name: str) -> list[str]:
    """The shipped ladder, then this session's own models for this dataset ("me:NAME"), then the
    ones shared with the class ("user:NAME"). Another student's own models are never listed."""
    from vae_geom.ui.owner import token  # ui.owner: the link's private key

    return [s.name for s in ladder.SPECS] + user_models.list_models(dataset_name, token())


def model_label(name: str, dataset: str | None = None, code: str | None = None) -> str:
    """How a model is named in the picker and captions. A shipped rung of `dataset` (by default
    the one picked in the sidebar) whose record shows a collapsed posterior says so."""
    code = code or lang.current()
    if name.startswith(user_models.PRIVATE):
        return i18n.t("sidebar.yours", code, name=name.removeprefix(user_models.PRIVATE))
    if name.startswith(user_models.PREFIX):
        return i18n.t("sidebar.shared", code, name=name.removeprefix(user_models.PREFIX))
    label = i18n.t(f"model.{ladder.spec_by_name(name).name}", code)
    dataset = dataset or st.session_state.get(KEY_DATASET)
    if dataset in DATASETS and _collapsed_rung(ladder.stem(dataset, name)):
        return i18n.t("sidebar.collapsed", code, label=label)
    return label


@functools.lru_cache(maxsize=64)  # the picker labels every rung on every run
def _collapsed_rung(stem: Path) -> bool:
    """Whether a shipped rung's record (its JSON) shows a collapsed posterior; False for a file
    that cannot be read (loading it says why). Read once per process: the shipped ladder changes
    with a deploy, and a label that changed under an open picker would no longer match it."""
    try:
        return collapse.is_collapsed(checkpoints.read_meta(stem))
    except (checkpoints.CheckpointError, KeyError, TypeError):
        return False


PAGES_DIR = Path(__file__).resolve().parents[2] / "pages"


def _page_links() -> None:
    """The navigation: the Lesson (pages/0_Lesson.py) first, then the Explorer (the home page,
    app.py), then the other pages/N_Title.py in order (Streamlit's own is hidden because it would
    call the home page "app", after the file name)."""
    from streamlit.errors import StreamlitAPIException

    pages = [
        (f"pages/{p.name}", t(f"nav.{p.stem.split('_', 1)[1]}"), None)
        for p in sorted(PAGES_DIR.glob("[0-9]*_*.py"))
    ]
    lesson = [(p, label, ":material/school:") for p, label, _ in pages if p == "pages/0_Lesson.py"]
    explorer = [("app.py", t("nav.explorer"), ":material/blur_on:")]
    links = lesson + explorer + [p for p in pages if p[0] != "pages/0_Lesson.py"]
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
            notices.append(t("sidebar.url.dataset", value=literal(ds, URL_ECHO)))
    if (name := qp.get("model")) is not None:
        if name in model_names(st.session_state.get(KEY_DATASET, DATASETS[0])):
            st.session_state[KEY_MODEL] = name
        else:
            notices.append(t("sidebar.url.model", value=literal(name, URL_ECHO)))
    if (z := qp.get("z")) is not None:
        try:
            st.session_state[KEY_URL_Z] = probe.check_z(z.split(","))
        except GeometryError as e:  # its message quotes z: a very long z is cut short
            why = literal(said(e), 120)  # in the session's language
            notices.append(t("sidebar.url.z", value=literal(z, URL_ECHO), why=why))
            del st.query_params["z"]  # so the address bar no longer carries it
    st.session_state[KEY_URL_NOTICES] = notices
