"""The state machines of cases and needs: every allowed and every refused transition."""

from datetime import datetime, timedelta

import pandas as pd
import pytest

from gridmap import schema, stages
from gridmap.errors import ValidationError
from gridmap.policy import Policy

T0 = datetime(2026, 9, 30, 10, 0)

# Valid fields for entering each stage.
CASE_FIELDS = {
    "reported": {},
    "assessed": {"judgement": "eligible", "assistance": ["临时救助"]},
    "handling": {"aid_kind": "临时救助金", "aid_amount": 1500.0},
    "closed": {},
    "followed_up": {"visit": {"visit_id": "V1", "visited_at": T0 + timedelta(days=30)}},
}


def case_in(stage: str, judgement: str = "eligible") -> dict:
    """A case that has reached ``stage`` through the normal path."""
    row, _ = stages.new_case(household_id="H1", source="hotline", category="因病",
                             urgency="emergency", description="突发重病", reported_by="W1",
                             policy=Policy(), reported_at=T0, case_id="C1")
    path = schema.CASE_STAGES[1:schema.CASE_STAGES.index(stage) + 1]
    for day, step in enumerate(path, start=1):
        fields = dict(CASE_FIELDS[step])
        if step == "assessed":
            fields = {"judgement": judgement,
                      "assistance": [] if judgement == "not_in_difficulty" else ["临时救助"]}
        changes, _ = stages.advance_case(row, step, actor="W1", at=T0 + timedelta(days=day),
                                         **fields)
        row = {**row, **changes}
    return row


ALLOWED_CASE = {("reported", "assessed"), ("assessed", "handling"), ("handling", "handling"),
                ("handling", "closed"), ("closed", "followed_up")}


@pytest.mark.parametrize("current", schema.CASE_STAGES)
@pytest.mark.parametrize("target", schema.CASE_STAGES)
def test_every_case_transition(current, target):
    row = case_in(current)
    at = T0 + timedelta(days=10)
    if (current, target) in ALLOWED_CASE:
        changes, event = stages.advance_case(row, target, actor="W2", at=at,
                                             **CASE_FIELDS[target])
        assert changes["stage"] == target
        assert (event["from_stage"], event["to_stage"], event["actor"]) == (current, target,
                                                                            "W2")
    else:  # an eligible case may not close before it is handled (see the test below)
        refusal = ("needs aid or a referral" if (current, target) == ("assessed", "closed")
                   else f"is '{current}' and can go to")
        with pytest.raises(ValidationError, match=refusal):
            stages.advance_case(row, target, actor="W2", at=at, **CASE_FIELDS[target])


def test_closing_straight_after_assessment_only_when_not_in_difficulty():
    with pytest.raises(ValidationError, match="needs aid or a referral"):
        stages.advance_case(case_in("assessed"), "closed", actor="W1", at=T0 + timedelta(5))
    changes, _ = stages.advance_case(case_in("assessed", "not_in_difficulty"), "closed",
                                     actor="W1", at=T0 + timedelta(5))
    assert changes["stage"] == "closed"
    with pytest.raises(ValidationError, match="close it instead"):
        stages.advance_case(case_in("assessed", "not_in_difficulty"), "handling",
                            actor="W1", at=T0 + timedelta(5), referrals=["health"])


def test_in_difficulty_but_not_eligible_still_gets_help():
    row = case_in("assessed", "in_difficulty")
    changes, _ = stages.advance_case(row, "handling", actor="W1", at=T0 + timedelta(5),
                                     referrals=["charity"])
    assert changes["referrals"] == "charity"


def test_assessment_rules():
    row = case_in("reported")
    at = T0 + timedelta(days=1)
    with pytest.raises(ValidationError, match="judgement"):
        stages.advance_case(row, "assessed", actor="W1", at=at)
    with pytest.raises(ValidationError, match="needs the assistance"):
        stages.advance_case(row, "assessed", actor="W1", at=at, judgement="eligible")
    with pytest.raises(ValidationError, match="no assistance"):
        stages.advance_case(row, "assessed", actor="W1", at=at, judgement="not_in_difficulty",
                            assistance=["低保"])
    with pytest.raises(ValidationError, match="'彩票' is not one of"):
        stages.advance_case(row, "assessed", actor="W1", at=at, judgement="eligible",
                            assistance=["彩票"])


