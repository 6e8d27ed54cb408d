"""The app's two languages: English and Simplified Chinese, one catalogue per language.

Each language is a folder of JSON files (vae_geom/locales/<lang>/<part>.json), one file per page or
part of the app, merged into one {key: text} catalogue; keys are namespaced ("explorer.title").
Both languages hold the same keys with the same {placeholders} (tests/test_i18n.py checks), filled
by str.format, so a number is formatted the same in each ("{n:,}"). No gettext: it is process-wide,
and one student's language would leak into another's session. The language of a session lives in
the ui layer (vae_geom/ui/lang.py); this module only looks texts up.

The Chinese follows the vocabulary of the essay the app illustrates (Su Jianlin, 2020): 自编码器,
编码空间, 后验分布, 椭圆, 重参数, 先验分布, 聚合后验, 空洞, ...
"""

from __future__ import annotations

import functools
import json
import string
from pathlib import Path

LANGUAGES = ("en", "zh")
NAMES = {"en": "English", "zh": "中文"}
DEFAULT = "en"
LOCALES = Path(__file__).resolve().parent / "locales"


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """Every text of one language, {key: text}; a key defined twice is an error."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; one of {LANGUAGES}")
    texts: dict[str, str] = {}
    for path in sorted((LOCALES / lang).glob("*.json")):
        part = json.loads(path.read_text(encoding="utf-8"))
        if twice := texts.keys() & part.keys():
            raise ValueError(f"{path.name} defines keys defined elsewhere: {sorted(twice)}")
        texts.update(part)
    return texts


def t(key: str, lang: str = DEFAULT, /, **values) -> str:
    """The text of `key` in `lang`, its {placeholders} filled from `values` (str.format)."""
    return catalogue(lang)[key].format(**values)


def placeholders(text: str) -> set[str]:
    """The names of the {fields} in a text ("{n:,} of {total}" -> {"n", "total"})."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def class_words(
    label_name: str, class_names: tuple[str, ...], lang: str = DEFAULT
) -> tuple[str, tuple[str, ...]]:
    """A shipped dataset's label name ("digit", "数字") and class names (Fashion's) in `lang`; an
    uploaded dataset's own words stay as they are."""
    from vae_geom.data import FASHION_CLASSES  # data is the core's lowest layer; i18n is beside it

    if tuple(class_names) == FASHION_CLASSES:
        class_names = tuple(t(f"fashion.class.{i}", lang) for i in range(len(class_names)))
    return catalogue(lang).get(f"label.{label_name}", label_name), tuple(class_names)


def choose(kept: object, asked: object, locale: str | None) -> str:
    """A session's language: the one it chose before, else the link's ?lang=, else the browser's."""
    for wanted in (kept, asked):
        if wanted in LANGUAGES:
            return wanted
    return from_locale(locale)


def from_locale(locale: str | None) -> str:
    """A browser locale ("zh-CN", "zh-Hans-TW", "en-GB", None) -> the app's language."""
    return "zh" if (locale or "").lower().startswith("zh") else DEFAULT


class Text:
    """What the core says to a user without knowing the reader's language: a catalogue key and its
    values, said in a language by `said(lang)`; str() is the English (what the CLI and a log
    print). A value may itself be a Text, a part of the sentence, said in the same language."""

    __slots__ = ("key", "values")

    def __init__(self, key: str, /, **values: object):
        self.key, self.values = key, values

    def said(self, lang: str = DEFAULT) -> str:
        parts = {k: v.said(lang) if isinstance(v, Text) else v for k, v in self.values.items()}
        return t(self.key, lang, **parts)

    def replace(self, old: str, new: str) -> Text:
        """The same text with `old` replaced by `new` in its text values (a file's name)."""
        swap = {
            k: v.replace(old, new) if isinstance(v, str | Text) else v
            for k, v in self.values.items()
        }
        return Text(self.key, **swap)

    def __str__(self) -> str:
        return self.said(DEFAULT)

    def __repr__(self) -> str:
        return f"Text({self.key!r}, {self.values!r})"


class TextError(Exception):
    """An error a user may read: its message is a Text (or plain English), str(e) the English and
    `said(e, lang)` the message in the reader's language."""

    def __init__(self, message: str | Text, *args: object):
        self.text = message if isinstance(message, Text) else None
        super().__init__(str(message), *args)


def said(error: BaseException, lang: str = DEFAULT) -> str:
    """An error's message in `lang`: its Text said there, else its str() (the English)."""
    text = getattr(error, "text", None)
    return text.said(lang) if isinstance(text, Text) else str(error)
