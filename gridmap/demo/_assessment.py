"""Demo assessments: survey answers that fit each household's tier (mostly), scored by
the engine. About one in fourteen answers does not fit, so the mismatch list has
real work on it (a household that scores 77 but is tagged green)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from gridmap import schema
from gridmap.assessment import Config, score_table

_NEED = {"red": (0.8, 1.0), "orange": (0.6, 0.85), "yellow": (0.4, 0.7), "green": (0.0, 0.4)}
_SHARE = {"red": 1.0, "orange": 1.0, "yellow": 0.15, "green": 0.05}


def _choice(rng, u: np.ndarray, options: list[str]) -> np.ndarray:
    """Worse options (listed first) more likely as need ``u`` rises."""
    k = len(options)
    pick = np.clip(((1 - u) * k + rng.normal(0, 0.6, len(u))).astype(int), 0, k - 1)
    return np.array(options, dtype=object)[pick]


def answers_for(u: np.ndarray, categories: pd.Series, rng: np.random.Generator
                ) -> pd.DataFrame:
    """Plausible answers for households with need ``u`` (0 = none, 1 = extreme)."""
    n = len(u)
    r = lambda: rng.random(n)  # noqa: E731
    cats = categories.fillna("").to_numpy(dtype=str)
    has = lambda name: np.char.find(cats, name) >= 0  # noqa: E731
    # About a third are poor by what they must spend (illness, schooling), not by income.
    ui = np.where(r() < 0.35, u * 0.35, u)
    return pd.DataFrame({
        "income_per_capita": np.round(3600 * (1 - ui) ** 1.6 + rng.normal(250, 120, n).clip(0)),
        "income_change": _choice(rng, ui * r() ** 0.2, ["大幅减少", "有所减少", "基本稳定",
                                                         "增加"]),
        "medical_ratio": np.round(np.where(ui < u, 0.5 + 0.5 * u * r(), u * 0.9 * r() ** 0.4), 2),
        "education_ratio": np.round(np.where(r() < 0.4, u * 0.6 * r() ** 0.5, 0.0), 2),
        "debt": np.round(u * 160_000 * r(), -2),
        "severe_illness": rng.binomial(2, np.where(ui < u, 0.8, 0.55) * u).astype(float),
        "severe_disability": np.where(has("重病重残"), 1.0, rng.binomial(1, 0.3 * u)),
        "chronic": r() < 0.2 + 0.7 * u,
        "labour": _choice(rng, ui, ["无劳动力", "弱劳动力", "有劳动力"]),
        "unemployed": rng.binomial(2, 0.5 * ui).astype(float),
        "housing": _choice(rng, u * r() ** 0.2, ["危房", "无自有住房租住", "老旧住房",
                                                  "安全住房"]),
        "facilities": r() < 0.6 * u,
        "remote": r() < 0.1 + 0.5 * u,
        "alone": has("独居老人") | (r() < 0.4 * u),
        "over_80": rng.binomial(1, 0.15 + 0.4 * u).astype(float),
        "children_uncared": np.where(has("事实无人抚养") | has("孤儿") | (r() < 0.2 * u),
                                     1.0, 0.0),
        "accident": r() < 0.4 * u,
        "guardianship_risk": r() < 0.02 + 0.3 * u,
        "hazard": r() < 0.05 + 0.6 * u,
        "savings": np.round(60_000 * (1 - ui) ** 2 * r(), -2),
        "properties": (r() < 0.95 - 0.9 * u).astype(float),
        "uninsured": rng.binomial(1, 0.4 * u).astype(float),
        "vehicle_value": np.where(r() < 0.02, 150_000.0, 0.0),
        "business": r() < 0.03,
        "public_employee": r() < 0.01,
        "family_support": _choice(rng, 1 - u, ["稳定支持", "部分支持", "无支持"]),
        "skills": r() < 0.05 + 0.5 * (1 - u),
        "willing": r() < 0.5,
    })


def assessments(households: pd.DataFrame, primary_of_grid: pd.Series, config: Config,
                city_code: str, rng: np.random.Generator, as_of) -> pd.DataFrame:
    """One assessment for every red and orange household and a sample of the others."""
    tier = households["tier"].to_numpy()
    chosen = np.flatnonzero(rng.random(len(tier)) < pd.Series(tier).map(_SHARE).to_numpy())
    lo, hi = (pd.Series(tier[chosen]).map(lambda t, i=i: _NEED[t][i]).to_numpy()
              for i in (0, 1))
    tiers = tier[chosen]
    categories = households["categories"].iloc[chosen].reset_index(drop=True)
    # Draw a few answer sets and keep, per household, the first that fits its tier;
    # about one in fourteen keeps its first draw whatever it says (the mismatches).
    answers = scored = None
    settled = rng.random(len(chosen)) < 0.07
    for _ in range(5):
        draw = answers_for(rng.uniform(lo, hi), categories, rng)
        result = score_table(draw, config)
        if answers is None:
            answers, scored = draw, result
        take = ~settled & (result["suggested_tier"].to_numpy() == tiers)
        answers.loc[take], scored.loc[take] = draw.loc[take], result.loc[take]
        settled |= take
    dims = [d.key for d in config.dimensions]
    ids = households["household_id"].to_numpy()[chosen]
    when = (pd.Timestamp(as_of) - pd.to_timedelta(rng.integers(0, 180, len(chosen)), "D")
            ).normalize() + pd.to_timedelta(rng.integers(9 * 60, 17 * 60, len(chosen)), "min")
    return pd.DataFrame({
        "assessment_id": [f"A{city_code}{i:07d}" for i in range(len(chosen))],
        "household_id": ids, "assessed_at": when,
        "assessor": primary_of_grid.reindex(households["grid_id"].to_numpy()[chosen]
                                            ).to_numpy(),
        "config_version": config.version, "score": scored["score"].to_numpy(),
        "conclusion": scored["conclusion"].to_numpy(),
        "suggested_tier": scored["suggested_tier"].to_numpy(),
        "suggested_items": scored["suggested_items"].replace("", None).to_numpy(),
        "contributions": [json.dumps(r, ensure_ascii=False)
                          for r in scored[dims].to_dict("records")],
        "answers": [json.dumps(r, ensure_ascii=False) for r in answers.to_dict("records")],
    }).astype({"score": float}).reindex(columns=schema.LAYERS["assessments"].column_names)


def example_survey(households: pd.DataFrame, config: Config, *, n: int = 50,
                   seed: int = 3) -> pd.DataFrame:
    """The shipped example survey (``data/examples/assessment_survey.xlsx``): ``n``
    households' answers under Chinese headers, with four malformed rows to show how
    problems are reported."""
    rng = np.random.default_rng(seed)
    picked = households.sample(n, random_state=seed).reset_index(drop=True)
    u = picked["tier"].map(lambda t: float(np.mean(_NEED[t]))).to_numpy()
    answers = answers_for(u, picked["categories"], rng)
    table = pd.DataFrame({"户编号": picked["household_id"]})
    for ind in config.indicators:
        column = answers[ind.key]
        if ind.type == "bool":
            column = column.map({True: "是", False: "否"})
        table[ind.name] = column.to_numpy(dtype=object)
    name = {i.key: i.name for i in config.indicators}
    table.loc[7, name["labour"]] = "中等"            # not an allowed answer
    table.loc[15, name["income_per_capita"]] = "约一千"  # not a number
    table.loc[23, "户编号"] = None                   # no household
    table.loc[31, name["alone"]] = "不清楚"          # not yes or no
    return table
