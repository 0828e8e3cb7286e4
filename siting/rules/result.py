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

from siting.io import write_json, write_text

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

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")
        if self.status == "not_evaluable" and not self.reason:
            raise ValueError("a not_evaluable result needs a reason")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "status": self.status,
            "reason": self.reason,
            "figures": _clean(self.figures),
            "violations": _clean(self.violations),
            "notes": list(self.notes),
            "source": dict(self.source),
            "params": _clean(self.params),
            "verified": self.verified,
        }


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
    """Results of checking one rule pack against one set of inputs."""

    pack: str
    pack_title: str
    results: list[RuleResult]
    inputs: dict[str, Any] = field(default_factory=dict)
    scenario: str | None = None
    documents: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {s: sum(r.status == s for r in self.results) for s in STATUSES}

    def result(self, rule_id: str) -> RuleResult:
        for r in self.results:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def to_frame(self) -> pd.DataFrame:
        """One row per rule: id, title, status, reason, headline figures, violations, source."""
        rows = []
        for r in self.results:
            rows.append({
                "rule": r.id,
                "kind": r.kind,
                "title": r.title,
                "status": r.status,
                "reason": r.reason,
                "n_violations": len(r.violations),
                "figures": "; ".join(f"{k}={_fmt(v)}" for k, v in r.figures.items() if not isinstance(v, dict | list)),
                "document": r.source.get("document", ""),
                "clause": r.source.get("clause", ""),
                "line": r.source.get("line", ""),
                "quote": r.source.get("quote", ""),
                "notes": " | ".join(r.notes),
            })
        return pd.DataFrame(rows, columns=["rule", "kind", "title", "status", "reason", "n_violations", "figures",
                                           "document", "clause", "line", "quote", "notes"])

    def violations_frame(self) -> pd.DataFrame:
        """One row per violating facility or unit, with the rule id first."""
        rows = [{"rule": r.id, **_clean(v)} for r in self.results for v in r.violations]
        return pd.DataFrame(rows)

    def to_json(self) -> dict[str, Any]:
        return {
            "pack": self.pack,
            "pack_title": self.pack_title,
            "scenario": self.scenario,
            "counts": self.counts(),
            "inputs": _clean(self.inputs),
            "documents": _clean(self.documents),
            "results": [r.to_dict() for r in self.results],
        }

    # ---- readable reports -------------------------------------------------------------------

    def to_markdown(self) -> str:
        c = self.counts()
        lines = [f"# Compliance report: {self.pack_title or self.pack}", ""]
        if self.scenario:
            lines.append(f"Scenario: `{self.scenario}`  ")
        lines.append(f"Rule pack: `{self.pack}`  ")
        lines.append(f"Result: {c['pass']} pass, {c['fail']} fail, {c['not_evaluable']} not evaluable")
        lines += ["", "| rule | status | title | reason / key figures |", "|---|---|---|---|"]
        for r in self.results:
            key = r.reason or "; ".join(f"{k}={_fmt(v)}" for k, v in list(r.figures.items())[:4]
                                        if not isinstance(v, dict | list))
            lines.append(f"| {r.id} | **{r.status}** | {r.title} | {key.replace('|', '/')} |")
        lines.append("")
        lines.append("## Inputs")
        for k, v in self.inputs.items():
            lines.append(f"- {k}: {_fmt(v)}")
        for r in self.results:
            lines += ["", f"## {r.id}: {r.title}", "", f"**Status: {r.status}**" + (f" — {r.reason}" if r.reason else ""), ""]
            doc = self.documents.get(r.source.get("document", ""), {})
            cite = ", ".join(x for x in (doc.get("title") if isinstance(doc, dict) else None, doc.get("number") if isinstance(doc, dict) else None,
                                         r.source.get("clause"), r.source.get("line")) if x)
            lines.append(f"> 「{r.source.get('quote', '')}」")
            lines.append(f"> — {cite or r.source.get('document', '')}")
            if r.verified is False:
                lines.append(">\n> *Figures not verified against the source text; see the pack's note.*")
            lines.append("")
            if r.figures:
                lines += ["| figure | value |", "|---|---|"]
                lines += [f"| {k} | {_fmt(v)} |" for k, v in r.figures.items() if not isinstance(v, dict | list)]
                lines.append("")
            for n in r.notes:
                lines.append(f"- Note: {n}")
            if r.violations:
                frame = pd.DataFrame(_clean(r.violations))
                lines += ["", f"Violations ({len(frame)}):", "", _md_table(frame)]
        return "\n".join(lines) + "\n"

    def to_html(self) -> str:
        c = self.counts()
        e = html.escape
        colour = {"pass": "#1a7f37", "fail": "#cf222e", "not_evaluable": "#9a6700"}
        parts = [
            "<!DOCTYPE html><html lang='zh'><head><meta charset='utf-8'>",
            f"<title>Compliance: {e(self.pack)}</title>",
            "<style>body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
            "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}"
            "blockquote{border-left:4px solid #888;margin:.5em 0;padding:.2em 1em;background:#f6f8fa}.st{font-weight:bold}</style>",
            "</head><body>",
            f"<h1>Compliance report: {e(self.pack_title or self.pack)}</h1>",
            f"<p>Rule pack <code>{e(self.pack)}</code>" + (f", scenario <code>{e(self.scenario)}</code>" if self.scenario else "") + "</p>",
            f"<p>{c['pass']} pass, {c['fail']} fail, {c['not_evaluable']} not evaluable</p>",
            "<table><tr><th>rule</th><th>status</th><th>title</th><th>reason</th></tr>",
        ]
        for r in self.results:
            parts.append(f"<tr><td><a href='#{e(r.id)}'>{e(r.id)}</a></td><td class='st' style='color:{colour[r.status]}'>{r.status}</td>"
                         f"<td>{e(r.title)}</td><td>{e(r.reason)}</td></tr>")
        parts.append("</table><h2>Inputs</h2><ul>")
        parts += [f"<li>{e(str(k))}: {e(_fmt(v))}</li>" for k, v in self.inputs.items()]
        parts.append("</ul>")
        for r in self.results:
            doc = self.documents.get(r.source.get("document", ""), {})
            doc_title = doc.get("title", "") if isinstance(doc, dict) else ""
            cite = ", ".join(x for x in (doc_title, r.source.get("clause"), r.source.get("line")) if x)
            parts.append(f"<h2 id='{e(r.id)}'>{e(r.id)}: {e(r.title)}</h2>")
            parts.append(f"<p class='st' style='color:{colour[r.status]}'>{r.status}" + (f" — {e(r.reason)}" if r.reason else "") + "</p>")
            parts.append(f"<blockquote>「{e(r.source.get('quote', ''))}」<br>— {e(cite or r.source.get('document', ''))}</blockquote>")
            if r.verified is False:
                parts.append("<p><em>Figures not verified against the source text; see the pack's note.</em></p>")
            if r.figures:
                parts.append("<table>" + "".join(f"<tr><th>{e(str(k))}</th><td>{e(_fmt(v))}</td></tr>"
                                                 for k, v in r.figures.items() if not isinstance(v, dict | list)) + "</table>")
            if r.notes:
                parts.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in r.notes) + "</ul>")
            if r.violations:
                parts.append(f"<p>Violations ({len(r.violations)}):</p>")
                parts.append(pd.DataFrame(_clean(r.violations)).to_html(index=False, na_rep="—", border=0))
        parts.append("</body></html>")
        return "\n".join(parts) + "\n"

    def write(self, out_dir: str | Path, stem: str = "compliance") -> dict[str, Path]:
        """Write ``<stem>.json``, ``.csv``, ``_violations.csv``, ``.md`` and ``.html`` into ``out_dir``."""
        out = Path(out_dir)
        paths = {
            "json": write_json(out / f"{stem}.json", self.to_json()),
            "csv": _write_csv(out / f"{stem}.csv", self.to_frame()),
            "violations": _write_csv(out / f"{stem}_violations.csv", self.violations_frame()),
            "markdown": write_text(out / f"{stem}.md", self.to_markdown()),
            "html": write_text(out / f"{stem}.html", self.to_html()),
        }
        for r in self.results:
            if r.details is not None and len(r.details):
                paths[f"details_{r.id}"] = _write_csv(out / f"{stem}_{r.id}_details.csv", r.details)
        return paths


def _write_csv(path: Path, frame: pd.DataFrame) -> Path:
    # UTF-8 with BOM so that Excel shows the Chinese names; written atomically.
    return write_text(path, "\ufeff" + frame.to_csv(index=False))


def _md_table(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    rows = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in frame.iterrows():
        rows.append("| " + " | ".join(_fmt(row[c]).replace("|", "/") for c in cols) + " |")
    return "\n".join(rows)
