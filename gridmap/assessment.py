"""Multidimensional assessment (多维评估): answers → score, conclusion, tier, assistance.

The indicator system is configuration (``data/assessment.toml``), validated on load.
Scoring is vectorised over a table of households (one column per indicator key):

- each indicator turns an answer into a share between 0 and 1 (a ``choice`` by its
  value table, a ``number`` by bands, a ``bool`` as 1 or 0); its points are share ×
  weight. The weights of the scored dimensions add up to 100;
- a ``deduct`` dimension (the family's own capacity to cope) subtracts its points,
  never below zero in total, so the dimension contributions always sum to the score;
- a veto either excludes (the conclusion is 'normal') or caps the score, scaling the
  contributions down with it;
- the conclusion is normal / poverty_risk / expenditure_poverty / income_poverty by
  the thresholds; poverty is expenditure-type or income-type by which tagged
  indicators weigh more; the suggested tier follows the score (normal is green);
- assistance items are suggested by rules on answers and the conclusion.
"""

from __future__ import annotations

import operator
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridmap import schema
from gridmap.errors import ValidationError
from gridmap.settings import DATA_DIR

DEFAULT_CONFIG = DATA_DIR / "assessment.toml"
CONCLUSIONS = schema.CONCLUSIONS
TYPES = ("number", "choice", "bool")
RULES = ("below", "at_least")
EFFECTS = ("exclude", "cap")
_OPS = {"==": operator.eq, "!=": operator.ne, ">": operator.gt, ">=": operator.ge,
        "<": operator.lt, "<=": operator.le}
OPS = (*_OPS, "in")


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str  # the question, and the survey's column header
    dimension: str
    type: str
    weight: float
    values: dict[str, float] | None = None  # choice: answer -> share
    rule: str | None = None  # number: 'below' | 'at_least'
    bands: tuple[tuple[float, float], ...] = ()  # number: (bound, share), in order
    poverty_type: str | None = None  # 'income' | 'expenditure'
    # May be left out or blank (weight 0): e.g. an elder's care level, read by the service
    # catalogue's entitlement rule (issue 21), which older surveys do not have.
    optional: bool = False
    name_en: str | None = None  # the question in the English UI (``name`` stays the header)
    values_en: dict[str, str] | None = None  # choice: answer -> its English words

    def title(self, lang: str) -> str:
        """The question in ``lang``: ``name_en`` in English when given, else ``name``."""
        return _in_language(self.name, self.name_en, lang)

    def answer(self, value: str, lang: str) -> str:
        """A choice's answer in ``lang`` (the answer itself is what a survey holds)."""
        return _in_language(value, (self.values_en or {}).get(value), lang)


@dataclass(frozen=True)
class Dimension:
    key: str
    name: str
    deduct: bool = False
    name_en: str | None = None  # the name in the English UI

    def title(self, lang: str) -> str:
        """The dimension's name in ``lang``: ``name_en`` in English when given."""
        return _in_language(self.name, self.name_en, lang)


def _in_language(name: str, name_en: str | None, lang: str) -> str:
    return name_en if lang == "en" and name_en else name


@dataclass(frozen=True)
class Condition:
    indicator: str
    op: str
    value: Any

    def test(self, column: pd.Series) -> np.ndarray:
        if self.op == "in":
            return column.isin(list(self.value)).to_numpy()
        return np.asarray(_OPS[self.op](column, self.value), dtype=bool)


@dataclass(frozen=True)
class Veto:
    condition: Condition
    effect: str
    reason: str
    cap: float | None = None
    reason_en: str | None = None  # the reason in the English UI


@dataclass(frozen=True)
class ItemRule:
    item: str
    conclusions: tuple[str, ...] = ()
    any: tuple[Condition, ...] = ()
    all: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Config:
    version: str
    dimensions: tuple[Dimension, ...]
    indicators: tuple[Indicator, ...]
    poverty_risk: float
    poverty: float
    tiers: dict[str, float]  # red/orange/yellow -> lowest score
    vetoes: tuple[Veto, ...] = ()
    items: tuple[ItemRule, ...] = ()

    def indicator(self, key: str) -> Indicator:
        return next(i for i in self.indicators if i.key == key)

    @property
    def keys(self) -> list[str]:
        return [i.key for i in self.indicators]


