"""The Lesson page (issue 15): one step of vae_geom.lesson at a time, text beside its live figure.

Each step: its words (lesson.json), its formula, one figure on the step's preset, a prediction the
student commits to (a click on the plane, or a choice), then the verdict and why. Every prediction
is kept as data (lesson.Answer) in st.session_state[KEY_ANSWERS]. The step lives in the link
(?step=3); Prev / Next walk the steps; "open this view in the full page" carries the preset
(?dataset= ?model= ?z=) to the page that shows it.

In a class (vae_geom/ui/classroom.py): a following student takes the teacher's step, β rung and
pinned z (`_follow`), sends each prediction to the class and sees its verdict once the teacher
reveals the step; the teacher's lesson view is published to the class at the start of every run
(the callbacks that change it have run by then), and the teacher sees the class's answers live
under the question.
"""

from __future__ import annotations

from urllib.parse import urlencode

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from vae_geom import generate, geometry, i18n, lesson, shapes
from vae_geom.data import TRAIN
from vae_geom.models import decode_images
from vae_geom.ui import classroom as class_ui
from vae_geom.ui import lang, loaders
from vae_geom.ui.judged import judge_or_none
from vae_geom.ui.lang import t
from vae_geom.ui.plane import latent_plane
from vae_geom.ui.sidebar import sidebar

KEY_STEP, KEY_ANSWERS, KEY_NOTICE = "lesson.step", "lesson.answers", "lesson.notice"
KEY_SHOWN = "lesson.shown"  # the step whose preset was last put in place
KEY_BIG = "lesson.big"  # presentation mode
Z_KEY, PLANE = "lesson.z", "lesson_plane"
KEY_RUNG = "lesson.union.rung"  # the β rung of the union step's slider
DRAWS = 16  # ε draws shown (and judged) in the reparameterisation step
PRIOR_DRAWS = 64  # prior draws marked in the sampling step

_BIG_CSS = """<style>
[data-testid='stMain'] [data-testid='stMarkdownContainer'] p,
[data-testid='stMain'] [data-testid='stMarkdownContainer'] li,
[data-testid='stMain'] label p, [data-testid='stMain'] button p { font-size: 1.3rem !important; }
[data-testid='stMain'] h2 { font-size: 2.1rem !important; }
[data-testid='stMain'] .katex { font-size: 1.35em !important; }
</style>"""
_TIGHT_CSS = """<style>
[data-testid='stMainBlockContainer'] { padding: 0.6rem 2rem 1rem 3.5rem !important; }
[data-testid='stHeader'] { background: transparent; }
[data-testid='stHeader'], [data-testid='stHeader'] div { pointer-events: none !important; }
[data-testid='stHeader'] button, [data-testid='stHeader'] a { pointer-events: auto !important; }
.st-key-lesson-text h2 { padding-top: 0; }
.st-key-lesson-text .katex-display { margin: 0.3em 0; }
</style>"""


def answers() -> list[lesson.Answer]:
    """Every prediction of this session, in order (the classroom collects them)."""
    return st.session_state.setdefault(KEY_ANSWERS, [])


def current_step() -> int:
    """The step shown: from the link on the session's first run (a bad ?step= opens step 1 with
    a notice), then kept in session state; written back to the link on every run."""
    state = st.session_state
    if state.get(KEY_STEP) not in range(1, len(lesson.STEPS) + 1):
        asked = st.query_params.get("step")
        n = lesson.parse_step(asked) if asked is not None else 1
        if n is None:
            state[KEY_NOTICE] = t("lesson.bad_step", value=str(asked)[:20], n=len(lesson.STEPS))
        state[KEY_STEP] = n or 1
    st.query_params["step"] = str(state[KEY_STEP])
    return state[KEY_STEP]


def _go(n: int) -> None:
    st.session_state[KEY_STEP] = n
    st.session_state.pop(KEY_NOTICE, None)
    class_ui.explore()  # a following student who steps on explores alone