def test_handling_needs_help_and_accumulates_it():
    row = case_in("assessed")
    at = T0 + timedelta(days=3)
    with pytest.raises(ValidationError, match="a referral, aid given or a service ordered"):
        stages.advance_case(row, "handling", actor="W1", at=at)
    with pytest.raises(ValidationError, match="amount"):
        stages.advance_case(row, "handling", actor="W1", at=at, aid_kind="现金")
    changes, _ = stages.advance_case(row, "handling", actor="W1", at=at, aid_kind="临时救助金",
                                     aid_amount=1000, referrals=["health"])
    row = {**row, **changes}
    more, event = stages.advance_case(row, "handling", actor="W1", at=at + timedelta(days=2),
                                      aid_kind="米面油", aid_amount=200,
                                      referrals=["health", "employment"])
    assert more["handling_at"] == row["handling_at"] == pd.Timestamp(at)
    assert more["aid_kind"] == "临时救助金;米面油" and more["aid_amount"] == 1200
    assert more["referrals"] == "health;employment"
    assert "aid_amount=200" in event["detail"]


def test_follow_up_needs_a_visit_after_closing():
    row = case_in("closed")
    at = T0 + timedelta(days=40)
    with pytest.raises(ValidationError, match="needs a visit"):
        stages.advance_case(row, "followed_up", actor="W1", at=at)
    with pytest.raises(ValidationError, match="before the case was closed"):
        stages.advance_case(row, "followed_up", actor="W1", at=at,
                            visit={"visit_id": "V0", "visited_at": T0})
    changes, _ = stages.advance_case(row, "followed_up", actor="W1", at=at,
                                     visit={"visit_id": "V9", "visited_at": at})
    assert changes["follow_up_visit_id"] == "V9"


def test_no_going_back_in_time_and_an_actor_is_needed():
    row = case_in("assessed")
    with pytest.raises(ValidationError, match="before the case became 'assessed'"):
        stages.advance_case(row, "handling", actor="W1", at=T0, referrals=["health"])
    with pytest.raises(ValidationError, match="actor"):
        stages.advance_case(row, "handling", actor=" ", at=T0 + timedelta(9),
                            referrals=["health"])


def test_new_case_deadline_counts_working_days():
    row, event = stages.new_case(household_id="H1", source="visit", category="因病",
                                 urgency="emergency", description="x", reported_by="W1",
                                 policy=Policy(), reported_at=T0)
    assert row["due_on"] == pd.Timestamp("2026-10-10")  # across National Day, a make-up Sat
    ordinary, _ = stages.new_case(household_id="H1", source="visit", category="因病",
                                  urgency="ordinary", description="x", reported_by="W1",
                                  policy=Policy(), reported_at=datetime(2026, 11, 20, 9))
    assert ordinary["due_on"] == pd.Timestamp("2026-12-11")  # 15 working days, 3 weekends
    assert event["to_stage"] == "reported" and event["from_stage"] is None
    with pytest.raises(ValidationError, match="urgency"):
        stages.new_case(household_id="H1", source="visit", category="因病", urgency="soon",
                        description="x", reported_by="W1", policy=Policy())


NEED_FIELDS = {"claimed": {"helper": "爱心企业甲", "helper_kind": "organisation"}}
ALLOWED_NEED = {("posted", "claimed"), ("claimed", "delivered"), ("delivered", "confirmed")}


def need_in(stage: str) -> dict:
    row, _ = stages.new_need(household_id="H1", category="家用电器", description="一台洗衣机",
                             posted_by="W1", posted_at=T0, need_id="N1")
    for day, step in enumerate(schema.NEED_STAGES[1:schema.NEED_STAGES.index(stage) + 1], 1):
        changes, _ = stages.advance_need(row, step, actor="W1", at=T0 + timedelta(days=day),
                                         **NEED_FIELDS.get(step, {}))
        row = {**row, **changes}
    return row


@pytest.mark.parametrize("current", schema.NEED_STAGES)
@pytest.mark.parametrize("target", schema.NEED_STAGES)
def test_every_need_transition(current, target):
    row = need_in(current)
    at = T0 + timedelta(days=10)
    if (current, target) in ALLOWED_NEED:
        changes, event = stages.advance_need(row, target, actor="H", at=at,
                                             **NEED_FIELDS.get(target, {}))
        assert changes["stage"] == target and event["from_stage"] == current
    else:
        with pytest.raises(ValidationError, match="can go to"):
            stages.advance_need(row, target, actor="H", at=at, **NEED_FIELDS.get(target, {}))


def test_claim_needs_a_helper_of_a_known_kind():
    row = need_in("posted")
    with pytest.raises(ValidationError, match="helper"):
        stages.advance_need(row, "claimed", actor="H", at=T0 + timedelta(1))
    with pytest.raises(ValidationError, match="helper_kind"):
        stages.advance_need(row, "claimed", actor="H", at=T0 + timedelta(1), helper="甲",
                            helper_kind="alien")
    with pytest.raises(ValidationError, match="not a need stage"):
        stages.advance_need(row, "lost", actor="H", at=T0 + timedelta(1))