# -- loading ------------------------------------------------------------------

def load_config(path: str | Path | None = None) -> Config:
    """Read and validate an assessment configuration (default ``data/assessment.toml``)."""
    path = Path(path or DEFAULT_CONFIG)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"not valid TOML: {exc}", source=str(path)) from exc
    return config_from_dict(raw, source=str(path))


def config_from_dict(raw: dict, *, source: str = "assessment") -> Config:
    """Validate a parsed configuration; a mistake raises ``ValidationError`` naming the key."""
    def fail(key: str, reason: str):
        raise ValidationError(reason, source=source, column=key)

    version = str(raw.get("version") or "")
    if not version:
        fail("version", "needs a version, stored with every assessment")
    dims = []
    for n, d in enumerate(raw.get("dimensions", [])):
        if not d.get("key") or not d.get("name"):
            fail(f"dimensions[{n}]", "needs a key and a name")
        dims.append(Dimension(d["key"], d["name"], bool(d.get("deduct", False)),
                              _text(d, "name_en", f"dimensions[{n}]", fail)))
    if not dims:
        fail("dimensions", "needs at least one dimension")
    for lang, names in (("zh", [d.name for d in dims]),
                        ("en", [d.title("en") for d in dims])):
        if len(set(names)) != len(names):  # the columns of a table and a chart
            twice = sorted({x for x in names if names.count(x) > 1})
            fail("dimensions.name" + ("_en" if lang == "en" else ""),
                 f"two dimensions have the same name: {twice}")
    dim_keys = {d.key for d in dims}
    indicators = [_indicator(i, n, dim_keys, fail) for n, i in enumerate(raw.get("indicators",
                                                                                   []))]
    if not indicators:
        fail("indicators", "needs at least one indicator")
    keys = [i.key for i in indicators]
    if len(set(keys)) != len(keys):
        twice = sorted({k for k in keys if keys.count(k) > 1})
        fail("indicators", f"duplicate indicator keys: {twice}")
    deducted = {d.key for d in dims if d.deduct}
    total = sum(i.weight for i in indicators if i.dimension not in deducted)
    if abs(total - 100) > 1e-6:
        fail("indicators.weight", f"the weights of the scored dimensions add up to {total:g}, "
             "not 100")
    thresholds = raw.get("thresholds", {})
    risk, poverty = thresholds.get("poverty_risk"), thresholds.get("poverty")
    if not (_number(risk) and _number(poverty) and 0 < risk < poverty <= 100):
        fail("thresholds", "needs 0 < poverty_risk < poverty <= 100")
    tiers = raw.get("tiers", {})
    if set(tiers) != {"red", "orange", "yellow"} or not all(_number(v) for v in tiers.values()):
        fail("tiers", "needs red, orange and yellow: the lowest score for each")
    if not 0 < tiers["yellow"] < tiers["orange"] < tiers["red"] <= 100:
        fail("tiers", "needs 0 < yellow < orange < red <= 100")
    by_key = {i.key: i for i in indicators}
    vetoes = []
    for n, v in enumerate(raw.get("vetoes", [])):
        where = f"vetoes[{n}]"
        condition = _condition(v, by_key, where, fail)
        if v.get("effect") not in EFFECTS:
            fail(f"{where}.effect", f"must be one of {', '.join(EFFECTS)}")
        cap = v.get("cap")
        if v["effect"] == "cap" and not (_number(cap) and 0 <= cap <= 100):
            fail(f"{where}.cap", "a cap needs a score from 0 to 100")
        vetoes.append(Veto(condition, v["effect"], str(v.get("reason") or v["indicator"]), cap,
                           _text(v, "reason_en", where, fail)))
    items = []
    for n, r in enumerate(raw.get("items", [])):
        where = f"items[{n}]"
        if r.get("item") not in schema.ASSISTANCE:
            fail(f"{where}.item",
                 f"{r.get('item')!r} is not one of {', '.join(schema.ASSISTANCE)}")
        conclusions = tuple(r.get("conclusions", ()))
        if set(conclusions) - set(CONCLUSIONS):
            fail(f"{where}.conclusions", f"must be some of {', '.join(CONCLUSIONS)}")
        anys = tuple(_condition(c, by_key, f"{where}.any", fail) for c in r.get("any", ()))
        alls = tuple(_condition(c, by_key, f"{where}.all", fail) for c in r.get("all", ()))
        if not (conclusions or anys or alls):
            fail(where, "needs conclusions, any or all")
        items.append(ItemRule(r["item"], conclusions, anys, alls))
    return Config(version, tuple(dims), tuple(indicators), float(risk), float(poverty),
                  {k: float(v) for k, v in tiers.items()}, tuple(vetoes), tuple(items))


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(raw: dict, key: str, where: str, fail) -> str | None:
    """An optional English text (``name_en``, ``reason_en``): absent, or words."""
    if key not in raw:
        return None
    value = raw[key]
    if not isinstance(value, str) or not value.strip():
        fail(f"{where}.{key}", "must be text (or left out)")
    return value.strip()


