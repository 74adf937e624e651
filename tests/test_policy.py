import pytest

from gridmap.errors import ValidationError
from gridmap.policy import DEFAULT_POLICY_FILE, load_policy, policy_from_dict


def test_shipped_policy_loads_with_the_documented_defaults():
    p = load_policy(DEFAULT_POLICY_FILE)
    assert dict(p.interval_days) == {"red": 7, "orange": 14, "yellow": 30, "green": 90}
    assert dict(p.in_person_days) == {"red": 30}
    assert p.warnings.levels == (1, 3, 4) and p.min_count == 5
    assert p.visits_per_month("red") == pytest.approx(30 / 7)
    assert p.hotspots.seed == 12345


@pytest.mark.parametrize(("raw", "key"), [
    ({"visits": {"interval_days": {"red": 7, "orange": 14, "yellow": 30}}},
     "visits.interval_days"),
    ({"visits": {"interval_days": {"red": 7, "orange": 14, "yellow": 30, "green": 0}}},
     "visits.interval_days.green"),
    ({"visits": {"interval_days": {"red": 30, "orange": 14, "yellow": 30, "green": 90}}},
     "visits.interval_days"),
    ({"visits": {"counted_methods": ["door", "pigeon"]}}, "visits.counted_methods"),
    ({"visits": {"in_person_days": {"purple": 30}}}, "visits.in_person_days.purple"),
    ({"visits": {"in_person_days": {"red": -1}}}, "visits.in_person_days.red"),
    ({"warnings": {"levels": [3, 1, 4]}}, "warnings.levels"),
    ({"warnings": {"health_categories": ["富裕"]}}, "warnings.health_categories"),
    ({"warnings": {"points": {"health": -2}}}, "warnings.points.health"),
    ({"privacy": {"min_count": 0}}, "privacy.min_count"),
    ({"hotspots": {"seed": -1}}, "hotspots.seed"),
    ({"hotspots": {"seed": 2**32}}, "hotspots.seed"),
    ({"hotspots": {"seed": "12345"}}, "hotspots.seed"),
    ({"hotspots": {"seed": True}}, "hotspots.seed"),
])
def test_bad_policies_name_the_key(raw, key):
    with pytest.raises(ValidationError) as err:
        policy_from_dict(raw, source="policy.toml")
    assert err.value.column == key and "policy.toml" in str(err.value)


def test_the_hotspot_seed_is_read_from_the_file():
    assert policy_from_dict({"hotspots": {"seed": 7}}).hotspots.seed == 7
    assert policy_from_dict({}).hotspots.seed == 12345


def test_bad_toml_names_the_file(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text("[visits\ninterval_days = 3", encoding="utf-8")
    with pytest.raises(ValidationError, match="not valid TOML") as err:
        load_policy(path)
    assert str(path) in str(err.value)
