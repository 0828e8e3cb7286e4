"""The one message catalogue: every text a person reads, in Chinese (zh) and English (en).

The catalogue is ``siting/i18n/messages.yaml``, a reviewed YAML file (chosen over gettext: the
texts are few, reviewers read and edit one plain file, and nothing needs compiling on an
intranet machine). It has three parts:

``ui``
    Texts the code asks for by key: ``t("report.rules", lang)``, with ``{name}`` fields filled
    from keyword arguments (``t("report.generated", "zh", when=...)``). Reports, maps and
    command summaries use them.
``labels``
    Words for codes the data carry (statuses, facility types, hospital categories, owner kinds,
    figure names): ``label("status", "pass", "zh")`` gives ``通过``; an unknown code is shown as is.
``texts``
    Library texts that are produced in English where they arise (rule reasons and notes, error
    messages and hints), each with its English template and its Chinese. :func:`translate_text`
    finds the template a text was made from and writes it in Chinese, so a rule kind stays a
    plain function and its English output does not change.

To add a text: add an entry to the right part, with both ``en`` and ``zh`` and the same
``{fields}`` in each; ``tests/test_i18n.py`` checks this.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

import yaml

LANGS: tuple[str, ...] = ("zh", "en")
#: Rule packs whose readers are Chinese: their reports default to Chinese.
CHINESE_PACKS = frozenset({"qinzhou", "guangxi", "jingdezhen", "gb50180", "qinzhou-2023", "guangxi-2021",
                           "jingdezhen-draft", "gb50180-2018", "qinzhou-health", "qinzhou-health-2023"})
_CJK = re.compile(r"[\u4e00-\u9fff]")


@functools.cache
def catalogue() -> dict[str, Any]:
    """The parsed catalogue (``ui``, ``labels``, ``texts``)."""
    text = resources.files("siting.i18n").joinpath("messages.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return {"ui": data.get("ui", {}), "labels": data.get("labels", {}), "texts": data.get("texts", [])}


def check_lang(lang: str | None) -> str:
    """``lang`` if it is one of :data:`LANGS` ('en' for None); ValueError otherwise."""
    if lang is None:
        return "en"
    if lang not in LANGS:
        raise ValueError(f"unknown language '{lang}': use zh or en")
    return lang


def t(key: str, lang: str | None = "en", **fmt: Any) -> str:
    """The text of ``key`` in ``lang``, its ``{fields}`` filled from ``fmt``.

    Examples
    --------
    >>> t("status.summary", "zh", passed=3, failed=1, not_evaluable=2)
    '3 项通过，1 项不通过，2 项无法评估'
    """
    entry = catalogue()["ui"][key]
    text = entry[check_lang(lang)]
    return text.format(**fmt) if fmt else text


def label(group: str, code: Any, lang: str | None = "en") -> str:
    """The word for a code (``label("type", "elderly", "zh")`` -> 养老机构); the code itself when unknown."""
    entry = catalogue()["labels"].get(group, {}).get(str(code))
    return str(code) if entry is None else entry[check_lang(lang)]


def default_lang(pack: str | None = None, title: str | None = None, lang: str | None = None) -> str:
    """The language of a study's outputs: ``lang`` when given; else the language its title is
    written in; else Chinese for the Chinese rule packs and English otherwise.

    So ``scenarios/qinzhou.yaml`` (title 钦州市…) reports in Chinese, and the Monaco demo, which
    applies the Qinzhou pack to Monaco under an English title, in English.
    """
    if lang:
        return check_lang(lang)
    if title:
        return "zh" if _CJK.search(title) else "en"
    name = str(pack or "")
    stem = name.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".yaml")
    return "zh" if stem in CHINESE_PACKS else "en"


#: Templates whose fixed text is shorter than this are tried only after a compound text was split.
_SPECIFIC = 8
#: Fields that may hold several texts joined by '; ' (the others stop at '; ').
_COMPOUND_FIELDS = ("list", "reason", "what")
#: Fields narrower than a text: ``{id}`` one id (no comma, semicolon or parenthesis), ``{fields}``
#: column names joined by ', ' (``owner_kind, name``), and one code or word (a column, an
#: indicator, a source, a status), so that ``{id} ({fields} unknown)`` matches one item of a list
#: and never the whole list, and ``{indicator} of {unit}`` does not swallow a '甲县: ' before it.
_WORD = r"\w+"
_FIELD_PATTERNS = {"id": r"[^,;()]+?", "fields": r"\w+(?:, \w+)*", "indicator": _WORD, "quantity": _WORD,
                   "part": _WORD, "origin": _WORD, "status": _WORD}
#: Fields that hold codes as the pack or the data write them (a rule's ``applies_to`` filter, a
#: baselines key, column names): kept as they are.
_CODE_FIELDS = ("filter", "key", "fields")
#: An item with a parenthesised tail, ``QZ-E01 (no coordinates, level unknown)``.
_PAREN_TAIL = re.compile(r"([^()]+?) \(([^()]+)\)\Z")


def _field_pattern(name: str) -> str:
    if name in _FIELD_PATTERNS:
        return f"(?P<{name}>{_FIELD_PATTERNS[name]})"
    return f"(?P<{name}>.+?)" if name in _COMPOUND_FIELDS else f"(?P<{name}>(?:(?!; ).)+?)"


@functools.cache
def _templates() -> list[tuple[re.Pattern[str], str, int]]:
    out = []
    for entry in catalogue()["texts"]:
        parts = [p for p in re.split(r"(\{\w+\})", entry["en"]) if p]
        pattern = "".join(_field_pattern(p[1:-1]) if re.fullmatch(r"\{\w+\}", p) else re.escape(p) for p in parts)
        literal = sum(len(p) for p in parts if not re.fullmatch(r"\{\w+\}", p))
        out.append((re.compile(pattern + r"\Z", re.DOTALL), entry["zh"], literal))
    # the most specific (longest fixed text) first, so a general template does not swallow them
    out.sort(key=lambda item: -item[2])
    return out


def translate_text(text: Any, lang: str | None) -> str:
    """``text`` written in ``lang``: a library text found in the catalogue's ``texts`` rewritten in
    Chinese (its fields translated too); texts joined by '; ' or ' | ' one by one; a list (items
    joined by ', ') item by item; an item's parenthesised tail (``H2 (level unknown)``); a single
    word of ``labels.words``; anything else unchanged (proper names, quotes, numbers, ids)."""
    if text is None:
        return ""
    text = str(text)
    if check_lang(lang) == "en" or not text:
        return text
    return _translate(text, 0)


def _match(text: str, depth: int, specific: bool) -> str | None:
    for pattern, zh, literal in _templates():
        if (literal >= _SPECIFIC) != specific:
            continue
        m = pattern.match(text)
        if m:
            return zh.format(**{k: _column_names(v) if k == "fields" else v if k in _CODE_FIELDS else _translate(v, depth + 1)
                                for k, v in m.groupdict().items()})
    return None


def _column_names(names: str) -> str:
    """Column names joined by ', ' (``county, inclusive``) as a reader's words (县区、普惠); a name
    the catalogue does not know stays as written."""
    labels = catalogue()["labels"]
    return "、".join(str((labels["words"].get(n) or labels["column"].get(n) or {"zh": n})["zh"]) for n in names.split(", "))


def _translate(text: str, depth: int) -> str:
    if depth > 40:
        return text
    words = catalogue()["labels"].get("words", {})
    if text in words:
        return str(words[text]["zh"])
    found = _match(text, depth, specific=True)
    if found is not None:
        return found
    if " | " in text:
        return " | ".join(_translate(part, depth + 1) for part in text.split(" | "))
    if "; " in text:
        return "；".join(_compound(text.split("; "), depth))
    items = _list_items(text)
    if len(items) > 1:
        done = [_translate(item, depth + 1) for item in items]
        if all(d != i for d, i in zip(done, items)):
            return ", ".join(done)
    found = _match(text, depth, specific=False)
    if found is not None:
        return found
    tail = _PAREN_TAIL.match(text)
    inner = _translate(tail.group(2), depth + 1) if tail else ""
    if tail and inner != tail.group(2):
        return f"{_translate(tail.group(1), depth + 1)}（{inner}）"
    if len(items) > 1:
        return ", ".join(_translate(item, depth + 1) for item in items)
    return text


def _list_items(text: str) -> list[str]:
    """``text`` split at the ', ' that are outside parentheses (the items of a list)."""
    items, level, start = [], 0, 0
    for i, char in enumerate(text):
        level += {"(": 1, ")": -1}.get(char, 0)
        if level == 0 and text.startswith(", ", i):
            items.append(text[start:i])
            start = i + 2
    return items + [text[start:]]


def _compound(parts: list[str], depth: int) -> list[str]:
    """Texts joined by '; ', translated from the left, each the longest run of parts a template
    knows (a reason may itself hold '; '): specific templates first, then the general ones."""
    out, i = [], 0
    while i < len(parts):
        found, j = None, i + 1
        for specific in (True, False):
            for k in range(len(parts), i, -1):
                found = _match("; ".join(parts[i:k]), depth + 1, specific=specific)
                if found is not None:
                    j = k
                    break
            if found is not None:
                break
        out.append(found if found is not None else _translate(parts[i], depth + 1))
        i = j
    return out