def _indicator(raw: dict, n: int, dims: set[str], fail) -> Indicator:
    where = f"indicators[{n}]" + (f" ({raw['key']})" if raw.get("key") else "")
    for key in ("key", "name", "dimension", "type"):
        if not raw.get(key):
            fail(f"{where}.{key}", "is missing")
    if raw["dimension"] not in dims:
        fail(f"{where}.dimension", f"{raw['dimension']!r} is not a dimension")
    if raw["type"] not in TYPES:
        fail(f"{where}.type", f"{raw['type']!r} is not one of {', '.join(TYPES)}")
    if "weight" not in raw:
        fail(f"{where}.weight", "is missing")
    if not _number(raw["weight"]) or raw["weight"] < 0:
        fail(f"{where}.weight", "must be a number, 0 or more")
    values, rule, bands = None, None, ()
    if raw["type"] == "choice":
        values = raw.get("values")
        if not values or not all(_number(v) and 0 <= v <= 1 for v in values.values()):
            fail(f"{where}.values", "a choice needs values, each with a share from 0 to 1")
    if raw["type"] == "number" and raw["weight"] > 0:
        rule = raw.get("rule")
        if rule not in RULES:
            fail(f"{where}.rule", f"must be one of {', '.join(RULES)}")
        bands = tuple(tuple(b) for b in raw.get("bands", ()))
        if not bands or not all(len(b) == 2 and _number(b[0]) and _number(b[1])
                                and 0 <= b[1] <= 1 for b in bands):
            fail(f"{where}.bands", "needs [bound, share] pairs with shares from 0 to 1")
        bounds = [b[0] for b in bands]
        ordered = sorted(bounds) if rule == "below" else sorted(bounds, reverse=True)
        if bounds != ordered:
            fail(f"{where}.bands", "bounds must rise for 'below' and fall for 'at_least'")
    kind = raw.get("poverty_type")
    if kind not in (None, "income", "expenditure"):
        fail(f"{where}.poverty_type", "must be income or expenditure")
    optional = raw.get("optional", False)
    if not isinstance(optional, bool) or (optional and raw["weight"] != 0):
        fail(f"{where}.optional", "must be true or false, and true only with weight 0")
    values_en = raw.get("values_en")
    if values_en is not None:
        if raw["type"] != "choice" or not isinstance(values_en, dict):
            fail(f"{where}.values_en", "only a choice has values_en: answer = English words")
        unknown = sorted(set(values_en) - set(values))
        if unknown:
            fail(f"{where}.values_en", f"{unknown} are not among its values")
        values_en = {k: _text(values_en, k, f"{where}.values_en", fail) for k in values_en}
    return Indicator(raw["key"], raw["name"], raw["dimension"], raw["type"],
                     float(raw["weight"]), values, rule, bands, kind, optional=optional,
                     name_en=_text(raw, "name_en", where, fail), values_en=values_en)


def _condition(raw: dict, indicators: dict[str, Indicator], where: str, fail) -> Condition:
    if raw.get("indicator") not in indicators:
        fail(f"{where}.indicator", f"{raw.get('indicator')!r} is not an indicator")
    if raw.get("op") not in OPS:
        fail(f"{where}.op", f"must be one of {' '.join(OPS)}")
    if "value" not in raw:
        fail(f"{where}.value", "is missing")
    return Condition(raw["indicator"], raw["op"], raw["value"])


