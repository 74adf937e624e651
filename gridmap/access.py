"""Who may see what: roles and the tokens that log a device in unattended.

A token is a long random string (``secrets.token_urlsafe``, 256 bits) put in a
screen's URL; the store keeps only its SHA-256, so a copy of the store does not
give the token away. A token grants one role from ``schema.TOKEN_ROLES``
(``screen``: aggregates only) and nothing more.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import pandas as pd

TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh token (43 URL-safe characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def role_for_token(tokens: pd.DataFrame, token: str | None) -> str | None:
    """The role ``token`` grants (``None`` if unknown, revoked or empty)."""
    if not token or len(token) < 20:
        return None
    digest = token_hash(token)
    live = tokens[tokens["revoked_at"].isna()]
    for stored, role in zip(live["token_sha256"], live["role"], strict=True):
        if hmac.compare_digest(stored, digest):
            return role
    return None
