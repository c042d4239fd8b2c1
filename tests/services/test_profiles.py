"""Profiles: every problem reported with its field, nothing half-saved, round trip intact."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import EnrolmentRole, SkillDirection
from mentormatch_desktop.services import profiles
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.profiles import (
    BlockedPerson,
    EnrolmentEntry,
    Profile,
    ProfileInvalid,
    SkillEntry,
    SlotEntry,
)
from mentormatch_desktop.storage.models import Person


def test_round_trip_and_edit(session: Session, org: dict[str, int], ctx: ServiceContext) -> None:
    profile = profiles.load_profile(ctx, org["ada"])
    assert profile.department == "Engineering"
    assert [(s.skill, s.level) for s in profile.skills] == [("SQL", 5), ("Python", 4)]
    assert profile.enrolments[0].role == EnrolmentRole.MENTOR

    profile.languages = [("en", "native"), ("fr", "working")]
    profile.skills.append(SkillEntry("negotiation", SkillDirection.LEARN, 2))  # case-insensitive
    profile.skills[0].level = 4
    profile.goals = ["Coach a first-time manager"]
    profile.availability = [SlotEntry(1, 9 * 60, 11 * 60), SlotEntry(3, 14 * 60, 15 * 60)]
    profile.enrolments[0].capacity = 3
    profile.must_not_match = [BlockedPerson(org["alan"], "Alan")]
    profile.department = "Research"  # new departments are created
    profiles.save_profile(ctx, profile)
    session.expire_all()

    again = profiles.load_profile(ctx, org["ada"])
    assert again.languages == [("en", "native"), ("fr", "working")]
    assert {(s.skill, s.direction, s.level) for s in again.skills} == {
        ("SQL", SkillDirection.TEACH, 4),
        ("Python", SkillDirection.TEACH, 4),
        ("Negotiation", SkillDirection.LEARN, 2),
    }
    assert again.goals == ["Coach a first-time manager"]
    assert [(s.weekday, s.start_minute) for s in again.availability] == [(1, 540), (3, 840)]
    assert again.enrolments[0].capacity == 3
    assert [b.person_id for b in again.must_not_match] == [org["alan"]]
    assert again.department == "Research"


def test_every_problem_is_named_and_nothing_is_written(
    session: Session, org, ctx: ServiceContext
) -> None:
    profile = profiles.load_profile(ctx, org["grace"])
    profile.email = "grace-at-example"
    profile.time_zone = "Mars/Olympus"
    profile.skills.append(SkillEntry("Basket weaving", SkillDirection.TEACH, 6))
    profile.availability = [SlotEntry(0, 600, 540)]
    profile.enrolments = [EnrolmentEntry(org["program"], "Spring", EnrolmentRole.MENTOR, 0)]
    profile.must_not_match = [BlockedPerson(org["grace"], "self")]
    with pytest.raises(ProfileInvalid) as info:
        profiles.save_profile(ctx, profile)
    fields = {i.field for i in info.value.issues}
    assert fields == {
        "email",
        "time_zone",
        "skills[1]",
        "skills[1].level",
        "availability[0]",
        "enrolments[0].capacity",
        "must_not_match[0]",
    }
    session.rollback()
    assert session.get(Person, org["grace"]).email == "grace@example.org"


def test_new_participant_and_duplicate_email(session: Session, org, ctx: ServiceContext) -> None:
    new = Profile(
        full_name="Katherine Johnson",
        email="katherine@example.org",
        time_zone="America/New_York",
        enrolments=[EnrolmentEntry(org["program"], "Spring", EnrolmentRole.MENTEE, 1)],
    )
    pid = profiles.save_profile(ctx, new)
    assert profiles.load_profile(ctx, pid).enrolments[0].role == EnrolmentRole.MENTEE
    clash = Profile(full_name="Someone", email="ADA@example.org", time_zone="UTC")
    with pytest.raises(ProfileInvalid, match="already belongs"):
        profiles.save_profile(ctx, clash)


def test_preferred_name_is_saved_normalised_and_cleared(
    session: Session, org, ctx: ServiceContext
) -> None:
    profile = profiles.load_profile(ctx, org["grace"])
    assert profile.preferred_name == ""
    profile.preferred_name = "  Amazing   Grace "
    profiles.save_profile(ctx, profile)
    session.expire_all()
    assert session.get(Person, org["grace"]).preferred_name == "Amazing Grace"
    again = profiles.load_profile(ctx, org["grace"])
    assert again.preferred_name == "Amazing Grace"

    again.preferred_name = "x" * 81
    with pytest.raises(ProfileInvalid) as invalid:
        profiles.save_profile(ctx, again)
    assert [i.field for i in invalid.value.issues] == ["preferred_name"]
    again.preferred_name = "Line\nbreak"
    assert [i.field for i in profiles.validate_profile(again)] == ["preferred_name"]

    again.preferred_name = "   "
    profiles.save_profile(ctx, again)
    session.expire_all()
    assert session.get(Person, org["grace"]).preferred_name is None