def _follow(got: tuple[dict, dict | None] | None) -> None:
    """A student following the teacher takes the class's view (`got`: class_ui.to_follow's), once
    per revision: its step (and that step's preset), then the teacher's pinned z and β rung where
    they changed (a z the student pinned stays until the teacher pins another)."""
    if got is None:
        return
    view, before = got
    st.session_state[KEY_STEP] = view["step"]
    moved = before is None or before["step"] != view["step"]
    _enter(lesson.step(view["step"]))
    if view["z"] is not None and (moved or view["z"] != before["z"]):
        st.session_state[Z_KEY] = tuple(view["z"])
    if view["rung"] is not None and (moved or view["rung"] != before["rung"]):
        st.session_state[KEY_RUNG] = view["rung"]
    class_ui.took(view)


def _publish(n: int, step: lesson.Step) -> None:
    """The teacher's view, as the class follows it."""
    z = st.session_state.get(Z_KEY)
    class_ui.publish({
        "step": n,
        "dataset": step.dataset,
        "model": _shown_model(step),
        "rung": st.session_state.get(KEY_RUNG) if step.id == "union" else None,
        "z": None if z is None else [float(z[0]), float(z[1])],
    })  # fmt: skip


def _enter(step: lesson.Step) -> None:
    """Put the step's preset in place once, when the step is entered (a pinned z stays while the
    student stays on the step)."""
    if st.session_state.get(KEY_SHOWN) == step.id:
        return
    st.session_state[KEY_SHOWN] = step.id
    st.session_state[Z_KEY] = preset_z(step)
    st.session_state.pop(f"lesson.{step.id}.answered", None)


def preset_z(step: lesson.Step) -> tuple[float, float] | None:
    """The z a step opens on: its own, or the μ of its sample, or none (the student clicks)."""
    if step.z is not None:
        return step.z
    if step.sample:
        i = sample_index(step)
        mu, _ = loaders.sample_posteriors(step.dataset, step.model)
        return (round(float(mu[i][0]), 3), round(float(mu[i][1]), 3))
    return None


def sample_index(step: lesson.Step) -> int:
    """The step's test sample: one the model reconstructs as itself, with the widest ellipse."""
    model, stem, version = loaders.model_and_version(step.dataset, step.model)
    return _widest_recognised(step.dataset, step.model, stem, version, model)


@st.cache_data(show_spinner=False, max_entries=8)  # keyed by the checkpoint's path and version
def _widest_recognised(dataset_name: str, model_name: str, stem: str, version: tuple, _m) -> int:
    judge, _ = judge_or_none(dataset_name)
    if judge is None:
        return 0
    mu, sigma = loaders.sample_posteriors(dataset_name, model_name)
    labels, top = judge.judge(decode_images(_m, mu))
    ok = (labels == loaders.dataset(dataset_name).y_test) & (top >= judge.tau)
    return lesson.pick_sample(sigma, ok)


def _record(step: lesson.Step, answer: str, truth: str, facts: dict) -> lesson.Answer:
    a = lesson.Answer(step.id, f"lesson.{step.id}.question", answer, truth, answer == truth, facts)
    answers().append(a)
    st.session_state[f"lesson.{step.id}.answered"] = a
    class_ui.send(step.id, facts["z"] if step.kind == "click" else answer)
    return a


def answered(step: lesson.Step) -> lesson.Answer | None:
    return st.session_state.get(f"lesson.{step.id}.answered")


def revealed(step: lesson.Step) -> bool:
    """Whether the step's truth shows: answered (in a class, once the teacher reveals it), or
    revealed by the teacher."""
    return (answered(step) is not None and not class_ui.held(step.id)) or class_ui.revealed(step.id)


# --- the truths, from the shipped models ----------------------------------------------------------


def _record_of(model: str) -> dict:
    return loaders.load_or_stop(lesson.DATASET, model)[1]


