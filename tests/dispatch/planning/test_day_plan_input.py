"""Asking for a day plan: the page's form and the API read one input (DayPlanIn; the page's one
"scope" choice stands for site and crew), with the same words for the same bad input, shown next
to the field, and nothing planned."""

import pytest

from workorders.dispatch.models import DayPlan

pytestmark = pytest.mark.django_db

# (what the page posts, what the API is sent) -> the field refused and its words, on both doors.
BAD = [
    ({"day": "tomorrow"}, {"day": "tomorrow"}, "day", "Must be a date, like 2026-05-04."),
    ({"day": ""}, {}, "day", "This field is required."),
    (
        {"day": "2031-05-04", "scope": "site:pump-house"},
        {"day": "2031-05-04", "site": "pump-house"},
        "site",
        "Must be an id (a UUID).",
    ),
]


@pytest.mark.parametrize(("page", "api", "field", "words"), BAD)
def test_a_bad_request_for_a_plan_gets_the_same_words_on_both_doors(
    as_member, with_token, dispatcher, page, api, field, words
):
    answer = with_token(dispatcher).post("/api/v1/day-plans", api, content_type="application/json")
    assert answer.status_code == 422, answer.content
    assert answer.json()["error"]["details"]["fields"] == {field: words}

    shown = as_member(dispatcher).post("/board/day-plan/", page)
    assert shown.status_code == 422
    assert words in shown.content.decode()
    assert 'id="plan-day-error"' in shown.content.decode() or field != "day"
    assert not DayPlan.objects.exists()


def test_a_scope_that_is_neither_site_nor_crew_is_refused_on_the_page(as_member, dispatcher):
    shown = as_member(dispatcher).post(
        "/board/day-plan/", {"day": "2031-05-04", "scope": "planet:mars"}
    )
    assert shown.status_code == 422
    assert 'id="plan-scope-error"' in shown.content.decode()
    assert "Choose a site, a crew or everyone." in shown.content.decode()
    assert not DayPlan.objects.exists()
