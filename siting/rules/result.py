"""Compliance results: one :class:`RuleResult` per rule, gathered in a :class:`ComplianceReport`.

The report is a plain data structure with a DataFrame view (``to_frame``), a
JSON view (``to_json``) and writers for JSON, CSV, Markdown and HTML that quote
each rule's clause. All files are written atomically.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from siting.i18n import label, t, translate_text
from siting.io import write_csv, write_json, write_text, write_xlsx

STATUSES = ("pass", "fail", "not_evaluable")


@dataclass
class RuleResult:
    """The outcome of one rule.

    ``status`` is 'pass', 'fail' or 'not_evaluable' (``reason`` then says why and what to
    pass). ``figures`` are the numbers behind the verdict; ``violations`` one dict per
    failing facility or unit; ``details`` the per-subject table (e.g. every facility with
    its nearest hospital); ``notes`` assumptions the reader must know.
    """

    id: str
    kind: str
    title: str
    status: str
    reason: str = ""
    figures: dict[str, Any] = field(default_factory=dict)
    violations: list[dict[str, Any]] = field(default_factory=list)
    details: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    source: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    verified: bool | None = None
    #: The rule's title and pack note in Chinese (from the pack), for outputs in Chinese.
    title_zh: str = ""
    note: str = ""
    note_zh: str = ""
    #: Further tables a rule reports (A4: ``hospitals``, every hospital with its category, the
    #: reason for it and whether it counted); in the JSON as lists, written as CSV beside the details.
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")
        if self.status == "not_evaluable" and not self.reason:
            raise ValueError("a not_evaluable result needs a reason")

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The result as JSON-ready data; with ``lang='zh'`` its texts are in Chinese (keys and codes stay)."""
        out = {
            "id": self.id,
            "kind": self.kind,
            "title": self.title_in(lang),
            "status": self.status,
            "reason": translate_text(self.reason, lang),
            "figures": _clean(self.figures),
            "violations": _clean(self.violations_in(lang)),
            "notes": self.notes_in(lang),
            "source": dict(self.source),
            "params": _clean(self.params),
            "verified": self.verified,
        }
        for name, table in self.tables.items():
            if table is not None and len(table):
                out[name] = _clean(table.to_dict("records"))
        return out

    def title_in(self, lang: str) -> str:
        """The title in ``lang`` (the pack's ``title_zh`` for Chinese, when it has one)."""
        return self.title_zh if lang == "zh" and self.title_zh else translate_text(self.title, lang)

    def figures_in(self, lang: str, limit: int | None = None) -> str:
        """The first ``limit`` figures (all when None) as ``label=value; ...`` in ``lang``."""
        return "; ".join(f"{label('figure', k, lang)}={_figure(v, lang)}" for k, v in list(self.figures.items())[:limit]
                         if not isinstance(v, dict | list))

    def notes_in(self, lang: str) -> list[str]:
        """The notes in ``lang``: the pack's note from ``note_zh``, the others from the catalogue."""
        if lang != "zh":
            return list(self.notes)
        return [self.note_zh if (n == self.note and self.note_zh) else translate_text(n, lang) for n in self.notes]

    def violations_in(self, lang: str) -> list[dict[str, Any]]:
        """The violations with their texts (problem, unit words) and coded values (owner kind,
        hospital category) in ``lang``."""
        if lang != "zh":
            return self.violations
        return [{k: _value_in(k, v, _TEXT_KEYS, lang) for k, v in row.items()} for row in self.violations]


#: Keys of violation rows whose values are texts to translate (the rest are names and codes).
_TEXT_KEYS = ("problem", "unit", "missing_tiers", "group", "level", "location_precision")
#: Keys of the rules' tables (A4's hospitals) whose values are texts to translate.
_TABLE_TEXT_KEYS = ("category_reason", "why_not", "origin", "missing", "may_be_missing")
#: Keys whose values are codes with a word in the catalogue's labels (key -> label group).
_LABEL_KEYS = {"owner_kind": "owner_kind", "nearest_hospital_category": "category", "category": "category"}


def _value_in(key: str, value: Any, text_keys: tuple[str, ...], lang: str) -> Any:
    """A cell of a violation or table row written in ``lang``: texts translated, codes labelled,
    yes/no for booleans; names, ids and numbers as they are."""
    if isinstance(value, bool):
        return t("report.yes" if value else "report.no", lang)
    if not isinstance(value, str):
        return value
    if key in _LABEL_KEYS:
        return label(_LABEL_KEYS[key], value, lang)
    return translate_text(value, lang) if key in text_keys else value