def truth(step: lesson.Step) -> tuple[str, dict]:
    """The right choice of a choice step, and the numbers that make it right."""
    if step.id == "shapes":
        return lesson.shape_truth(), {}
    if step.id == "areas":
        c = _record_of(step.model)["test"]["coverage_2"]
        return lesson.coverage_bin(c), {"coverage": c}
    if step.id == "reparam":
        return _reparam_truth(step)
    if step.id == "regular":
        on, off, simple = (_record_of(m)["test"] for m in ("vae-kl-1", "vae-kl-0", "vae-simple-1"))
        s = {
            m: float(np.median(loaders.sample_posteriors(step.dataset, m)[1]))
            for m in ("vae-kl-1", "vae-kl-0", "vae-simple-1")
        }
        facts = {
            "on": on["coverage_2"], "off": off["coverage_2"], "simple": simple["coverage_2"],
            "s_on": s["vae-kl-1"], "s_off": s["vae-kl-0"], "s_simple": s["vae-simple-1"],
        }  # fmt: skip
        return lesson.kl_off_truth(off["coverage_2"], on["coverage_2"]), facts
    if step.id == "union":
        _, sigma = loaders.sample_posteriors(step.dataset, step.model)
        right, facts = lesson.union_truth(sigma)
        facts["coverage"] = _record_of(step.model)["test"]["coverage_2"]
        return right, facts
    if step.id == "sample":
        real = _record_of(step.model)["judge"]["prior_real"]
        return lesson.real_bin(real), {"real": real, "ae": _record_of("ae")["judge"]["prior_real"]}
    if step.id == "blend":
        mu, sigma = loaders.sample_posteriors(step.dataset, step.model, TRAIN)
        _, y = loaders.samples(step.dataset, TRAIN)
        model, _ = loaders.load_or_stop(step.dataset, step.model)
        judge, _ = judge_or_none(step.dataset)
        probs = judge.predict_proba(decode_images(model, np.array([step.z])))[0]
        return lesson.blend_truth(step.z, mu, sigma, y, probs)
    raise KeyError(step.id)


def _draws(step: lesson.Step):
    i = sample_index(step)
    mu, sigma = loaders.sample_posteriors(step.dataset, step.model)
    _, z = generate.reparameterize(mu[i], sigma[i], DRAWS, 0)
    return i, mu[i], sigma[i], z


def _reparam_truth(step: lesson.Step) -> tuple[str, dict]:
    i, _, _, z = _draws(step)
    model, _ = loaders.load_or_stop(step.dataset, step.model)
    judge, _ = judge_or_none(step.dataset)
    label = int(loaders.dataset(step.dataset).y_test[i])
    labels, _ = judge.judge(decode_images(model, z))
    right, facts = lesson.reparam_truth(labels, label)
    return right, {**facts, "label": label, "index": i}


def hole_check(step: lesson.Step, z) -> None:
    """A click on the AE's plane is the prediction: record it once per pinned z."""
    a = answered(step)
    if a is not None and a.facts.get("z") == list(z):
        return
    mu, _ = loaders.sample_posteriors(step.dataset, step.model, TRAIN)
    model, _ = loaders.load_or_stop(step.dataset, step.model)
    judge, _ = judge_or_none(step.dataset)
    probs = judge.predict_proba(decode_images(model, np.array([z], dtype=np.float32)))[0]
    truth_, facts = lesson.hole_truth(z, mu, probs, judge.tau)
    facts.update(z=list(z))
    _record(step, "hole", truth_, facts)


# --- drawing --------------------------------------------------------------------------------------


def render() -> None:
    """The whole Lesson page, the shared sidebar included (after st.set_page_config)."""
    sidebar()
    _body()


@st.fragment
def _body() -> None:
    """Everything but the sidebar, which nothing here changes. A fragment, so that a follower
    catching up with the teacher reruns only this (ui/push.py reruns the fragment it followed
    from), as a click on Next or an answer does: each follower's catch-up is a run of the
    process, one after another, and the sidebar and the page around were ≈ 30% of each
    (BENCHMARKS.md). A follower draws it in its turn, after the teacher's run on this process
    (class_ui.turn): the followers a change wakes together wait on a lock."""
    got = class_ui.to_follow()
    with class_ui.turn(got is not None, class_ui.code(), class_ui.is_teacher()):
        _follow(got)
        _render()


