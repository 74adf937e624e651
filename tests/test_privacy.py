"""Masks, suppression and device tokens (gridmap.privacy, gridmap.access)."""

import pandas as pd
import pytest

from gridmap import access, privacy
from gridmap.errors import NotFoundError, ValidationError


def test_masks():
    assert privacy.mask_name("张三") == "张*"
    assert privacy.mask_name("王小明") == "王**"
    assert privacy.mask_name("欧阳明月") == "欧阳**"
    assert privacy.mask_id("320102199001011234") == "3201**********1234"
    assert privacy.mask_phone("13812345678") == "138****5678"
    assert privacy.mask_address("京口区正东路街道中山东路12号3单元") == "京口区正东路" + "*" * 12
    assert privacy.mask_name(None) is None and privacy.mask_id("") == ""
    frame = pd.DataFrame({"head_name": ["李四"], "id_number": ["320102199001011234"],
                          "alias": ["枫里-00001"]})
    out = privacy.masked(frame)
    assert out.iloc[0].tolist() == ["李*", "3201**********1234", "枫里-00001"]
    assert frame.iloc[0, 0] == "李四"  # the original is untouched


@pytest.mark.parametrize("value, shown", [(0, 0), (1, "<5"), (4, "<5"), (5, 5), (120, 120)])
def test_suppress_count(value, shown):
    assert privacy.suppress_count(value, 5) == shown


def test_tokens_grant_screen_only_and_keep_only_a_hash(any_store):
    token = any_store.create_token("大屏一号", "screen")
    assert len(token) >= 40
    stored = any_store.read("tokens")
    assert token not in stored.to_csv()  # only its hash is kept
    assert access.role_for_token(stored, token) == "screen"
    assert access.role_for_token(stored, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert access.role_for_token(stored, "") is None
    with pytest.raises(ValidationError):
        any_store.create_token("管理", "admin")
    with pytest.raises(ValidationError):
        any_store.create_token("大屏一号", "screen")  # names are unique
    any_store.revoke_token("大屏一号")
    assert access.role_for_token(any_store.read("tokens"), token) is None
    with pytest.raises(NotFoundError):
        any_store.revoke_token("大屏一号")


def test_cli_token_create_list_revoke(small_store, capsys):
    from gridmap import cli
    store = ["--store", str(small_store.path)]
    assert cli.main(["token", "create", "--role", "screen", "--name", "lobby", *store]) == 0
    token = capsys.readouterr().out.strip()
    assert access.role_for_token(small_store.read("tokens"), token) == "screen"
    assert cli.main(["token", "list", *store]) == 0
    assert "lobby,screen" in capsys.readouterr().out
    assert cli.main(["token", "revoke", "lobby", *store]) == 0
    assert access.role_for_token(small_store.read("tokens"), token) is None
    assert cli.main(["token", "revoke", "lobby", *store]) == 2


def test_nothing_derived_gives_a_suppressed_count_back():
    # 3 of the week's 76: its share (3.9 %), change and rank would each give it back, and
    # the other rows' shares give the total (76), from which the shown counts subtract.
    table = pd.DataFrame({"kind": ["a", "a", "a", "b"], "count": [50, 23, 3, 8],
                          "previous": [40, 2, 9, 8], "share_pct": [65.8, 30.3, 3.9, 100.0],
                          "rank": [1, 2, 3, 1], "change": [10, 21, -6, 0]})
    shown = privacy.suppress_derived(
        table, 5, {"share_pct": ("count",), "rank": ("count",),
                   "change": ("count", "previous")}, shares=("share_pct",), by="kind")
    H = privacy.HIDDEN
    assert shown["count"].tolist() == [50, 23, "<5", 8]
    assert shown["previous"].tolist() == [40, "<5", 9, 8]
    assert shown.loc[2, ["share_pct", "rank", "change"]].tolist() == [H, H, H]
    assert shown.loc[1, "change"] == H  # against a suppressed count
    assert shown["share_pct"].tolist() == [H, H, H, 100.0]  # kind b has no small count
    assert shown.loc[[0, 1, 3], "rank"].tolist() == [1, 2, 1]
    assert shown.loc[[0, 3], "change"].tolist() == [10, 0]
    assert table.loc[2, "share_pct"] == 3.9  # the original is untouched


def test_a_breakdown_is_withheld_where_any_part_is_suppressed():
    # Beside a total of 12, "red <5, green 9" would give red = 3.
    parts = pd.DataFrame({"red": [3, 5, 0], "orange": [0, 7, 0], "green": [9, 10, 0]})
    shown = privacy.suppress_breakdown(parts, 5)
    assert shown.loc[0].tolist() == [privacy.HIDDEN] * 3
    assert shown.loc[1].tolist() == [5, 7, 10] and shown.loc[2].tolist() == [0, 0, 0]
