"""Masks, suppression and device tokens (gridmap.privacy, gridmap.access)."""

import pandas as pd
import pytest

from gridmap import access, privacy
from gridmap._errors import NotFoundError, ValidationError


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