def _render() -> None:
    n = current_step()
    step = lesson.step(n)
    _enter(step)
    _publish(n, step)  # first: the class follows while the teacher's own page still draws
    st.html(_TIGHT_CSS)
    if st.session_state.get(KEY_BIG):
        st.html(_BIG_CSS)
    class_ui.banner(n)
    if notice := st.session_state.get(KEY_NOTICE):
        st.warning(notice, icon=":material/link_off:")
    top = st.columns([3, 2, 2, 3, 3, 2], vertical_alignment="center")
    top[0].progress(n / len(lesson.STEPS), text=t("lesson.progress", n=n, total=len(lesson.STEPS)))
    with top[1]:
        _prev(n)
    with top[2]:
        _next(n)
    top[3].toggle(t("lesson.presentation"), key=KEY_BIG)
    top[4].link_button(t("lesson.full_page"), full_page_url(step), icon=":material/open_in_new:")
    with top[5]:
        class_ui.panel()
    text, figure = st.columns([5, 7], gap="medium")
    with text, st.container(key="lesson-text"):
        st.subheader(t(f"lesson.{step.id}.title", n=n))
        st.markdown(t(f"lesson.{step.id}.text"))
        st.latex(step.formula)
        if class_ui.is_student() and step.kind == "choice":
            _class_question(n)
        else:
            _question(n, step)
    with figure, st.container(key="lesson-figure"):
        _figure(step)
    st.divider()
    st.caption(t("lesson.footer"))


def _question(n: int, step: lesson.Step) -> None:
    """The step's question, then what stands under it: the verdict, or a note on the figure."""
    _predict(step)
    if n == 1:  # the essay, credited where the lesson starts
        st.caption(t("lesson.credit"))
    elif answered(step) is None:  # once answered, the verdict takes its room
        st.caption(t(f"lesson.{step.id}.figure", model=_model_label(step)))


@st.fragment
def _class_question(n: int) -> None:
    """A class student's choice question: picking a choice and Check rerun only this, not the
    Lesson's body. In a class the verdict waits for the teacher's reveal, so an answer changes
    nothing else on the page (the reveal reaches the whole body: ui/push.py). On the class
    benchmark each answer was two runs of the whole body (≈ 14 ms of script each, the question
    ≈ 1 ms of it), and the class's answers came while its later students were still catching
    up with the teacher on the same process (BENCHMARKS.md, 2026-12-02 (4)). Should the answer
    have left the class (it ended, or the question is full), the whole page reruns and its
    banner says so."""
    _question(n, lesson.step(n))
    if not class_ui.is_student() or st.session_state.get(class_ui.KEY_NOTICE):
        st.rerun()


def full_page_url(step: lesson.Step) -> str:
    """The full page's address, relative to the lesson's (so it survives a base path): Streamlit
    serves pages/N_Title.py at ./Title, and app.py at ./"""
    name = "" if step.page == "app.py" else step.page.removeprefix("pages/").split("_", 1)[1][:-3]
    return f"./{name}?{urlencode(full_page_query(step))}"


def full_page_query(step: lesson.Step) -> dict:
    """The query the full page opens with: the same dataset, model and pinned z."""
    q = {"dataset": step.dataset}
    if model := _shown_model(step):
        q["model"] = model
    if (z := st.session_state.get(Z_KEY)) is not None:
        q["z"] = f"{z[0]:.3f},{z[1]:.3f}"
    q["lang"] = st.session_state.get("lang", "en")
    return q


def _prev(n: int) -> None:
    st.button(t("lesson.prev"), key="lesson.prev", disabled=n <= 1, on_click=_go, args=(n - 1,),
              icon=":material/arrow_back:", use_container_width=True)  # fmt: skip


