"""The Lesson page (pages/0_Lesson.py, issue 15) under AppTest, in English and in Chinese: every
step shows its title, formula and preset (model and z in the plane's state), a right and a wrong
prediction each get their verdict, every prediction is kept as data, ?step= round-trips, Prev /
Next stop at the ends."""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests import plane_data
from vae_geom import checkpoints, i18n, judge, ladder, lesson
from vae_geom.models import decode_images

PAGE = "../pages/0_Lesson.py"
PLANE = "lesson_plane"
LANGS = ("en", "zh")


def _open(lang: str, step: str | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["lang"] = lang
    if step is not None:
        at.query_params["step"] = step
    at.run()
    assert not at.exception, at.exception
    return at


def _t(lang: str, key: str, **values) -> str:
    return i18n.t(key, lang, **values)


def _record(model: str) -> dict:
    return json.loads((ladder.stem(lesson.DATASET, model).with_suffix(".json")).read_text())


def _model_of(at: AppTest) -> str:
    """The model the plane was sent, from its payload's file name (dataset-model-split)."""
    name = plane_data.plane(at, PLANE).meta["filename"]
    return name.removeprefix(f"{lesson.DATASET}-").removesuffix("-test")


def _verdict(at: AppTest) -> str:
    return " ".join(e.value for e in [*at.success, *at.info])


@pytest.mark.parametrize("lang", LANGS)
def test_next_walks_every_step_showing_its_preset(lang):
    at = _open(lang)
    total = len(lesson.STEPS)
    for n, step in enumerate(lesson.STEPS, start=1):
        assert at.subheader[0].value == _t(lang, f"lesson.{step.id}.title", n=n)
        assert at.get("progress")[0].proto.text == _t(lang, "lesson.progress", n=n, total=total)
        assert [e.value.strip("$\n") for e in at.latex] == [step.formula]
        assert at.query_params["step"] == str(n)
        assert at.button(key="lesson.prev").disabled == (n == 1)
        assert at.button(key="lesson.next").disabled == (n == total)
        if step.figure == "plane":
            assert _model_of(at) == step.model
            z = plane_data.state(at, PLANE)["z"]
            if step.z is not None:
                assert z == list(step.z)
            elif step.sample:
                assert z is not None and len(z) == 2
            else:
                assert z is None
        else:
            assert plane_data.components(at, PLANE) == []
            assert len(at.get("plotly_chart")) == 1
        if n == 1:  # the essay, credited on the first step
            assert any("kexue.fm/archives/7725" in c.value for c in at.caption)
        link = at.get("link_button")[0].proto
        assert f"dataset={lesson.DATASET}" in link.url and f"lang={lang}" in link.url
        if step.model:
            assert f"model={step.model}" in link.url
        if n < total:
            at.button(key="lesson.next").click().run()
            assert not at.exception, at.exception
    at.button(key="lesson.prev").click().run()
    assert at.query_params["step"] == str(total - 1)


def _right_and_wrong(step: lesson.Step, truth: str) -> tuple[str, str]:
    return truth, next(c for c in step.choices if c != truth)


EXPECTED = {  # the right choice of each step, from the shipped models' own numbers
    "shapes": lambda: "disc",
    "areas": lambda: lesson.coverage_bin(_record("vae-kl-1")["test"]["coverage_2"]),
    "reparam": lambda: "same",
    "regular": lambda: "shrink",
    "union": lambda: "union",
    "sample": lambda: lesson.real_bin(_record("vae-kl-1")["judge"]["prior_real"]),
    "blend": lambda: "blend",
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("step_id", list(EXPECTED))
def test_a_right_and_a_wrong_prediction_get_their_verdicts(lang, step_id):
    n = lesson.IDS.index(step_id) + 1
    step = lesson.step(n)
    at = _open(lang, str(n))
    right, wrong = _right_and_wrong(step, EXPECTED[step_id]())
    for choice, ok in ((wrong, False), (right, True)):
        at.radio(key=f"lesson.{step_id}.choice").set_value(choice).run()
        at.button(key=f"lesson.{step_id}.check").click().run()
        assert not at.exception, at.exception
        verdict = _verdict(at)
        assert verdict.startswith(f"**{_t(lang, 'lesson.right' if ok else 'lesson.not_quite')}**")
        assert _t(lang, f"lesson.{step_id}.choice.{right}") in verdict
    answers = at.session_state["lesson.answers"]
    assert [(a.step, a.answer, a.truth, a.right) for a in answers] == [
        (step_id, wrong, right, False),
        (step_id, right, right, True),
    ]
    assert answers[0].question == f"lesson.{step_id}.question"
    assert json.dumps([a.as_dict() for a in answers])  # plain data, ready to collect
    if step.reveal_model:  # the figure answers: the plane now shows the other model
        assert _model_of(at) == step.reveal_model
    if step_id == "blend":
        assert at.caption and any(_t(lang, "lesson.blend.caveat") == c.value for c in at.caption)


@pytest.fixture(scope="module")
def ae_spots() -> tuple[tuple[float, float], tuple[float, float]]:
    """(a hole, a real spot) of the AE inside the 2σ circle, by the judge's reading of its
    decodings on a grid, computed here with the judge and torch."""
    m, _ = checkpoints.load(ladder.stem(lesson.DATASET, "ae"))
    j = judge.load_judge(judge.judge_stem(lesson.DATASET))
    g = np.arange(-1.8, 1.81, 0.1)
    zs = np.array([(a, b) for a in g for b in g if np.hypot(a, b) <= 1.8], dtype=np.float32)
    _, top = j.judge(decode_images(m, zs))
    hole, real = zs[np.argmin(top)], zs[np.argmax(top)]
    assert top.min() < j.tau <= top.max()
    return tuple(map(float, hole)), tuple(map(float, real))


@pytest.mark.parametrize("lang", LANGS)
def test_clicking_a_hole_of_the_ae_and_a_digit_get_their_verdicts(lang, ae_spots):
    at = _open(lang, "1")
    assert _model_of(at) == "ae"
    hole, real = ae_spots
    plane_data.click(at, *real, key=PLANE)
    assert not at.exception, at.exception
    assert _verdict(at).startswith(f"**{_t(lang, 'lesson.not_quite')}**")
    plane_data.click(at, *hole, key=PLANE, t=2)
    assert _verdict(at).startswith(f"**{_t(lang, 'lesson.right')}**")
    plane_data.click(at, 3.5, 3.5, key=PLANE, t=3)  # outside the 2σ circle: not a hole among codes
    assert _verdict(at).startswith(f"**{_t(lang, 'lesson.not_quite')}**")
    answers = at.session_state["lesson.answers"]
    assert [(a.step, a.answer, a.truth, a.right) for a in answers] == [
        ("ae", "hole", "real", False),
        ("ae", "hole", "hole", True),
        ("ae", "hole", "outside", False),
    ]
    assert answers[1].facts["p"] < answers[1].facts["tau"] <= answers[0].facts["p"]
    marks = plane_data.state(at, PLANE)["marks"]
    assert marks and marks[0]["kind"] == "star"  # the nearest training code, revealed


@pytest.mark.parametrize("value", ["abc", "0", "9", "2.5", "-1"])
def test_a_bad_step_in_the_link_opens_step_one_with_a_notice(value):
    at = _open("en", value)
    assert at.subheader[0].value == _t("en", "lesson.ae.title", n=1)
    assert at.query_params["step"] == "1"
    assert any("is not a step of this lesson" in w.value for w in at.warning)


def test_the_step_in_the_link_round_trips():
    at = _open("en", "5")
    assert at.subheader[0].value == _t("en", "lesson.regular.title", n=5)
    at.button(key="lesson.next").click().run()
    assert at.query_params["step"] == "6"
    assert at.subheader[0].value == _t("en", "lesson.union.title", n=6)
    at.button(key="lesson.prev").click().run()
    at.button(key="lesson.prev").click().run()
    assert at.query_params["step"] == "4"
    assert not at.warning


def test_the_union_step_slides_along_the_ladder():
    at = _open("en", str(lesson.IDS.index("union") + 1))
    assert _model_of(at) == "vae-kl-3"
    at.select_slider(key="lesson.union.rung").set_value("vae-kl-0").run()
    assert _model_of(at) == "vae-kl-0"


def test_presentation_mode_enlarges_type():
    at = _open("en")
    styles = lambda: " ".join(e.proto.body for e in at.get("html"))  # noqa: E731
    assert "1.3rem" not in styles()
    at.toggle(key="lesson.big").set_value(True).run()
    assert "1.3rem" in styles()


@pytest.mark.parametrize("lang", LANGS)
def test_the_planes_fallback_offers_a_typed_z_only_where_the_lesson_decodes_one(lang, ae_spots):
    """The fallback (shown when the plane's script cannot run) promises that the server decodes
    a typed z. Only the click step does anything with one (its prediction); the choice steps
    show a note instead, which points to the full page, where a typed z is decoded."""
    at = _open(lang, "1")
    hole, _ = ae_spots
    at.number_input(key=f"{PLANE}.z1").set_value(hole[0])
    at.number_input(key=f"{PLANE}.z2").set_value(hole[1])
    at.button(key=f"{PLANE}.go").click().run()
    assert not at.exception, at.exception
    [answer] = at.session_state["lesson.answers"]
    assert answer.step == "ae" and np.allclose(answer.facts["z"], hole)
    for n, step in enumerate(lesson.STEPS, start=1):
        if step.figure != "plane" or step.kind == "click":
            continue
        at = _open(lang, str(n))
        fallback = plane_data.fallback(at, PLANE)
        assert not fallback.number_input and not fallback.button
        [note] = [c.value for c in fallback.caption]
        assert note == _t(lang, "plane.fallback.no_js")
        assert _t(lang, "lesson.full_page") in note  # the link it names is on the page
        assert at.get("link_button")[0].proto.label == _t(lang, "lesson.full_page")
