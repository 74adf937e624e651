"""The audit log in words: who (the account and its role), did what, to what, and what
changed, in the reader's language. The store keeps actions as names and details as
JSON (``{"to_stage": "claimed"}``); this turns each row into a sentence-like line
(``环节：已认领``). Pure: frames in, a frame out.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd

from gridmap.i18n import MESSAGES, label, label_list, normalise_language, t

# Detail keys whose value is an id to be named (``name_of``), and those holding a list
# of vocabulary values.
_NAMED = {"target", "worker_id", "scope", "visit_id", "case", "actor"}
_LISTS = {"assistance", "referrals", "categories"}


def action_text(action: str, lang: str) -> str:
    """An audit action (``advance_need``) in words (推进微心愿); unknown ones as they are."""
    key = f"audit.action.{action}"
    return t(key, lang) if key in MESSAGES else action


def _value(key: str, value, lang: str, name_of: Callable[[str], str]) -> str:
    if value is None or value == "":
        return t("audit.none", lang)
    if isinstance(value, bool):
        return t("audit.yes" if value else "audit.no", lang)
    if isinstance(value, list) and len(value) == 2 and key in ("disabled", "role", "scope",
                                                                "worker_id"):
        return " → ".join(_value(key, v, lang, name_of) for v in value)
    if isinstance(value, list):
        return "、".join(_value(key, v, lang, name_of) for v in value)
    text = str(value)
    if key == "reason":
        reason = f"audit.reason.{text.replace(' ', '_')}"
        return t(reason, lang) if reason in MESSAGES else text
    if key == "source":
        source = f"audit.source.{text}"
        return t(source, lang) if source in MESSAGES else text
    if key in _LISTS:
        return label_list(text, lang)
    if key in _NAMED:
        return name_of(text)
    if key == "password":
        return t("audit.password_reset", lang)
    return label(text, lang)


def detail_text(detail: str | None, lang: str,
                name_of: Callable[[str], str] = lambda v: v) -> str:
    """A row's detail JSON in words: ``{"to_stage": "claimed"}`` -> 环节：已认领."""
    if not isinstance(detail, str) or not detail.strip():
        return ""
    try:
        data = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(data, dict):
        return str(data)
    sep = "；" if normalise_language(lang) == "zh" else "; "
    colon = "：" if normalise_language(lang) == "zh" else ": "
    parts = []
    for key, value in data.items():
        name = f"audit.key.{key}"
        parts.append((t(name, lang) if name in MESSAGES else key) + colon
                     + _value(key, value, lang, name_of))
    return sep.join(parts)


def readable(audit: pd.DataFrame, roles: dict[str, str], lang: str,
             name_of: Callable[[str], str] = lambda v: v) -> pd.DataFrame:
    """``audit`` rows as a reader sees them: ``at`` (to the second), ``username`` (the
    account and its role, from ``roles``: user name -> role), ``action``, ``target``
    and ``detail`` in words. ``name_of`` names an id (a household's alias, a worker's
    name, an area's name), or returns it unchanged."""
    def who(name: str) -> str:
        role = roles.get(name)
        if role is None:
            return name
        return f"{name}（{label(role, lang)}）" if normalise_language(lang) == "zh" \
            else f"{name} ({label(role, lang)})"
    return pd.DataFrame({
        "at": pd.to_datetime(audit["at"]).dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy(),
        "username": [who(u) for u in audit["username"]],
        "action": [action_text(a, lang) for a in audit["action"]],
        "target": [name_of(v) if isinstance(v, str) and v else "" for v in audit["target"]],
        "detail": [detail_text(d, lang, name_of) for d in audit["detail"]],
    })


_EVENT_NAMED = {"visit", "order"}


def event_text(detail: str | None, lang: str,
               name_of: Callable[[str], str] = lambda v: v) -> str:
    """A case's or need's event detail (``stages``: ``source=visit; urgency=ordinary``)
    in words: 渠道：走访发现；紧急程度：一般."""
    if not isinstance(detail, str) or not detail.strip():
        return ""
    zh = normalise_language(lang) == "zh"
    parts = []
    for part in detail.split("; "):
        key, found, value = part.partition("=")
        if not found:
            parts.append(part)
            continue
        names = [k for k in (f"event.key.{key}", f"map.col.{key}") if k in MESSAGES]
        if key in _LISTS:
            shown = label_list(value, lang)
        elif key in _EVENT_NAMED:
            shown = name_of(value)
        elif key == "aid_amount":
            shown = t("event.yuan", lang, amount=f"{float(value):,.0f}")
        else:
            shown = label(value, lang)
        parts.append((t(names[0], lang) if names else key) + ("：" if zh else ": ") + shown)
    return ("；" if zh else "; ").join(parts)