def _next(n: int) -> None:
    st.button(t("lesson.next"), key="lesson.next", disabled=n >= len(lesson.STEPS),
              on_click=_go, args=(n + 1,), type="primary", icon=":material/arrow_forward:",
              use_container_width=True)  # fmt: skip


def _in(code: str, pattern: str):
    """A widget's format_func in the language the widget is drawn in: Streamlit may call it
    outside the run (AppTest does), where the session's language cannot be read."""
    return lambda value: i18n.t(pattern.format(value), code)


def _shown_model(step: lesson.Step) -> str | None:
    """The model the step's figure shows now (none for the shapes)."""
    if step.figure != "plane":
        return None
    if step.id == "union":
        return st.session_state.get(KEY_RUNG, step.model)
    return step.reveal_model if (step.reveal_model and revealed(step)) else step.model


def _model_label(step: lesson.Step) -> str:
    """The name of the model the step's figure shows now (none for the shapes)."""
    model = _shown_model(step)
    return t(f"model.{model}") if model else ""


def _predict(step: lesson.Step) -> None:
    st.markdown(f"**{t(f'lesson.{step.id}.question')}**")
    if class_ui.is_teacher():  # the teacher asks, the class answers: its answers show instead
        _class_answers(step)
        return
    if step.kind == "click":
        z = st.session_state.get(Z_KEY)
        if z is None or class_ui.teachers_z(z):  # the teacher's pin, followed: not a prediction
            st.caption(t(f"lesson.{step.id}.how"))
        else:
            hole_check(step, z)
    else:
        st.radio(
            t("lesson.your_answer"),
            step.choices,
            index=None,
            key=f"lesson.{step.id}.choice",
            format_func=_in(lang.current(), f"lesson.{step.id}.choice.{{}}"),
            label_visibility="collapsed",
            horizontal=len(step.choices) == 4,
        )
        picked = st.session_state.get(f"lesson.{step.id}.choice")

        def check() -> None:
            right, facts = truth(step)
            _record(step, picked, right, facts)

        st.button(t("lesson.check"), key=f"lesson.{step.id}.check", disabled=picked is None,
                  on_click=check)  # fmt: skip
    if (a := answered(step)) is not None:
        _verdict(step, a)
    elif step.kind == "choice" and class_ui.revealed(step.id):  # revealed, not answered here
        st.info(f"{t('classroom.no_answer')} {_truth_text(step, *truth(step))}",
                icon=":material/lightbulb:")  # fmt: skip


def _class_answers(step: lesson.Step) -> None:
    """The teacher's screen: the class's answers live; once revealed, the truth above them."""
    right = None
    if step.kind == "click":
        st.caption(t(f"lesson.{step.id}.how"))
    elif class_ui.revealed(step.id):
        right, facts = truth(step)
        st.success(_truth_text(step, right, facts), icon=":material/check_circle:")
    class_ui.answers_panel(step, right)


def _truth_text(step: lesson.Step, right: str, facts: dict) -> str:
    """The truth of a choice step and why."""
    why = t(f"lesson.{step.id}.why", **facts)
    return f"{t('lesson.truth', truth=t(f'lesson.{step.id}.choice.{right}'))} {why}"


def _verdict(step: lesson.Step, a: lesson.Answer) -> None:
    if class_ui.held(step.id):  # in a class: the verdict waits for the teacher
        class_ui.held_note(step, a.answer, a.facts.get("z"))
        return
    facts = dict(a.facts)
    if step.id == "ae":
        why = t(f"lesson.ae.{a.truth}", **facts)
    else:
        why = _truth_text(step, a.truth, facts)
    box = st.success if a.right else st.info
    box(f"**{t('lesson.right') if a.right else t('lesson.not_quite')}** {why}",
        icon=":material/check_circle:" if a.right else ":material/lightbulb:")  # fmt: skip
    if step.id == "blend":
        st.caption(t("lesson.blend.caveat"))


