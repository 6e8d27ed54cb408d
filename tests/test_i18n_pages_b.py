"""Issue 15, pages KL and coverage, Regularisers, Code space shapes in Chinese (?lang=zh) and in
English: every text a student reads on them comes from the catalogue of the session's language,
their figures' titles, axes, legends and buttons too, and no English sentence is left on a Chinese
page (symbols, dataset and model names, units allowed)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import run_page
from tests.test_i18n import LATIN_OK
from vae_geom import collapse, i18n, ladder, shapes
from vae_geom.figures import coverage

PAGES = Path(__file__).parents[1] / "pages"
KL, REG, SHAPES = (
    str(PAGES / name)
    for name in ("2_KL_and_coverage.py", "4_Regularisers.py", "5_Code_space_shapes.py")
)
TABS = {  # page -> (section key, the catalogue keys of its tabs, in order)
    KL: ("kl.section", ["kl.tab.curves", "kl.tab.steps", "kl.tab.aggregate"]),
    REG: ("reg.section", ["regularisers.tab.penalties", "regularisers.tab.models"]),
    SHAPES: ("shapes.section", ["shapes.tab.made_up", "shapes.tab.ladder", "shapes.tab.model"]),
}
# besides tests/test_i18n.py's symbols and names: the ids of datasets and models, shown as such
NAMES = re.compile(r"^(mnist|fashion|digits|shapes|vae-(kl|simple)-[\d.]+|ae|nat|Jensen|Shannon)$")


def _run(page: str, lang: str, tab: int = 0, dataset: str = "mnist", model=None) -> AppTest:
    key, tabs = TABS[page]
    query = {"lang": lang, "dataset": dataset} | ({"model": model} if model else {})
    # through the link, not the pickers: AppTest formats a picked option outside the session,
    # where the sidebar's labels would be English
    return run_page(page, state={key: i18n.t(tabs[tab], lang)}, query=query, timeout=120)


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.main.get("plotly_chart")]


def _figure_texts(fig: dict) -> list[str]:
    """What a reader sees of a plotly figure: titles, axis and colour-bar titles, legend names,
    annotations, buttons, slider labels, frame titles, hover texts (their %{...} fields cut)."""
    layout = fig["layout"]
    out = [layout.get("title", {}).get("text")]
    for name, axis in layout.items():
        if name.startswith(("xaxis", "yaxis")):
            out.append(axis.get("title", {}).get("text"))
    out += [a.get("text") for a in layout.get("annotations", [])]
    for menu in layout.get("updatemenus", []):
        out += [b.get("label") for b in menu["buttons"]]
    for slider in layout.get("sliders", []):
        out += [s.get("label") for s in slider["steps"]]
    out += [f.get("layout", {}).get("title", {}).get("text") for f in fig.get("frames", [])]
    for trace in fig["data"]:
        out.append(trace.get("name") if trace.get("showlegend", True) else None)
        out.append(trace.get("colorbar", {}).get("title", {}).get("text"))
        out.append(trace.get("hovertemplate"))
        text = trace.get("text")
        out += text if isinstance(text, list) else [text]
        hover = trace.get("hovertext")
        out += hover if isinstance(hover, list) else [hover]
    return [re.sub(r"%\{[^}]*\}|<[^>]*>", " ", s) for s in out if isinstance(s, str)]


def _page_texts(at: AppTest) -> list[str]:
    """Every text of the page's main area (the sidebar is another part's) and of its figures."""
    main = at.main
    texts = [e.value for kind in ("title", "markdown", "caption") for e in main.get(kind)]
    for formula in main.get("latex"):  # its words: what \text{...} holds
        texts += re.findall(r"\\text\{([^}]*)\}", formula.value)
    texts += [e.label for e in main.get("metric")]
    texts += [e.proto.help for e in main.get("metric")]
    texts += [e.label for e in main.get("tab")]
    texts += [b.proto.label for b in main.get("download_button")]
    texts += [b.proto.help for b in main.get("download_button")]
    for frame in at.dataframe:  # the pages' tables are all in the main area
        config = json.loads(frame.proto.columns or "{}")
        texts += [c.get("label", "") for c in config.values()]
        texts += [c.get("help", "") for c in config.values()]
    for fig in _charts(at):
        texts += _figure_texts(fig)
    return [t for t in texts if t]


def _stray(text: str) -> list[str]:
    """The Latin words of a text that are neither symbols, names nor units (as tests/test_i18n)."""
    plain = re.sub(r"\{[^}]*\}|\$[^$]*\$|`[^`]*`|\\[a-zA-Z]+|https?://\S+", " ", text)
    words = re.findall(r"[A-Za-z][A-Za-z\-\.'\d]*", plain)
    return [w for w in words if not (LATIN_OK.match(w.rstrip(".")) or NAMES.match(w.rstrip(".")))]


def _assert_chinese(at: AppTest) -> None:
    texts = _page_texts(at)
    assert texts
    for text in texts:
        assert len(_stray(text)) <= 2, (text, _stray(text))


PAGE_TABS = [(page, tab) for page, (_, tabs) in TABS.items() for tab in range(len(tabs))]


@pytest.mark.parametrize(("page", "tab"), PAGE_TABS)
def test_every_tab_of_every_page_is_chinese(page, tab):
    at = _run(page, "zh", tab)
    assert not at.exception
    _assert_chinese(at)
    key, tabs = TABS[page]
    assert [t.label for t in at.main.get("tab")] == [i18n.t(k, "zh") for k in tabs]


@pytest.mark.parametrize("page", list(TABS))
def test_the_title_and_intro_come_from_the_chinese_catalogue(page):
    part = {KL: "kl", REG: "regularisers", SHAPES: "shapes"}[page]
    at = _run(page, "zh")
    assert at.title[0].value == i18n.t(f"{part}.title", "zh")
    assert at.markdown[0].value == i18n.t(f"{part}.intro", "zh") or any(
        m.value == i18n.t(f"{part}.intro", "zh") for m in at.markdown
    )
    en = _run(page, "en")
    assert en.title[0].value == i18n.t(f"{part}.title", "en")
    assert any(m.value == i18n.t(f"{part}.intro", "en") for m in en.markdown)


def test_kl_curves_in_chinese():
    at = _run(KL, "zh", dataset="digits")
    curves, rd = _charts(at)
    assert curves["layout"]["title"]["text"] == i18n.t("figures.cov.curves_title", "zh")
    assert curves["layout"]["xaxis"]["title"]["text"] == "KL 权重 β"
    assert curves["data"][0]["x"][0] == "关"
    assert [a["text"] for a in curves["layout"]["annotations"]] == ["已坍缩"]
    assert curves["data"][0]["name"] == "覆盖率₁（1σ 椭圆）"
    assert rd["layout"]["title"]["text"] == i18n.t("figures.cov.rd_title", "zh")
    assert rd["layout"]["yaxis"]["title"]["text"] == "重构 −log p(x|z)（nats）"
    rows = ladder.kl_ladder_table("digits")
    assert at.caption[0].value == i18n.t(
        "kl.curves_caption", "zh", m=rows[0]["coverage_samples"], dataset="digits"
    ) + collapse.ladder_note(rows, "zh")
    assert "在 β = 3 时模型已经坍缩" in at.caption[0].value
    assert at.caption[1].value == i18n.t("kl.rd_caption", "zh")


def test_kl_animation_in_chinese_and_cached_apart_from_english():
    zh = _run(KL, "zh", 1)
    (anim,) = _charts(zh)
    buttons = [b["label"] for b in anim["layout"]["updatemenus"][0]["buttons"]]
    assert buttons == ["▶ 播放", "❚❚ 暂停"]
    titles = [f["layout"]["title"]["text"] for f in anim["frames"]]
    assert titles[0] == "关掉 KL（β = 0）（训练过的模型）"
    assert titles[1] == "关掉 KL（β = 0） 与 β = 0.1 之间：插值"
    assert anim["layout"]["sliders"][0]["steps"][0]["label"] == "关"
    names = [t.get("name") for t in anim["data"]]
    assert "先验 1σ 圆" in names and "数字 0" in names
    assert zh.markdown[-1].value == i18n.t("kl.watch", "zh")
    en = _run(KL, "en", 1)  # the same dataset: the cache must not hand it the Chinese figure
    (anim,) = _charts(en)
    assert [b["label"] for b in anim["layout"]["updatemenus"][0]["buttons"]] == ["▶ play", "❚❚"]
    assert anim["frames"][0]["layout"]["title"]["text"] == "KL off (β = 0) (trained rung)"
    assert "prior 1σ circle" in [t.get("name") for t in anim["data"]]


def test_kl_aggregate_in_chinese():
    at = _run(KL, "zh", 2, model="vae-kl-0.3")
    q, p, holes = _charts(at)
    assert q["layout"]["title"]["text"] == "q(z)：所有后验分布的并集"
    assert q["data"][0]["colorbar"]["title"]["text"] == "密度"
    assert holes["layout"]["title"]["text"] == i18n.t("kl.holes_title", "zh")
    assert [m.label for m in at.metric] == ["KL(q‖p)", "JS(q, p)", "空洞"]
    assert at.metric[0].proto.help == i18n.catalogue("zh")["widgets.help.aggregate_kl"]


def test_regularisers_in_chinese():
    penalties_tab, models_tab = _run(REG, "zh", 0), _run(REG, "zh", 1)
    simple, kl, curve = _charts(penalties_tab)
    assert simple["layout"]["title"]["text"] == "简单正则项 μ² + (σ − 1)²"
    assert simple["layout"]["xaxis"]["title"]["text"] == i18n.t("figures.pen.mu_axis", "zh")
    assert curve["layout"]["title"]["text"] == "在 μ = 0 处缩小 σ 的代价（单个维度）"
    assert penalties_tab.caption[0].value == i18n.t("regularisers.simple_caption", "zh")
    plane_kl, plane_simple = _charts(models_tab)
    assert plane_kl["layout"]["title"]["text"] == "KL：椭圆保持张开"
    assert "先验 1σ 圆" in [t.get("name") for t in plane_simple["data"]]
    table = models_tab.dataframe[0]
    assert list(table.value["model"]) == ["vae-kl-1", "vae-simple-1"]  # the ids stay
    labels = {k: c.get("label") for k, c in json.loads(table.proto.columns).items()}
    assert labels["median_sigma"] == "σ 的中位数" and labels["model"] == "模型"
    assert models_tab.get("download_button")[0].proto.label == "下载编码（CSV）"


def test_the_sigma_curve_caption_gives_each_models_share_on_the_floor():
    """Not "the simple model's σ sits on that floor": on the digits only 2% of it does."""
    at = _run(REG, "en", 0, dataset="digits")
    caption = at.caption[2].value
    assert "sits on that floor" not in caption
    shares = re.findall(r"(\d+)% of its σ on that floor", caption)
    assert shares and int(shares[0]) < 50  # the digits' simple VAE: a minority at the clamp
    assert "the KL model 0%" in caption


def test_shapes_in_chinese():
    at = _run(SHAPES, "zh")
    charts = _charts(at)
    for kind, fig in zip(shapes.KINDS, charts, strict=True):
        assert fig["layout"]["title"]["text"] == "生成的：" + i18n.t(f"shapes.kind.{kind}", "zh")
    verdicts = [c.value for c in at.caption if c.value.startswith("判定：")]
    assert len(verdicts) == 4
    assert verdicts[3].startswith("判定：圆形——")
    rules = i18n.t("shapes.rules", "zh", **shapes.THRESHOLDS)
    assert at.caption[0].value == i18n.t("shapes.rules_caption", "zh", rules=rules)
    ladder_tab = _run(SHAPES, "zh", 1)
    table = ladder_tab.dataframe[0].value
    assert list(table["model"]) == [s.name for s in ladder.SPECS]
    assert table["label"][0] == i18n.t("model.ae", "zh")
    assert set(table["verdict"]) <= {i18n.t(f"shapes.kind.{k}", "zh") for k in shapes.MEANING}
    model_tab = _run(SHAPES, "zh", 2, dataset="digits", model="ae")
    codes, whitened = _charts(model_tab)
    assert codes["layout"]["title"]["text"] == i18n.t("shapes.codes_title", "zh")
    assert "白化后的编码 w" in [t.get("name") for t in whitened["data"]]


def test_shapes_english_texts_are_the_cores():
    """The English catalogue says what vae_geom.shapes says (its describe and rules)."""
    for kind in shapes.KINDS:
        m = shapes.measures(shapes.make_shape(kind))
        v = shapes.classify(m)
        text = i18n.t(
            "shapes.describe",
            "en",
            verdict=i18n.t(f"shapes.kind.{v}", "en"),
            meaning=i18n.t(f"shapes.meaning.{v}", "en"),
            **m,
        )
        assert text == shapes.describe(m)
    assert i18n.t("shapes.rules", "en", **shapes.THRESHOLDS) == shapes.rules()
    assert {k: i18n.t(f"shapes.meaning.{k}", "en") for k in shapes.MEANING} == shapes.MEANING


def test_english_figures_keep_their_words():
    rows = ladder.kl_ladder_table("mnist")
    assert coverage.ladder_curves(rows).layout.title.text == (
        "The KL term makes the union cover the prior"
    )
    assert coverage.ladder_frames([(0.0, [[0, 0]], [[1, 1]]), (1.0, [[0, 0]], [[1, 1]])], 1)[1][
        1
    ] == ("between KL off (β = 0) and β = 1: interpolated")


def test_a_language_switch_keeps_the_open_tab():
    at = _run(KL, "en", 1)
    assert [c.key for c in at.get("plotly_chart")] == ["kl.animation"]
    at.radio(key="lang").set_value("zh").run()
    assert not at.exception
    assert [c.key for c in at.get("plotly_chart")] == ["kl.animation"]
    assert at.session_state["kl.section"] == i18n.t("kl.tab.steps", "zh")
    assert at.title[0].value == i18n.t("kl.title", "zh")