def _table_in(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A rule's table (A4's hospitals) with its texts, codes and yes/no in ``lang``."""
    if lang != "zh":
        return frame
    rows = [{k: _value_in(k, v, _TABLE_TEXT_KEYS, lang) for k, v in row.items()} for row in frame.to_dict("records")]
    return pd.DataFrame(rows, columns=frame.columns)


def _figure(value: Any, lang: str) -> str:
    """A figure as shown: numbers formatted, words (``network``, ``projects``) in ``lang``."""
    return translate_text(value, lang) if isinstance(value, str) else _fmt(value)


def _clean(obj: Any) -> Any:
    """JSON-safe copy: NaN to None, numpy scalars to Python."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, str | bytes):
        try:
            obj = obj.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(obj, float) and not math.isfinite(obj):
        return None  # NaN and infinity (unreachable) are not valid JSON
    return obj


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:,.0f}"
    if value is None:
        return "—"
    return str(value)


@dataclass
class ComplianceReport:
    """Results of checking one rule pack against one set of inputs.

    Every view takes ``lang`` ('en' or 'zh'): texts (titles, reasons, notes, headings) follow
    the language; keys, codes and figures do not.
    """

    pack: str
    pack_title: str
    results: list[RuleResult]
    inputs: dict[str, Any] = field(default_factory=dict)
    scenario: str | None = None
    documents: dict[str, Any] = field(default_factory=dict)
    pack_title_zh: str = ""

    def counts(self) -> dict[str, int]:
        return {s: sum(r.status == s for r in self.results) for s in STATUSES}

    def result(self, rule_id: str) -> RuleResult:
        for r in self.results:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def title_in(self, lang: str = "en") -> str:
        """The pack's title in ``lang`` (its name when it has none)."""
        if lang == "zh" and self.pack_title_zh:
            return self.pack_title_zh
        return self.pack_title or self.pack

    def to_frame(self, lang: str = "en") -> pd.DataFrame:
        """One row per rule: id, title, status, reason, headline figures, violations, source."""
        rows = []
        for r in self.results:
            rows.append({
                "rule": r.id,
                "kind": r.kind,
                "title": r.title_in(lang),
                "status": r.status,
                "reason": translate_text(r.reason, lang),
                "n_violations": len(r.violations),
                "figures": "; ".join(f"{k}={_fmt(v)}" for k, v in r.figures.items() if not isinstance(v, dict | list)),
                "document": r.source.get("document", ""),
                "clause": r.source.get("clause", ""),
                "line": r.source.get("line", ""),
                "quote": r.source.get("quote", ""),
                "notes": " | ".join(r.notes_in(lang)),
            })
        return pd.DataFrame(rows, columns=["rule", "kind", "title", "status", "reason", "n_violations", "figures",
                                           "document", "clause", "line", "quote", "notes"])

    def violations_frame(self, lang: str = "en") -> pd.DataFrame:
        """One row per violating facility or unit, with the rule id first."""
        rows = [{"rule": r.id, **_clean(v)} for r in self.results for v in r.violations_in(lang)]
        return pd.DataFrame(rows)

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        return {
            "pack": self.pack,
            "pack_title": self.title_in(lang) if lang == "zh" else self.pack_title,
            "scenario": self.scenario,
            "counts": self.counts(),
            "inputs": _clean({k: translate_text(v, lang) if isinstance(v, str) else v for k, v in self.inputs.items()}),
            "documents": _clean(self.documents),
            "results": [r.to_dict(lang) for r in self.results],
        }

    # ---- readable reports -------------------------------------------------------------------

    def to_markdown(self, lang: str = "en") -> str:
        c = self.counts()
        lines = [t("compliance.heading", lang, title=self.title_in(lang)), ""]
        if self.scenario:
            lines.append(t("compliance.scenario_md", lang, scenario=self.scenario) + "  ")
        lines.append(t("compliance.pack_md", lang, pack=self.pack) + "  ")
        lines.append(t("compliance.result", lang, summary=t("status.summary", lang, passed=c["pass"], failed=c["fail"],
                                                                 not_evaluable=c["not_evaluable"])))
        lines += ["", t("compliance.table_md", lang), "|---|---|---|---|"]
        for r in self.results:
            key = translate_text(r.reason, lang) or r.figures_in(lang, limit=4)
            lines.append(f"| {r.id} | **{label('status', r.status, lang)}** | {r.title_in(lang)} | {key.replace('|', '/')} |")
        lines += ["", t("compliance.inputs", lang, hash="## ")]
        for k, v in self.inputs.items():
            lines.append(f"- {label('input', k, lang)}: {translate_text(_fmt(v), lang)}")
        for r in self.results:
            lines += _markdown_rule(r, self.documents, lang)
        return "\n".join(lines) + "\n"

    def to_html(self, lang: str = "en") -> str:
        return compliance_html(self, lang)

    def write(self, out_dir: str | Path, stem: str = "compliance", lang: str = "en") -> dict[str, Path]:
        """Write ``<stem>.json``, ``.csv``, ``_violations.csv``, ``.md`` and ``.html`` into ``out_dir``.

        An ``out_dir`` ending in ``.xlsx`` is one workbook instead: the rules, the violations and
        each rule's details as sheets (for reviewers who work in Excel).
        """
        out = Path(out_dir)
        if out.suffix.lower() == ".xlsx":
            return {"xlsx": write_xlsx(out, self.sheets(lang))}
        paths = {
            "json": write_json(out / f"{stem}.json", self.to_json(lang)),
            "csv": _write_csv(out / f"{stem}.csv", self.to_frame(lang)),
            "violations": _write_csv(out / f"{stem}_violations.csv", self.violations_frame(lang)),
            "markdown": write_text(out / f"{stem}.md", self.to_markdown(lang)),
            "html": write_text(out / f"{stem}.html", self.to_html(lang)),
        }
        for r in self.results:
            if r.details is not None and len(r.details):
                paths[f"details_{r.id}"] = _write_csv(out / f"{stem}_{r.id}_details.csv", r.details)
            for name, table in r.tables.items():
                if table is not None and len(table):
                    paths[f"{name}_{r.id}"] = _write_csv(out / f"{stem}_{r.id}_{name}.csv", table)
        return paths

    def sheets(self, lang: str = "en") -> dict[str, pd.DataFrame]:
        """The report's tables as workbook sheets: rules, violations, then each rule's details and tables."""
        sheets = {t("sheet.rules", lang): self.to_frame(lang), t("sheet.violations", lang): self.violations_frame(lang)}
        for r in self.results:
            if r.details is not None and len(r.details):
                sheets[f"{r.id} {t('sheet.details', lang)}"] = r.details
            for name, table in r.tables.items():
                if table is not None and len(table):
                    sheets[f"{r.id} {label('table', name, lang)}"] = table
        return sheets