def _figure(step: lesson.Step) -> None:
    if step.figure == "shapes":
        st.plotly_chart(shapes_figure(revealed(step), lang.current()), key="lesson.shapes",
                        config={"displayModeBar": False})  # fmt: skip
        return
    model, marks, k = _shown_model(step), [], step.k
    a = answered(step) if revealed(step) else None
    if step.id == "ae" and a is not None:
        mu, _ = loaders.sample_posteriors(step.dataset, step.model, TRAIN)
        near = mu[a.facts["nearest"]]
        marks.append({"kind": "star", "z": [float(near[0]), float(near[1])], "colour": "#f90",
                      "label": t("lesson.ae.nearest")})  # fmt: skip
    if step.id == "reparam":
        _, m, s, z = _draws(step)
        marks.append({"kind": "ellipse", "z": [float(v) for v in m], "sigma": [float(v) for v in s],
                      "k": 2, "colour": "#d00"})  # fmt: skip
        if revealed(step):
            marks.append({"kind": "points", "z": z.tolist(), "colour": "#d00"})
    if step.id == "sample" and revealed(step):
        draws = geometry.prior_samples(PRIOR_DRAWS, 0)
        marks.append({"kind": "points", "z": np.asarray(draws).tolist(), "colour": "#111"})
    if step.id == "union":
        model = st.select_slider(
            t("lesson.union.beta"),
            lesson.RUNGS,
            value=st.session_state.get(KEY_RUNG, step.model),
            key=KEY_RUNG,
            format_func=_in(lang.current(), "model.{}"),
        )
    big = bool(st.session_state.get(KEY_BIG))  # presentation mode: the plane's texts too
    typed = step.kind == "click"  # only a click step decodes a typed z (hole_check)
    latent_plane(PLANE, step.dataset, model, "test", z_key=Z_KEY, k=k, marks=marks, big=big,
                 typed_z=typed)  # fmt: skip


@st.cache_data(show_spinner=False)
def _shape_points() -> dict:
    return {kind: shapes.make_shape(kind, 400, 0) for kind in shapes.KINDS}


@st.cache_resource(show_spinner=False, max_entries=8)
def shapes_figure(revealed: bool, code: str) -> go.Figure:
    """The essay's four code spaces, 2 × 2 over the prior's 1σ and 2σ circles, titled in language
    `code`; once answered, the disc is outlined in green. Built once per (revealed, language) and
    shared, read-only (st.plotly_chart copies it): building it took ~40 ms, each follower of a
    class paid it when the teacher moved to this step (bench/class_load.py)."""
    pts = _shape_points()
    titles = [i18n.t(f"lesson.shapes.choice.{k}", code) for k in shapes.KINDS]
    fig = make_subplots(2, 2, subplot_titles=titles, horizontal_spacing=0.06, vertical_spacing=0.1)
    a = np.linspace(0, 2 * np.pi, 97)
    for i, kind in enumerate(shapes.KINDS):
        row, col = divmod(i, 2)
        good = revealed and kind == lesson.shape_truth()
        for r, dash in ((1, "solid"), (2, "dash")):
            fig.add_trace(go.Scatter(x=r * np.cos(a), y=r * np.sin(a), mode="lines",
                                     line=dict(color="black", width=1, dash=dash),
                                     hoverinfo="skip"), row + 1, col + 1)  # fmt: skip
        p = pts[kind]
        fig.add_trace(go.Scatter(x=p[:, 0], y=p[:, 1], mode="markers", hoverinfo="skip",
                                 marker=dict(size=4, color="#2a7" if good else "#36c")),
                      row + 1, col + 1)  # fmt: skip
    fig.update_xaxes(range=[-3, 3], showticklabels=False, zeroline=False, showgrid=False)
    fig.update_yaxes(range=[-3, 3], showticklabels=False, zeroline=False, showgrid=False,
                     scaleanchor="x", scaleratio=1)  # fmt: skip
    for i in range(2, 5):
        fig.layout[f"yaxis{i}"].scaleanchor = f"x{i}"
    fig.update_layout(height=430, showlegend=False, margin=dict(l=10, r=10, t=30, b=10))
    return fig