# -- scoring --------------------------------------------------------------------

def shares(answers: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Each indicator's share (0..1) per household; answers must be valid (``check``)."""
    out = {}
    for ind in config.indicators:
        if ind.optional:  # no points, and may be missing
            out[ind.key] = np.zeros(len(answers))
            continue
        column = answers[ind.key]
        if ind.type == "bool":
            share = column.astype(bool).to_numpy(float)
        elif ind.type == "choice":
            share = column.map(ind.values).to_numpy(float)
        elif not ind.bands:
            share = np.zeros(len(column))
        else:
            x = column.to_numpy(float)
            share = np.zeros(len(x))
            done = np.zeros(len(x), bool)
            for bound, s in ind.bands:
                hit = ~done & ((x < bound) if ind.rule == "below" else (x >= bound))
                share[hit] = s
                done |= hit
        out[ind.key] = share
    return pd.DataFrame(out, index=answers.index)


def score_table(answers: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Score every household (row) of ``answers`` (columns = indicator keys).

    Columns: ``score``, one per dimension (contributions that sum to the score),
    ``conclusion``, ``suggested_tier``, ``suggested_items`` (joined by ';'),
    ``vetoes`` (reasons, joined by ';') and ``drivers`` (the three indicators that
    added most, 'key=points' joined by ';').
    """
    check(answers, config)
    share = shares(answers, config)
    points = pd.DataFrame({i.key: share[i.key] * i.weight for i in config.indicators},
                          index=answers.index)
    deducted = {d.key for d in config.dimensions if d.deduct}
    dims = pd.DataFrame({d.key: points[[i.key for i in config.indicators
                                        if i.dimension == d.key]].sum(axis=1)
                         for d in config.dimensions}, index=answers.index)
    positive = dims[[d for d in dims if d not in deducted]].sum(axis=1)
    deduction = dims[list(deducted)].sum(axis=1) if deducted else 0.0
    applied = np.minimum(deduction, positive)  # never below zero
    if deducted:
        ratio = np.where(deduction > 0, applied / np.maximum(deduction, 1e-12), 0.0)
        for d in deducted:
            dims[d] = -dims[d] * ratio
    total = positive - applied
    excluded = np.zeros(len(answers), bool)
    reasons = [[] for _ in range(len(answers))]
    for veto in config.vetoes:
        hit = veto.condition.test(answers[veto.condition.indicator])
        for i in np.flatnonzero(hit):
            reasons[i].append(veto.reason)
        if veto.effect == "exclude":
            excluded |= hit
        else:
            capped = hit & (total > veto.cap)
            factor = np.where(capped, veto.cap / np.maximum(total, 1e-12), 1.0)
            dims = dims.mul(factor, axis=0)
            total = total * factor
    conclusion = _conclusions(points, total, config, excluded)
    tier = np.select([conclusion == "normal", total >= config.tiers["red"],
                      total >= config.tiers["orange"], total >= config.tiers["yellow"]],
                     ["green", "red", "orange", "yellow"], "green")
    out = dims.round(2)
    out.insert(0, "score", np.round(total, 2))
    out["conclusion"] = conclusion
    out["suggested_tier"] = tier
    out["suggested_items"] = _items(answers, conclusion, config)
    out["vetoes"] = [";".join(r) for r in reasons]
    out["drivers"] = _drivers(points, config)
    return out


def _conclusions(points: pd.DataFrame, total, config: Config, excluded) -> np.ndarray:
    def tagged(kind):
        keys = [i.key for i in config.indicators if i.poverty_type == kind]
        return points[keys].sum(axis=1).to_numpy() if keys else np.zeros(len(points))
    poverty_kind = np.where(tagged("expenditure") > tagged("income"), "expenditure_poverty",
                            "income_poverty")
    total = np.asarray(total, float)
    conclusion = np.where(total >= config.poverty, poverty_kind,
                          np.where(total >= config.poverty_risk, "poverty_risk", "normal"))
    return np.where(excluded, "normal", conclusion).astype(object)


def _items(answers: pd.DataFrame, conclusion: np.ndarray, config: Config) -> list[str]:
    chosen = [[] for _ in range(len(answers))]
    for rule in config.items:
        ok = np.ones(len(answers), bool)
        if rule.conclusions:
            ok &= np.isin(conclusion, rule.conclusions)
        for c in rule.all:
            ok &= c.test(answers[c.indicator])
        if rule.any:
            ok &= np.logical_or.reduce([c.test(answers[c.indicator]) for c in rule.any])
        ok &= conclusion != "normal"  # a household judged normal gets no suggestion
        for i in np.flatnonzero(ok):
            chosen[i].append(rule.item)
    return [";".join(c) for c in chosen]


def _drivers(points: pd.DataFrame, config: Config, n: int = 3) -> list[str]:
    deducted = {d.key for d in config.dimensions if d.deduct}
    scored = [i.key for i in config.indicators if i.dimension not in deducted]
    values = points[scored].to_numpy()
    order = np.argsort(-values, axis=1, kind="stable")[:, :n]
    return [";".join(f"{scored[j]}={values[r, j]:g}" for j in row if values[r, j] > 0)
            for r, row in enumerate(order)]


def check(answers: pd.DataFrame, config: Config) -> None:
    """Refuse answers that are missing or not allowed, naming the row and indicator."""
    for ind in config.indicators:
        if ind.key not in answers and ind.optional:
            continue
        if ind.key not in answers:
            raise ValidationError("answer missing", column=ind.key)
        column = answers[ind.key].reset_index(drop=True)
        if ind.type == "choice":
            bad = ~column.isin(list(ind.values))
            reason = f"must be one of {', '.join(ind.values)}"
        elif ind.type == "bool":
            bad = ~column.isin([True, False])
            reason = "must be yes or no"
        else:
            numbers = pd.to_numeric(column, errors="coerce")
            bad = numbers.isna() | (numbers < 0)
            reason = "must be a number, 0 or more"
        if ind.optional:
            bad &= column.notna().to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValidationError(f"{column[row]!r} {reason}", row=row + 1, column=ind.key)


def score_one(answers: dict, config: Config) -> pd.Series:
    """``score_table`` for one household's answers."""
    return score_table(pd.DataFrame([answers]), config).iloc[0]


# -- stored assessments -----------------------------------------------------------

def latest(assessments: pd.DataFrame) -> pd.DataFrame:
    """Each household's most recent assessment."""
    ordered = assessments.sort_values(["assessed_at", "assessment_id"])
    return ordered.drop_duplicates("household_id", keep="last").reset_index(drop=True)


def mismatches(assessments: pd.DataFrame, households: pd.DataFrame) -> pd.DataFrame:
    """Households whose tier differs from their latest assessment's suggestion, the
    widest gaps first: ``household_id, alias, tier, suggested_tier, score, conclusion,
    assessed_at``."""
    last = latest(assessments).merge(households[["household_id", "alias", "tier"]],
                                     on="household_id")
    last = last[last["tier"] != last["suggested_tier"]].copy()
    rank = {t: i for i, t in enumerate(schema.TIERS)}
    last["gap"] = (last["tier"].map(rank) - last["suggested_tier"].map(rank)).abs()
    last = last.sort_values(["gap", "score"], ascending=[False, False])
    return last[["household_id", "alias", "tier", "suggested_tier", "score", "conclusion",
                 "assessed_at"]].reset_index(drop=True)


def contributions(assessments: pd.DataFrame) -> pd.DataFrame:
    """The stored per-dimension points as columns (one row per assessment)."""
    import json
    return pd.DataFrame([json.loads(c) for c in assessments["contributions"]],
                        index=assessments.index)


def area_profiles(assessments: pd.DataFrame, keys: pd.Series, config: Config) -> pd.DataFrame:
    """Average points per dimension per area, from each household's latest assessment:
    what kind of poverty dominates where. ``keys`` maps household id -> area id."""
    last = latest(assessments)
    points = contributions(last).reindex(columns=[d.key for d in config.dimensions])
    points["area_id"] = keys.reindex(last["household_id"]).to_numpy()
    points["score"] = last["score"].to_numpy()
    table = points.groupby("area_id").mean().round(1)
    table.insert(0, "assessed", points.groupby("area_id").size())
    return table.reset_index()