def _markdown_rule(r: RuleResult, documents: dict[str, Any], lang: str) -> list[str]:
    reason = translate_text(r.reason, lang)
    lines = ["", f"## {r.id}: {r.title_in(lang)}", "",
             f"**{t('compliance.status', lang)}: {label('status', r.status, lang)}**" + (f" — {reason}" if reason else ""), ""]
    doc = documents.get(r.source.get("document", ""), {})
    cite = ", ".join(x for x in (doc.get("title") if isinstance(doc, dict) else None, doc.get("number") if isinstance(doc, dict) else None,
                                 r.source.get("clause"), r.source.get("line")) if x)
    lines.append(f"> 「{r.source.get('quote', '')}」")
    lines.append(f"> — {cite or r.source.get('document', '')}")
    if r.verified is False:
        lines.append(f">\n> *{t('compliance.unverified', lang)}*")
    lines.append("")
    if r.figures:
        lines += [t("compliance.figures_md", lang), "|---|---|"]
        lines += [f"| {label('figure', k, lang)} | {_figure(v, lang)} |" for k, v in r.figures.items()
                  if not isinstance(v, dict | list)]
        lines.append("")
    for n in r.notes_in(lang):
        lines.append(f"- {t('compliance.note', lang)}: {n}")
    if r.violations:
        frame = pd.DataFrame(_clean(r.violations_in(lang)))
        lines += ["", t("compliance.violations", lang, n=len(frame)), "", _md_table(frame, lang)]
    return lines


