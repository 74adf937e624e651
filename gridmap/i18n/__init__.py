"""The translation layer: every user-visible string, in Chinese (default) and English.

The text lives in per-language catalogue files beside this module:
``messages.<lang>.toml`` (UI messages, ``"area.thing" = "text"``) and
``labels.<lang>.toml`` (display names of schema values, keyed by vocabulary:
``"tier.red"``, ``"method.volunteer"``). ``t(key, lang)`` looks a message up;
``label(value, lang, vocabulary)`` names a schema value of that vocabulary; without
one, the value's first vocabulary in the file names it (the same word in two
vocabularies may read differently: a visit by a volunteer is 志愿者代访, a case a
volunteer reported 志愿者发现).
A key missing in either language is a test failure (tests/test_i18n.py).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
_HERE = Path(__file__).parent


def _catalogue(kind: str) -> dict[str, tuple[str, ...]]:
    """``{key: (zh, en)}`` from ``kind.<lang>.toml``, one file per language."""
    per_language = [tomllib.loads((_HERE / f"{kind}.{lang}.toml").read_text("utf-8"))
                    for lang in LANGUAGES]
    keys = dict.fromkeys(k for texts in per_language for k in texts)
    return {key: tuple(texts.get(key, "") for texts in per_language) for key in keys}


MESSAGES: dict[str, tuple[str, ...]] = _catalogue("messages")
LABELS: dict[str, tuple[str, ...]] = _catalogue("labels")  # "vocabulary.value" -> texts
# A bare value -> its first scoped key ("red" -> "tier.red"), for callers without one.
_FIRST: dict[str, str] = {}
for _key in LABELS:
    _FIRST.setdefault(_key.partition(".")[2], _key)
VOCABULARIES = tuple(dict.fromkeys(k.partition(".")[0] for k in LABELS))
# A table column -> the vocabulary of its values (``localise_frame``).
COLUMN_VOCABULARY = {"tier": "tier", "from_tier": "tier", "to_tier": "tier",
                     "suggested_tier": "tier", "grid_type": "grid_type", "level": "level",
                     "method": "method", "source": "case_source", "urgency": "urgency",
                     "stage": "case_stage", "from_stage": "case_stage",
                     "to_stage": "case_stage", "judgement": "judgement",
                     "helper_kind": "helper_kind", "conclusion": "conclusion",
                     "risk": "risk", "placement": "placement", "outcome": "outcome",
                     "unit": "unit", "role": "role", "status": "workload"}

# Columns that hold several vocabulary values joined by schema.CATEGORY_SEPARATOR.
LISTS = ("categories", "assistance", "referrals", "suggested_items")


def normalise_language(value: str | None) -> str:
    """``'en'``, ``'EN'``, ``'en-GB'`` -> ``'en'``; anything unknown -> Chinese."""
    code = (value or "").lower()[:2]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values) -> str:
    """The message ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``."""
    text = MESSAGES[key][LANGUAGES.index(normalise_language(lang))]
    return text.format(**values) if values else text


def label(value: str, lang: str = DEFAULT_LANGUAGE, vocabulary: str | None = None) -> str:
    """The display name of a schema value of ``vocabulary`` (``tier``, ``method``, ...);
    without one, or for a value it does not hold, of the value's first vocabulary.
    Unknown values pass through."""
    scoped = f"{vocabulary}.{value}"
    texts = LABELS.get(scoped) if vocabulary and scoped in LABELS else \
        LABELS.get(_FIRST.get(value, ""))
    return texts[LANGUAGES.index(normalise_language(lang))] if texts else value


def label_list(value: str, lang: str = DEFAULT_LANGUAGE, vocabulary: str | None = None
               ) -> str:
    """Several schema values joined by ';' (``低保;独居老人``), each named in ``lang``."""
    parts = [label(v.strip(), lang, vocabulary) for v in value.split(";") if v.strip()]
    return ("、" if normalise_language(lang) == "zh" else ", ").join(parts)


def localise_frame(frame, lang: str = DEFAULT_LANGUAGE, *, prefix: str = "col."):
    """A copy of ``frame`` for display: headers from ``prefix + column``, schema values
    (tiers, kinds, roles, ...) named in ``lang``."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or str(out[column].dtype) in ("str", "string"):
            name = label_list if column in LISTS else label
            vocabulary = COLUMN_VOCABULARY.get(column)
            out[column] = out[column].map(lambda v, f=name, c=vocabulary: f(v, lang, c)
                                          if isinstance(v, str) else v)
            out[column] = out[column].where(out[column].notna(), "")
    return out.rename(columns={c: t(prefix + c, lang) for c in out.columns
                               if prefix + c in MESSAGES})
