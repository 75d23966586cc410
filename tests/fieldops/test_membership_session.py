"""The membership a signed-in browser acts as comes with its user already loaded."""

import pytest

from fieldops.accounts.selectors import membership_for_session
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_chosen_membership_carries_the_signed_in_user(
    technician, other_organization, django_assert_num_queries
):
    second = MembershipFactory(user=technician.user, organization=other_organization)
    with django_assert_num_queries(1):
        chosen = membership_for_session(technician.user, other_organization.pk)
        assert chosen == second
        assert chosen.user.get_username() == technician.user.username


def test_unknown_or_left_organisation_falls_back_to_the_first_membership(
    technician, other_organization
):
    assert membership_for_session(technician.user, other_organization.pk) == technician
    assert membership_for_session(technician.user, None).user == technician.user


def test_no_active_membership_is_none(technician):
    technician.is_active = False
    technician.save(update_fields=["is_active"])
    assert membership_for_session(technician.user, technician.organization_id) is None


def test_a_note_added_in_the_browser_names_its_author(as_member, technician, dispatcher):
    from tests.workorders.factories import assign, make_work_order

    job = assign(make_work_order(dispatcher), technician, dispatcher)
    response = as_member(technician).post(
        f"/api/v1/work-orders/{job.reference}/notes",
        {"text": "Seal replaced."},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["author"] == technician.user.username
