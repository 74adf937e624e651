import re

from gridmap import i18n, schema


def test_every_message_exists_in_both_languages_with_the_same_placeholders():
    for key, (zh, en) in i18n.MESSAGES.items():
        assert zh and en, key
        assert set(re.findall(r"{(\w+)}", zh)) == set(re.findall(r"{(\w+)}", en)), key


def test_every_schema_value_has_a_label():
    values = (schema.TIERS + schema.GRID_TYPES + schema.WORKER_KINDS + schema.VISIT_METHODS
              + schema.LEVELS + schema.ASSIGNMENT_ROLES + schema.LOCATION_QUALITIES)
    for v in values:
        assert i18n.label(v) != v and i18n.label(v, "en") != v, v
    for vocabulary, values in (("tier", schema.TIERS), ("method", schema.VISIT_METHODS),
                               ("case_source", schema.CASE_SOURCES),
                               ("helper_kind", schema.HELPER_KINDS),
                               ("case_stage", schema.CASE_STAGES),
                               ("need_stage", schema.NEED_STAGES),
                               ("alert_stage", schema.ALERT_STAGES)):
        for v in values:
            assert f"{vocabulary}.{v}" in i18n.LABELS, (vocabulary, v)


def test_one_value_reads_as_its_vocabulary_says():
    assert i18n.label("volunteer", "zh", "method") == "志愿者代访"
    assert i18n.label("volunteer", "zh", "case_source") == "志愿者发现"
    assert i18n.label("volunteer", "zh", "worker_kind") == "志愿者"
    assert i18n.label("volunteer", "en", "method") == "Visit by a volunteer"
    assert i18n.label("red", "zh", "method") == "红色"  # not of it: its own vocabulary
    assert i18n.label("no such value", "en", "tier") == "no such value"
    import pandas as pd
    shown = i18n.localise_frame(pd.DataFrame({"method": ["volunteer"],
                                              "source": ["volunteer"]}), "zh")
    assert shown.iloc[0].tolist() == ["志愿者代访", "志愿者发现"]


def test_chinese_by_default_english_on_request():
    assert i18n.t("overview.title") == "概览"
    assert i18n.t("overview.title", "en") == "Overview"
    assert i18n.t("overview.as_of", "en", date="2026-11-20") == "As of 2026-11-20"
    assert i18n.label("red") == "红色" and i18n.label("red", "en") == "Red"
    assert i18n.normalise_language("EN-gb") == "en"
    assert i18n.normalise_language("fr") == "zh" and i18n.normalise_language(None) == "zh"


def test_every_key_used_in_the_app_exists():
    import pathlib
    used = set()
    for path in [pathlib.Path("app.py"), *pathlib.Path("pages").rglob("*.py")]:
        used |= set(re.findall(r'\bt\(\s*f?"([\w.]+)"', path.read_text(encoding="utf-8")))
    used = {k for k in used if not k.endswith(".")}  # prefixes of keys built at run time
    assert used, "no keys found: the pattern is wrong"
    assert used <= set(i18n.MESSAGES), used - set(i18n.MESSAGES)


def test_keys_built_at_run_time_exist():
    from gridmap.indicators import INDICATORS
    from gridmap.mapview import SCHEMES
    for name, ind in INDICATORS.items():
        assert f"indicator.{name}" in i18n.MESSAGES and ind.unit in i18n.MESSAGES
    for scheme in SCHEMES:
        assert f"scheme.{scheme}" in i18n.MESSAGES
    for level in schema.LEVELS:
        assert f"level.{level}" in i18n.MESSAGES
    for level in schema.AREA_LEVELS:
        assert f"map.outline.{level}" in i18n.MESSAGES


def test_chinese_data_vocabulary_is_named_in_english():
    from gridmap import schema
    for vocabulary in (schema.CATEGORIES, schema.CASE_CATEGORIES, schema.ASSISTANCE,
                       schema.NEED_CATEGORIES):
        for value in vocabulary:
            assert i18n.label(value, "zh") == value
            english = i18n.label(value, "en")
            assert english != value and english.isascii(), value


def test_lists_of_values_are_named_one_by_one():
    import pandas as pd
    frame = pd.DataFrame({"categories": ["低保;独居老人", None], "tier": ["red", "green"]})
    en = i18n.localise_frame(frame, "en")
    assert en["categories"].tolist() == ["Minimum living allowance, Elderly living alone", ""]
    assert i18n.localise_frame(frame, "zh")["categories"].iloc[0] == "低保、独居老人"


def test_every_catalogue_file_holds_the_same_keys_as_the_chinese_one(tmp_path):
    import tomllib
    from pathlib import Path

    here = Path(i18n.__file__).parent
    for kind in ("messages", "labels"):
        keys = {lang: set(tomllib.loads((here / f"{kind}.{lang}.toml").read_text("utf-8")))
                for lang in i18n.LANGUAGES}
        for lang in i18n.LANGUAGES:
            assert keys[lang] == keys["zh"], (kind, lang, keys[lang] ^ keys["zh"])
    # and the loader refuses nothing silently: a key only in one file reads as missing
    (tmp_path / "messages.zh.toml").write_text('"a" = "甲"\n"b" = "乙"\n', "utf-8")
    (tmp_path / "messages.en.toml").write_text('"a" = "A"\n', "utf-8")
    old = i18n._HERE
    try:
        i18n._HERE = tmp_path
        assert i18n._catalogue("messages") == {"a": ("甲", "A"), "b": ("乙", "")}
    finally:
        i18n._HERE = old
