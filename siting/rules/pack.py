"""Rule packs: declarative YAML files of rules, each citing its clause.

A pack looks like::

    pack: qinzhou-2023
    title: 钦州市“一老一小”整体解决方案
    documents:
      "000": {title: ..., issuer: ..., number: 钦政办〔2023〕3号, date: "2023-01-18", file: 000_....txt}
    rules:
      - id: A4
        kind: hospital_proximity
        title: Government-provided elderly-care land within 5 km of a general hospital
        applies_to: {type: [elderly, integrated], owner_kind: [government]}
        params: {max_km: 5, distance: straight_line, hospital_category: [general]}
        source: {document: "000", clause: 附件2 养老服务政策 第6条, line: "000 L164; 003 L989",
                 quote: 政府提供的养老机构用地、用房，距离综合性医院不高于 5km。}

Rule ids come from the seed extraction (A1-A30, B1-B30, C1-C19, D1-D7, E1-E11,
F1-F11, G1-G19, H1-H5, I1-I5), optionally with a suffix (``C1-2023``); ids of
your own rules start with ``X`` (``X1``, ``X-parking``). Packs are validated on
load: unknown keys, rule ids, kinds or parameters are errors naming the file
and the line. Copy a built-in pack (``siting check --rules PATH.yaml``) and edit
its thresholds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from siting.errors import InputError
from siting.inputs.scenario import load_yaml_with_lines, strip_lines
from siting.rules.registry import APPLIES_TO_KEYS, REQUIRED, Param, rule_kinds
from siting.rules.rule import Rule

PACKS_DIR = Path(__file__).resolve().parent / "packs"
#: Short names accepted by ``--rules``.
BUILTIN_PACKS: dict[str, str] = {
    "qinzhou": "qinzhou-2023.yaml",
    "guangxi": "guangxi-2021.yaml",
    "jingdezhen": "jingdezhen-draft.yaml",
    "gb50180": "gb50180-2018.yaml",
    "qinzhou-health": "qinzhou-health-2023.yaml",
}
#: Rule ids of the seed extraction, by letter: highest number.
CATALOGUE: dict[str, int] = {"A": 30, "B": 30, "C": 19, "D": 7, "E": 11, "F": 11, "G": 19, "H": 5, "I": 5}
CUSTOM_PREFIXES = ("X", "GB")
PACK_KEYS = {"pack", "title", "title_zh", "description", "documents", "rules", "notes"}
RULE_KEYS = {"id", "kind", "title", "title_zh", "params", "applies_to", "source", "verified", "note", "note_zh"}
SOURCE_KEYS = {"document", "clause", "line", "quote", "quote_en", "checked", "url"}
_ID = re.compile(r"^(?P<letter>[A-Z]+)(?P<number>\d*)(?:[-.](?P<suffix>[A-Za-z0-9_.-]+))?$")


@dataclass
class Pack:
    """A validated rule pack."""

    name: str
    title: str
    path: Path
    rules: list[Rule]
    documents: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    notes: str = ""
    title_zh: str = ""

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def select(self, ids: list[str]) -> Pack:
        """A copy with only the rules ``ids`` (unknown ids are an error listing the known ones)."""
        known = [r.id for r in self.rules]
        missing = [i for i in ids if i not in known]
        if missing:
            raise InputError(f"unknown rule id(s) {', '.join(missing)} for pack {self.name}", path=self.path,
                             hint=f"The pack has {', '.join(known)}")
        return Pack(self.name, self.title, self.path, [r for r in self.rules if r.id in ids],
                    self.documents, self.description, self.notes, self.title_zh)


def resolve_pack(name_or_path: str | Path) -> Path:
    """Path of a built-in pack name (qinzhou, guangxi, jingdezhen, gb50180) or of a pack file."""
    text = str(name_or_path)
    if text in BUILTIN_PACKS:
        return PACKS_DIR / BUILTIN_PACKS[text]
    stem = text.removesuffix(".yaml")
    for file in BUILTIN_PACKS.values():
        if file.removesuffix(".yaml") == stem:
            return PACKS_DIR / file
    p = Path(text).expanduser()
    if p.exists():
        return p
    raise InputError(f"no rule pack '{text}'",
                     hint=f"Use one of {', '.join(BUILTIN_PACKS)} or the path of a pack YAML file")


def check_rule_id(rule_id: str) -> str | None:
    """None when ``rule_id`` is allowed, else the reason why not."""
    m = _ID.match(rule_id)
    if not m:
        return "ids look like A4, C1-2023 or X1"
    letter, number = m.group("letter"), m.group("number")
    if letter.startswith(CUSTOM_PREFIXES):
        return None
    if letter in CATALOGUE and number and 1 <= int(number) <= CATALOGUE[letter]:
        return None
    known = ", ".join(f"{k}1-{k}{v}" for k, v in CATALOGUE.items())
    return f"the seed extraction defines {known}; name your own rules X1, X2, ..."


def _type_ok(value: Any, kind: str) -> bool:
    if kind.endswith("?"):
        if value is None:
            return True
        kind = kind[:-1]
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "list[str]":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == "list[number]":
        return isinstance(value, list) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    if kind == "mapping":
        return isinstance(value, dict)
    raise ValueError(kind)


def _line_of(mapping: dict[str, Any], key: str | None = None) -> int:
    if key is not None and key in mapping.get("__lines__", {}):
        return int(mapping["__lines__"][key])
    return int(mapping.get("__line__", 0))


def load_pack(name_or_path: str | Path) -> Pack:
    """Load and validate a rule pack.

    Parameters
    ----------
    name_or_path
        A built-in name (``qinzhou``, ``guangxi``, ``jingdezhen``, ``gb50180``) or a YAML path.

    Raises
    ------
    InputError
        Naming the file and line of the first problem.
    """
    path = resolve_pack(name_or_path)
    raw = load_yaml_with_lines(path, "rule pack")

    def fail(line: int, message: str, hint: str | None = None) -> InputError:
        return InputError(f"line {line}: {message}", path=path, hint=hint)

    if not isinstance(raw, dict):
        raise fail(1, "a rule pack must be a mapping with 'pack' and 'rules'")
    for key in raw:
        if key not in ("__lines__", "__line__") and key not in PACK_KEYS:
            raise fail(_line_of(raw, key), f"unknown key '{key}'", f"A pack has {', '.join(sorted(PACK_KEYS))}")
    for key in ("pack", "rules"):
        if key not in raw:
            raise fail(1, f"the pack has no '{key}'")
    if not isinstance(raw["rules"], list) or not raw["rules"]:
        raise fail(_line_of(raw, "rules"), "'rules' must be a non-empty list")
    documents = strip_lines(raw.get("documents") or {})
    registry = rule_kinds()
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for item in raw["rules"]:
        if not isinstance(item, dict):
            raise fail(_line_of(raw, "rules"), "each rule must be a mapping with id, kind, params, source")
        line = _line_of(item)
        for key in item:
            if key not in ("__lines__", "__line__") and key not in RULE_KEYS:
                raise fail(_line_of(item, key), f"unknown key '{key}' in a rule",
                           f"A rule has {', '.join(sorted(RULE_KEYS))}")
        for key in ("id", "kind", "source"):
            if key not in item:
                raise fail(line, f"the rule has no '{key}'")
        rule_id = str(item["id"])
        why = check_rule_id(rule_id)
        if why:
            raise fail(_line_of(item, "id"), f"unknown rule id '{rule_id}'", why)
        if rule_id in seen:
            raise fail(_line_of(item, "id"), f"rule id '{rule_id}' is used twice (first on line {seen[rule_id]})")
        seen[rule_id] = _line_of(item, "id")
        kind_name = str(item["kind"])
        if kind_name not in registry:
            raise fail(_line_of(item, "kind"), f"rule {rule_id}: unknown rule kind '{kind_name}'",
                       f"Known kinds: {', '.join(sorted(registry))}")
        params = _check_params(rule_id, kind_name, item.get("params") or {}, _line_of(item, "params"), line, fail)
        applies = _check_applies(rule_id, item.get("applies_to") or {}, _line_of(item, "applies_to"), fail)
        source = item["source"]
        if not isinstance(source, dict):
            raise fail(_line_of(item, "source"), f"rule {rule_id}: 'source' must be a mapping with document, clause, line, quote")
        for key in source:
            if key not in ("__lines__", "__line__") and key not in SOURCE_KEYS:
                raise fail(_line_of(source, key), f"rule {rule_id}: unknown source key '{key}'",
                           f"Use {', '.join(sorted(SOURCE_KEYS))}")
        for key in ("document", "quote"):
            if not source.get(key):
                raise fail(_line_of(item, "source"), f"rule {rule_id}: the source needs a '{key}'")
        verified = item.get("verified")
        if verified is not None and not isinstance(verified, bool):
            raise fail(_line_of(item, "verified"), f"rule {rule_id}: 'verified' must be true or false")
        rules.append(Rule(
            id=rule_id, kind=kind_name, title=str(item.get("title", "") or ""), params=params,
            applies_to=applies, source={k: str(v) for k, v in strip_lines(source).items()},
            line=line, verified=verified, note=str(item.get("note", "") or ""), pack=str(raw["pack"]),
            title_zh=str(item.get("title_zh", "") or ""), note_zh=str(item.get("note_zh", "") or ""),
        ))
    return Pack(name=str(raw["pack"]), title=str(raw.get("title", "") or ""), path=path, rules=rules,
                documents=documents, description=str(raw.get("description", "") or ""),
                notes=str(raw.get("notes", "") or ""), title_zh=str(raw.get("title_zh", "") or ""))


def _check_params(rule_id: str, kind_name: str, params_raw: Any, params_line: int, rule_line: int,
                  fail: Callable[..., InputError], *, fill_defaults: bool = True) -> dict[str, Any]:
    """Validated parameters of a rule (defaults filled in); errors name the line."""
    spec = rule_kinds()[kind_name].params
    if not isinstance(params_raw, dict):
        raise fail(params_line, f"rule {rule_id}: 'params' must be a mapping")
    params: dict[str, Any] = {}
    for key, value in params_raw.items():
        if key in ("__lines__", "__line__"):
            continue
        if key not in spec:
            raise fail(_line_of(params_raw, key), f"rule {rule_id}: unknown parameter '{key}' for kind {kind_name}",
                       f"Parameters of {kind_name}: {', '.join(spec) or 'none'}")
        p: Param = spec[key]
        value = strip_lines(value)
        if not _type_ok(value, p.type):
            raise fail(_line_of(params_raw, key), f"rule {rule_id}: parameter '{key}' must be {p.type}, not {value!r}")
        if p.choices and value not in p.choices:
            raise fail(_line_of(params_raw, key), f"rule {rule_id}: parameter '{key}' is '{value}'",
                       f"Use one of {', '.join(p.choices)}")
        params[key] = value
    if fill_defaults:
        for key, p in spec.items():
            if key not in params:
                if p.default is REQUIRED:
                    raise fail(rule_line, f"rule {rule_id}: missing parameter '{key}' for kind {kind_name}")
                params[key] = p.default
    return params


def _check_applies(rule_id: str, applies: Any, line: int, fail: Callable[..., InputError]) -> dict[str, Any]:
    """Validated ``applies_to`` filter (single strings become one-element lists)."""
    if not isinstance(applies, dict):
        raise fail(line, f"rule {rule_id}: 'applies_to' must be a mapping")
    out: dict[str, Any] = {}
    for key, value in applies.items():
        if key in ("__lines__", "__line__"):
            continue
        if key not in APPLIES_TO_KEYS:
            raise fail(_line_of(applies, key), f"rule {rule_id}: unknown applies_to key '{key}'",
                       f"Use {', '.join(APPLIES_TO_KEYS)}")
        want = APPLIES_TO_KEYS[key]
        value = strip_lines(value)
        if want == "list[str]" and isinstance(value, str):
            value = [value]
        if not _type_ok(value, want):
            raise fail(_line_of(applies, key), f"rule {rule_id}: applies_to '{key}' must be {want}")
        out[key] = value
    return out


def apply_overrides(pack: Pack, overrides: Any, path: Path) -> Pack:
    """A copy of ``pack`` with per-rule ``params``/``applies_to`` replaced (a scenario's ``overrides``).

    ``overrides`` maps rule ids to ``{params: {...}, applies_to: {...}}``; it is validated
    like a pack (unknown rule ids, keys or parameters name the line of ``path``).
    """
    import copy

    def fail(line: int, message: str, hint: str | None = None) -> InputError:
        return InputError(f"line {line}: {message}", path=path, hint=hint)

    out = copy.deepcopy(pack)
    if not isinstance(overrides, dict):
        raise fail(0, "'overrides' must map rule ids to {params: ..., applies_to: ...}")
    for rule_id, change in overrides.items():
        if rule_id in ("__lines__", "__line__"):
            continue
        line = _line_of(overrides, rule_id)
        try:
            rule = out.rule(str(rule_id))
        except KeyError:
            raise fail(line, f"unknown rule id '{rule_id}' in overrides",
                       f"Pack {pack.name} has {', '.join(r.id for r in pack.rules)}") from None
        if not isinstance(change, dict):
            raise fail(line, f"overrides for {rule_id} must be a mapping with params and/or applies_to")
        for key in change:
            if key not in ("__lines__", "__line__", "params", "applies_to"):
                raise fail(_line_of(change, key), f"unknown key '{key}' in overrides for {rule_id}", "Use params or applies_to")
        if "params" in change:
            rule.params.update(_check_params(rule.id, rule.kind, change["params"] or {}, _line_of(change, "params"),
                                             line, fail, fill_defaults=False))
        if "applies_to" in change:
            rule.applies_to = _check_applies(rule.id, change["applies_to"] or {}, _line_of(change, "applies_to"), fail)
        rule.note = (rule.note + " " if rule.note else "") + f"Changed by the scenario ({path.name} line {line})."
        rule.note_zh = (rule.note_zh or "") + f"本研究的场景文件修改了此规则（{path.name} 第 {line} 行）。"
    return out
