"""Classroom mode on the Lesson page (vae_geom/ui/classroom.py) under AppTest: a teacher's AppTest
and students' AppTests share one in-memory class (AppTest runs pages in this process, so they share
vae_geom.classroom's store). The student follows the teacher's step, pinned z and β rung; an answer
counts once however often it is sent; the verdict waits for the teacher's reveal; forged codes and
teacher keys are refused with a message; nothing a student does changes the teacher's view; a
class that ended or a class server out of reach is a message, not a traceback. English and 中文."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from tests import plane_data, plotly_data
from vae_geom import classroom, i18n, ladder, lesson
from vae_geom.ui import classroom as class_ui
from vae_geom.ui import push
from vae_geom.ui.literal import literal

PAGE = "../pages/0_Lesson.py"
PLANE = "lesson_plane"
LANGS = ("en", "zh")
AREAS = lesson.IDS.index("areas") + 1  # a choice step: 3
UNION = lesson.IDS.index("union") + 1


@pytest.fixture(autouse=True)
def memory_store(monkeypatch):
    """Every test's classes in a fresh in-memory store, as one app process keeps them."""
    monkeypatch.delenv(classroom.ENV, raising=False)
    monkeypatch.setattr(classroom, "_stores", {})


def _t(lang: str, key: str, **values) -> str:
    return i18n.t(key, lang, **values)


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def _page(lang: str, **query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["lang"] = lang
    at.query_params.update(query)
    return _run(at)


def teacher(lang: str) -> tuple[AppTest, str, str]:
    """A teacher who opened a class from the sidebar: (their page, the code, the key)."""
    at = _page(lang)
    at.button(key="class.open").click()
    _run(at)
    code, key = at.session_state["class.code"], at.session_state["class.key"]
    return at, code, key


def student(lang: str, code: str) -> AppTest:
    return _page(lang, **{"class": code})


def _step_title(at: AppTest) -> str:
    return at.subheader[0].value


def _title(lang: str, n: int) -> str:
    return _t(lang, f"lesson.{lesson.step(n).id}.title", n=n)


def _texts(at: AppTest) -> str:
    return " ".join(e.value for e in [*at.success, *at.info, *at.warning, *at.error])


def _model_of(at: AppTest) -> str:
    name = plane_data.plane(at, PLANE).meta["filename"]
    return name.removeprefix(f"{lesson.DATASET}-").removesuffix("-test")


def _go_to(at: AppTest, n: int) -> None:
    while int(at.query_params["step"]) < n:
        at.button(key="lesson.next").click()
        _run(at)


@pytest.mark.parametrize("lang", LANGS)
def test_the_teacher_shows_the_code_and_the_links(lang):
    at, code, key = teacher(lang)
    assert len(code) == classroom.CODE_LENGTH and classroom.teacher_ok(code, key)
    html = " ".join(e.proto.body for e in at.get("html"))
    assert code in html and _t(lang, "classroom.code_label") in html  # big, for the projector
    links = [c.value for c in at.code]
    student_link = next(u for u in links if "teacher=" not in u)
    teacher_link = next(u for u in links if "teacher=" in u)
    assert f"class={code}" in student_link and key not in student_link
    assert f"class={code}" in teacher_link and f"teacher={key}" in teacher_link
    assert at.query_params["class"] == code and at.query_params["teacher"] == key
    assert classroom.view(code)["step"] == 1


@pytest.mark.parametrize("lang", LANGS)
def test_a_student_follows_the_teachers_step_z_and_rung(lang):
    t_at, code, _ = teacher(lang)
    s_at = student(lang, code)
    assert s_at.session_state["class.code"] == code
    assert "class.key" not in s_at.session_state
    assert s_at.toggle(key="class.follow").value is True
    assert _step_title(s_at) == _title(lang, 1)
    _go_to(t_at, AREAS)
    assert classroom.view(code)["step"] == AREAS
    _run(s_at)  # the student's next run (its poll would trigger it within a second)
    assert _step_title(s_at) == _title(lang, AREAS)
    assert s_at.query_params["step"] == str(AREAS)
    plane_data.click(t_at, 0.75, -1.25, key=PLANE)  # the teacher pins a z
    assert classroom.view(code)["z"] == [0.75, -1.25]
    _run(s_at)
    assert plane_data.state(s_at, PLANE)["z"] == [0.75, -1.25]
    _go_to(t_at, UNION)
    t_at.select_slider(key="lesson.union.rung").set_value("vae-kl-0.1")
    _run(t_at)
    assert classroom.view(code)["rung"] == "vae-kl-0.1"
    _run(s_at)
    assert _step_title(s_at) == _title(lang, UNION)
    assert _model_of(s_at) == "vae-kl-0.1"


@pytest.mark.parametrize("lang", LANGS)
def test_an_answer_counts_once_and_the_verdict_waits_for_the_reveal(lang):
    t_at, code, _ = teacher(lang)
    _go_to(t_at, AREAS)
    s_at, other = student(lang, code), student(lang, code)
    assert _step_title(s_at) == _title(lang, AREAS)
    step = lesson.step(AREAS)
    record = ladder.stem(lesson.DATASET, "vae-kl-1").with_suffix(".json").read_text()
    right = lesson.coverage_bin(json.loads(record)["test"]["coverage_2"])
    wrong = next(c for c in step.choices if c != right)
    s_at.radio(key="lesson.areas.choice").set_value(wrong)
    _run(s_at)
    for _ in range(2):  # sent twice
        s_at.button(key="lesson.areas.check").click()
        _run(s_at)
    held = _t(lang, "classroom.held", answer=_t(lang, f"lesson.areas.choice.{wrong}"))
    assert held in _texts(s_at)
    assert _t(lang, "lesson.not_quite") not in _texts(s_at)  # no verdict before the reveal
    other.radio(key="lesson.areas.choice").set_value(right)
    _run(other)
    other.button(key="lesson.areas.check").click()
    _run(other)
    tally = classroom.answers(code, "areas")
    assert tally.n == 2 and tally.choices[wrong] == 1 and tally.choices[right] == 1
    _run(t_at)
    assert any(_t(lang, "classroom.answers_title", n=2) in m.value for m in t_at.markdown)
    assert [c.key for c in t_at.get("plotly_chart")] == ["class.choices"]
    bar = json.loads(t_at.get("plotly_chart")[0].proto.spec)["data"][0]
    assert dict(zip(bar["y"], plotly_data.array(bar["x"]).tolist(), strict=True)) == {
        _t(lang, f"lesson.areas.choice.{c}"): tally.choices[c] for c in step.choices
    }
    t_at.button(key="class.reveal").click()
    _run(t_at)
    assert classroom.view(code)["revealed"] == ["areas"]
    assert _t(lang, "lesson.truth", truth=_t(lang, f"lesson.areas.choice.{right}")) in _texts(t_at)
    _run(s_at)
    assert _texts(s_at).startswith(f"**{_t(lang, 'lesson.not_quite')}**")
    _run(other)
    assert _texts(other).startswith(f"**{_t(lang, 'lesson.right')}**")
    s_at.radio(key="lesson.areas.choice").set_value(right)  # too late: the tally stays
    _run(s_at)
    s_at.button(key="lesson.areas.check").click()
    _run(s_at)
    assert classroom.answers(code, "areas").choices == tally.choices


def test_a_click_prediction_reaches_the_teachers_heat_map_once():
    t_at, code, _ = teacher("en")
    s_at = student("en", code)
    plane_data.click(s_at, 0.5, 0.25, key=PLANE)
    plane_data.click(s_at, 0.5, 0.25, key=PLANE, t=2)  # the same pin again
    plane_data.click(s_at, -1.0, 1.5, key=PLANE, t=3)  # moved: the last one counts
    assert not s_at.exception, s_at.exception
    tally = classroom.answers(code, "ae")
    assert tally.n == 1 and tally.clicks == [[-1.0, 1.5]]
    assert _t("en", "lesson.not_quite") not in _texts(s_at)  # held
    assert _t("en", "lesson.right") not in _texts(s_at)
    _run(t_at)
    chart = next(c for c in t_at.get("plotly_chart") if c.key == "class.clicks")
    points = json.loads(chart.proto.spec)["data"][-1]
    xy = [plotly_data.array(points[a]).tolist() for a in "xy"]
    assert xy == [[-1.0], [1.5]]
    plane_data.click(t_at, 1.0, 1.0, key=PLANE)  # the teacher's pin is followed, not an answer
    _run(s_at)
    assert plane_data.state(s_at, PLANE)["z"] == [1.0, 1.0]
    assert classroom.answers(code, "ae").clicks == [[-1.0, 1.5]]


def test_nothing_a_student_does_changes_the_teachers_view():
    t_at, code, _ = teacher("en")
    _go_to(t_at, AREAS)
    before = classroom.view(code)
    s_at = student("en", code)
    s_at.button(key="lesson.next").click()  # stepping on: the student explores alone
    _run(s_at)
    assert s_at.toggle(key="class.follow").value is False
    assert _step_title(s_at) == _title("en", AREAS + 1)
    plane_data.click(s_at, 2.0, 2.0, key=PLANE)
    _go_to(s_at, UNION)
    s_at.select_slider(key="lesson.union.rung").set_value("vae-kl-0")
    _run(s_at)
    assert classroom.view(code) == before  # same step, z, rung and revision
    assert _step_title(t_at) == _title("en", AREAS)
    _run(t_at)
    assert _step_title(t_at) == _title("en", AREAS)
    assert any(_t("en", "classroom.exploring", code=code, n=AREAS) == c.value for c in s_at.caption)
    s_at.toggle(key="class.follow").set_value(True)  # rejoin: back to the teacher's step
    _run(s_at)
    assert _step_title(s_at) == _title("en", AREAS)


@pytest.mark.parametrize("lang", LANGS)
def test_a_forged_code_or_teacher_key_is_refused_with_a_message(lang):
    _, code, key = teacher(lang)
    before = classroom.view(code)
    unknown = next(c * 6 for c in classroom.CODE_ALPHABET if c * 6 != code)
    at = student(lang, unknown)
    assert _t(lang, "classroom.gone") in _texts(at) and "class.code" not in at.session_state
    assert "class" not in at.query_params
    at = student(lang, "<b>x</b>")
    shown = literal("<b>x</b>", 24)  # as plain text, never as Markdown or HTML
    assert shown != "<b>x</b>" and _t(lang, "classroom.bad_code", value=shown, n=6) in _texts(at)
    assert "class.code" not in at.session_state
    forged = key[:-2] + ("xy" if not key.endswith("xy") else "zz")
    at = _page(lang, **{"class": code, "teacher": forged})
    assert _t(lang, "classroom.bad_teacher", code=code) in _texts(at)
    assert "class.code" not in at.session_state and "class.key" not in at.session_state
    assert "teacher" not in at.query_params
    assert not [b for b in at.button if b.key == "class.reveal"]
    at.text_input(key="class.typed").set_value("zz")  # typed in the Class panel
    at.button(key="class.join").click()
    _run(at)
    assert _t(lang, "classroom.bad_code", value="zz", n=6) in _texts(at)
    assert classroom.view(code) == before


def test_leaving_and_rejoining_still_counts_one_answer():
    t_at, code, _ = teacher("en")
    _go_to(t_at, AREAS)
    s_at = student("en", code)
    for choice in ("lt10", "gt90"):
        s_at.radio(key="lesson.areas.choice").set_value(choice)
        _run(s_at)
        s_at.button(key="lesson.areas.check").click()
        _run(s_at)
        s_at.button(key="class.leave").click()
        _run(s_at)
        assert "class.code" not in s_at.session_state
        s_at.text_input(key="class.typed").set_value(code)
        s_at.button(key="class.join").click()
        _run(s_at)
        assert s_at.session_state["class.code"] == code
    tally = classroom.answers(code, "areas")
    assert tally.n == 1 and tally.choices["gt90"] == 1  # the last answer, once
    assert classroom.answers(code, "areas").n == 1


def test_the_same_link_in_a_new_session_still_counts_one_answer():
    """A reload, or a reconnect to another app process after one died, is a new Streamlit
    session on the same link (its ?me= owner token): the class still counts the browser once."""
    t_at, code, _ = teacher("en")
    _go_to(t_at, AREAS)
    first = student("en", code)
    link = {k: v for k, v in first.query_params.items() if k != "lang"}
    assert link["me"] and link["class"] == code

    def answer(at: AppTest, choice: str) -> None:
        at.radio(key="lesson.areas.choice").set_value(choice)
        _run(at)
        at.button(key="lesson.areas.check").click()
        _run(at)

    answer(first, "lt10")
    answer(_page("en", **link), "gt90")
    tally = classroom.answers(code, "areas")
    assert tally.n == 1 and tally.choices["gt90"] == 1  # the last answer, once
    answer(student("en", code), "lt10")  # another browser (another token): another student
    assert classroom.answers(code, "areas").n == 2


def test_a_code_typed_in_the_class_panel_joins():
    _, code, _ = teacher("en")
    at = _page("en")
    at.text_input(key="class.typed").set_value(f" {code.lower()} ")
    at.button(key="class.join").click()
    _run(at)
    assert at.session_state["class.code"] == code and at.query_params["class"] == code


@pytest.mark.parametrize("lang", LANGS)
def test_an_ended_class_is_a_message_not_a_traceback(lang):
    t_at, code, _ = teacher(lang)
    s_at = student(lang, code)
    t_at.button(key="class.close").click()
    _run(t_at)
    assert _t(lang, "classroom.ended", code=code) in _texts(t_at)
    with pytest.raises(classroom.ClassGone):
        classroom.view(code)
    _run(s_at)
    assert _t(lang, "classroom.gone") in _texts(s_at)
    assert "class.code" not in s_at.session_state and "class" not in s_at.query_params
    assert _step_title(s_at) == _title(lang, 1)  # the lesson goes on, alone


def test_a_class_server_out_of_reach_is_a_message(monkeypatch):
    from tests.test_classroom import free_port

    _, code, _ = teacher("en")
    s_at = student("en", code)
    monkeypatch.setenv(classroom.ENV, f"redis://127.0.0.1:{free_port()}/0")  # nobody listens
    _run(s_at)
    assert _t("en", "classroom.unavailable") in _texts(s_at)
    assert _step_title(s_at) == _title("en", 1)


def test_the_teachers_open_page_keeps_the_class_alive(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(classroom, "_stores", {"": classroom.MemoryStore(100, lambda: now[0])})
    monkeypatch.setattr(class_ui, "TOUCH_S", 0.0)  # every run of the live answers touches
    t_at, code, _ = teacher("en")
    now[0] = 90.0
    _run(t_at)  # the teacher's page, still open on the same step: nothing published
    now[0] = 180.0
    assert classroom.view(code)["step"] == 1  # 80 s after the touch, 180 s after opening
    now[0] = 400.0
    with pytest.raises(classroom.ClassGone):
        classroom.view(code)


@pytest.mark.parametrize(
    "raw, expected",
    [("3", 3.0), ("0.25", 0.25), ("abc", 2.0), ("", 2.0), ("nan", 2.0), ("inf", 2.0),
     ("0", 2.0), ("-1", 2.0), ("0.01", 2.0)],
)  # fmt: skip
def test_a_bad_follow_poll_setting_falls_back_to_the_default(monkeypatch, raw, expected):
    """VAE_GEOM_FOLLOW_POLL_S: a typo neither stops the app nor makes followers poll nonstop."""
    monkeypatch.setenv("VAE_GEOM_FOLLOW_POLL_S", raw)
    assert class_ui._seconds("VAE_GEOM_FOLLOW_POLL_S", 2.0) == expected


def test_a_catch_up_stopped_before_it_takes_the_view_is_caught_up_later():
    """A follower's run that read the teacher's new view but was stopped before the lesson took
    it (a rerun of the student's own) must not count it as taken: the next poll asks for the
    catch-up, and push reruns it. Counting it when read left a student on the old step for good
    (bench/class_load.py: one student of 42, in one run of many)."""
    t_at, code, _ = teacher("en")
    s_at = student("en", code)
    _go_to(t_at, 2)
    asked = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(class_ui, "took", lambda view: None)  # stopped before the take
        mp.setattr(push, "catch_up", lambda c, rev: asked.append((c, rev)) or True)
        _run(s_at)
    revision = classroom.revision(code)
    taken = {rev for (_, rev, _) in push._followers[code].values()}
    assert revision not in taken  # the registry holds what the lesson took, not what it read
    assert asked == [(code, revision)]  # the follow poll, drawn in the same run, asks for it
    _run(s_at)  # the pushed catch-up
    assert _step_title(s_at) == _title("en", 2)
    assert revision in {rev for (_, rev, _) in push._followers[code].values()}
