"""vae_geom.i18n: both languages hold the same keys with the same placeholders."""

from __future__ import annotations

import json
import re
import string
import unicodedata

import pytest

from vae_geom import i18n

# a Chinese text may keep these Latin words as they are: symbols, names, units
LATIN_OK = re.compile(
    r"^(AE|VAE|KL|MNIST|Fashion-MNIST|PNG|CSV|JS|JSON|URL|ELBO|TV|kNN|CPU|GPU|MB|KB|nats?|bits?|"
    r"z|x|μ|σ|β|ε|N|I|k|M|p|q|r|t|A|B|G|E|D|x̂|log|exp|diag|sigmoid|ReLU|safetensors|zip|"
    r"scikit-learn|Zalando|Research|digits?|Sneaker|Dress|Su|Jianlin|kexue\.fm|https?|www|"
    # file formats, encodings, NumPy's types and functions (as an upload's
    # messages name them), the app's name
    r"y|npz|npy|csv|txt|png|jpg|JPEG|NaN|NumPy|np\.savez?|Python|pickle|uint|float|UTF-|"
    r"Latin-|Windows-|Excel|NUL|vae-geom)$"
)


def test_both_languages_have_the_same_keys_and_placeholders():
    en, zh = i18n.catalogue("en"), i18n.catalogue("zh")
    assert en.keys() == zh.keys(), sorted(en.keys() ^ zh.keys())
    for key in en:
        assert i18n.placeholders(en[key]) == i18n.placeholders(zh[key]), key


def test_each_part_is_a_file_in_both_languages():
    parts = {
        lang: sorted(p.name for p in (i18n.LOCALES / lang).glob("*.json"))
        for lang in "en zh".split()
    }
    assert parts["en"] == parts["zh"]
    for lang, names in parts.items():
        for name in names:
            texts = json.loads((i18n.LOCALES / lang / name).read_text(encoding="utf-8"))
            assert all(isinstance(v, str) and v.strip() for v in texts.values()), (lang, name)


def test_every_text_formats_with_its_placeholders():
    for lang in i18n.LANGUAGES:
        for text in i18n.catalogue(lang).values():
            values = dict.fromkeys(i18n.placeholders(text), 1234.5)
            try:
                string.Formatter().vformat(text, (), values)
            except (ValueError, TypeError):  # a format spec for ints, e.g. {n:d}
                string.Formatter().vformat(text, (), dict.fromkeys(values, 1234))


def test_chinese_texts_are_chinese():
    """No English sentence left in the Chinese catalogue: its Latin words are symbols and names."""
    for key, text in i18n.catalogue("zh").items():
        plain = re.sub(r"\{[^}]*\}|\$[^$]*\$|`[^`]*`|\\[a-zA-Z]+|https?://\S+", " ", text)
        words = re.findall(r"[A-Za-z][A-Za-z\-\.']*", plain)
        stray = [w for w in words if not LATIN_OK.match(w.rstrip("."))]
        assert len(stray) <= 2, (key, stray)


@pytest.mark.parametrize(
    ("locale", "lang"),
    [
        ("zh-CN", "zh"),
        ("zh-Hans-TW", "zh"),
        ("ZH", "zh"),
        ("en-GB", "en"),
        ("fr", "en"),
        (None, "en"),
    ],
)
def test_the_browser_locale_picks_the_language(locale, lang):
    assert i18n.from_locale(locale) == lang


def test_t_fills_placeholders_and_refuses_an_unknown_language():
    key = next(k for k, v in i18n.catalogue("en").items() if i18n.placeholders(v))
    with pytest.raises(KeyError):
        i18n.t(key, "en")  # a placeholder without its value
    with pytest.raises(ValueError, match="unknown language"):
        i18n.catalogue("fr")


def test_a_text_is_said_in_either_language_with_its_parts():
    """vae_geom.i18n.Text: a core error's message, its nested parts said in the same language;
    str() and the error's str() are the English."""
    text = i18n.Text(
        "uploads.budget",
        where=i18n.Text("uploads.the_data"),
        more=i18n.Text("uploads.at_least"),
        n=1000,
        d=2,
        total=2000,
        most=10,
    )
    assert (
        text.said("en")
        == str(text)
        == (
            "the data: at least 1,000 samples × 2 values = 2,000 values; at most 10 (as many as "
            "20,000 images of 28×28) are read here. Upload fewer samples or smaller images."
        )
    )
    assert text.said("zh").startswith("数据：至少 1,000 个样本 × 2 个数值 = 2,000 个数值")
    error = i18n.TextError(text)
    assert str(error) == str(text) and i18n.said(error, "zh") == text.said("zh")
    assert i18n.said(ValueError("plain"), "zh") == "plain"  # not the core's: as it is
    moved = i18n.Text("uploads.empty", where="/tmp/x/upload.npz").replace("/tmp/x/upload.npz", "a")
    assert moved.said("zh") == "a 是空的（0 字节）；请重新上传这个文件。"


# --- emphasis that Markdown can close ----------------------------------------------------------
# CommonMark (spec 0.31, "Emphasis and strong emphasis"): a run of * opens emphasis only if it is
# left-flanking and closes it only if right-flanking. Next to full-width punctuation this bites
# Chinese: in "**变分自编码器（VAE）**把" the closing ** follows "）" and precedes a letter,
# so it is not right-flanking and both ** show as they are (seen on the Explorer in Chinese).


def _punctuation(c: str) -> bool:
    return c == "" or unicodedata.category(c)[0] in "PS"  # spec: Unicode P or S; line ends too


def _space(c: str) -> bool:
    return c == "" or c.isspace()


def unclosed_emphasis(text: str) -> list[str]:
    """The * and ** runs of `text` that CommonMark would show as they are, with their context."""
    bad = []
    for line in text.split("\n"):
        open_runs: list[tuple[str, int]] = []
        for m in re.finditer(r"(?<![*\\])(\*\*|\*)(?!\*)", line):
            i, j = m.span()
            before, after = line[i - 1 : i], line[j : j + 1]
            left = not _space(after) and (
                not _punctuation(after) or _space(before) or _punctuation(before)
            )
            right = not _space(before) and (
                not _punctuation(before) or _space(after) or _punctuation(after)
            )
            if open_runs and open_runs[-1][0] == m.group(1) and right:
                open_runs.pop()
            elif left:
                open_runs.append((m.group(1), i))
            else:
                bad.append(line[max(0, i - 12) : j + 12])
        bad += [line[max(0, i - 12) : i + 14] for _, i in open_runs]
    return bad


@pytest.mark.parametrize(
    "text, ok",
    [
        ("**VAE** maps", True),
        ("an *area*: the", True),
        ("。**变分自编码器**（VAE）把", True),
        ("。**变分自编码器（VAE）**把", False),  # the closer follows "）", precedes a letter
        ("**自编码器**把", True),
        ("a ** b", False),
    ],
)
def test_the_emphasis_check_follows_commonmark(text, ok):
    assert (unclosed_emphasis(text) == []) == ok


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_bold_and_italic_text_closes(lang):
    bad = {k: b for k, v in i18n.catalogue(lang).items() if (b := unclosed_emphasis(v))}
    assert bad == {}, bad