def compliance_html(report: ComplianceReport, lang: str = "en") -> str:
    """The compliance report as one HTML page, each rule with its quoted clause."""
    c = report.counts()
    e = html.escape
    colour = {"pass": "#1a7f37", "fail": "#cf222e", "not_evaluable": "#9a6700"}
    parts = [
        f"<!DOCTYPE html><html lang='{'zh' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>",
        f"<title>{e(t('compliance.page_title', lang, pack=report.pack))}</title>",
        "<style>body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}"
        "blockquote{border-left:4px solid #888;margin:.5em 0;padding:.2em 1em;background:#f6f8fa}.st{font-weight:bold}</style>",
        "</head><body>",
        f"<h1>{e(t('compliance.heading', lang, title=report.title_in(lang)).removeprefix('# '))}</h1>",
        "<p>" + t("compliance.pack_html", lang, pack=f"<code>{e(report.pack)}</code>")
        + (t("compliance.scenario_html", lang, scenario=f"<code>{e(report.scenario)}</code>") if report.scenario else "") + "</p>",
        f"<p>{e(t('status.summary', lang, passed=c['pass'], failed=c['fail'], not_evaluable=c['not_evaluable']))}</p>",
        "<table><tr>" + "".join(f"<th>{e(t(k, lang))}</th>" for k in ("col.rule", "col.status", "col.title", "col.reason"))
        + "</tr>",
    ]
    for r in report.results:
        parts.append(f"<tr><td><a href='#{e(r.id)}'>{e(r.id)}</a></td><td class='st' style='color:{colour[r.status]}'>"
                     f"{e(label('status', r.status, lang))}</td><td>{e(r.title_in(lang))}</td>"
                     f"<td>{e(translate_text(r.reason, lang))}</td></tr>")
    parts.append(f"</table><h2>{e(t('compliance.inputs', lang, hash=''))}</h2><ul>")
    parts += [f"<li>{e(label('input', k, lang))}: {e(translate_text(_fmt(v), lang))}</li>" for k, v in report.inputs.items()]
    parts.append("</ul>")
    for r in report.results:
        parts += _html_rule(r, report.documents, lang, colour[r.status])
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_rule(r: RuleResult, documents: dict[str, Any], lang: str, colour: str) -> list[str]:
    e = html.escape
    doc = documents.get(r.source.get("document", ""), {})
    doc_title = doc.get("title", "") if isinstance(doc, dict) else ""
    cite = ", ".join(x for x in (doc_title, r.source.get("clause"), r.source.get("line")) if x)
    reason = translate_text(r.reason, lang)
    parts = [f"<h2 id='{e(r.id)}'>{e(r.id)}: {e(r.title_in(lang))}</h2>",
             f"<p class='st' style='color:{colour}'>{e(label('status', r.status, lang))}"
             + (f" — {e(reason)}" if reason else "") + "</p>",
             f"<blockquote>「{e(r.source.get('quote', ''))}」<br>— {e(cite or r.source.get('document', ''))}</blockquote>"]
    if r.verified is False:
        parts.append(f"<p><em>{e(t('compliance.unverified', lang))}</em></p>")
    if r.figures:
        parts.append("<table>" + "".join(f"<tr><th>{e(label('figure', k, lang))}</th><td>{e(_figure(v, lang))}</td></tr>"
                                         for k, v in r.figures.items() if not isinstance(v, dict | list)) + "</table>")
    notes = r.notes_in(lang)
    if notes:
        parts.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>")
    if r.violations:
        parts.append(f"<p>{e(t('compliance.violations', lang, n=len(r.violations)))}</p>")
        parts.append(_html_table(pd.DataFrame(_clean(r.violations_in(lang))), lang))
    for name, table in r.tables.items():
        if table is not None and len(table):
            parts.append(f"<p>{e(label('table', name, lang))} ({len(table)}):</p>")
            parts.append(_html_table(_table_in(table, lang), lang))
    return parts


def _html_table(frame: pd.DataFrame, lang: str) -> str:
    if lang == "zh":  # a missing value (None too) as a dash, columns named in Chinese
        frame = frame.astype(object).where(frame.notna(), "—")
        frame = frame.rename(columns={c: label("column", c, lang) for c in frame.columns})
    return frame.to_html(index=False, na_rep="—", border=0)


def _write_csv(path: Path, frame: pd.DataFrame) -> Path:
    # UTF-8 with BOM so that Excel shows the Chinese names; written atomically.
    return write_csv(path, frame)


def _md_table(frame: pd.DataFrame, lang: str = "en") -> str:
    cols = list(frame.columns)
    heads = [label("column", c, lang) for c in cols] if lang == "zh" else cols
    rows = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(cols)]
    for _, row in frame.iterrows():
        rows.append("| " + " | ".join(_fmt(row[c]).replace("|", "/") for c in cols) + " |")
    return "\n".join(rows)
