"""The dashboard's figures are computed once and shared by an organisation's readers for a short
time: never across organisations or filters, visible as "as of", refreshed after a change."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache

from fieldops.accounts.models import Role
from tests.factories import MembershipFactory
from tests.workorders.factories import make_work_order
from workorders.kpis import cache as kpis_cache
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
PERIOD = "start=2026-03-01&end=2026-03-10"


@pytest.fixture
def open_work(dispatcher):
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        make_work_order(dispatcher, title="Open")


def backlog(client, query: str = PERIOD) -> tuple[int, str]:
    body = client.get(f"/api/v1/kpis?{query}").json()
    figure = next(f for f in body["figures"] if f["key"] == "backlog")
    return figure["value"], body["generated_at"]


def close_all_behind_the_cache() -> None:
    """A write that publishes no event (an ERP sync, a data fix): only the clock reveals it."""
    WorkOrder.objects.update(status="completed", completed_at=NOW)


def test_readers_of_one_organisation_share_one_computation(
    supervisor, dispatcher, with_token, open_work
):
    other_reader = MembershipFactory(organization=supervisor.organization, role=Role.SUPERVISOR)
    with time_machine.travel(NOW, tick=False):
        first = backlog(with_token(supervisor))
    close_all_behind_the_cache()
    with time_machine.travel(NOW + timedelta(seconds=5), tick=False):
        shared = backlog(with_token(other_reader))
    assert shared == first == (1, "2026-03-10T12:00:00Z")


def test_another_organisation_never_gets_the_shared_figures(
    supervisor, other_organization, with_token, open_work
):
    theirs = MembershipFactory(organization=other_organization, role=Role.SUPERVISOR)
    with time_machine.travel(NOW, tick=False):
        assert backlog(with_token(supervisor))[0] == 1
        assert backlog(with_token(theirs))[0] == 0


def test_other_filters_are_computed_on_their_own(supervisor, with_token, open_work, as_member):
    client = with_token(supervisor)
    with time_machine.travel(NOW, tick=False):
        assert backlog(client)[0] == 1
        close_all_behind_the_cache()
        # Another period and another first-time-fix window: not the value cached above.
        assert backlog(client, "start=2026-03-02&end=2026-03-10")[0] == 0
        assert backlog(client, PERIOD + "&ftf_days=7")[0] == 0
        assert backlog(client)[0] == 1


def test_a_change_without_an_event_shows_once_the_figures_are_too_old(
    supervisor, with_token, open_work
):
    client = with_token(supervisor)
    with time_machine.travel(NOW, tick=False):
        backlog(client)
    close_all_behind_the_cache()
    with time_machine.travel(NOW + timedelta(seconds=kpis_cache.FRESH_SECONDS - 1), tick=False):
        assert backlog(client) == (1, "2026-03-10T12:00:00Z")
    with time_machine.travel(NOW + timedelta(seconds=kpis_cache.FRESH_SECONDS), tick=False):
        assert backlog(client) == (0, "2026-03-10T12:00:30Z")


def test_a_committed_work_order_shows_once_the_coalescing_window_has_passed(
    supervisor, dispatcher, with_token, open_work, django_capture_on_commit_callbacks
):
    client = with_token(supervisor)
    with time_machine.travel(NOW, tick=False):
        assert backlog(client)[0] == 1
        with django_capture_on_commit_callbacks(execute=True):
            make_work_order(dispatcher, title="New")
    # Figures younger than a second are still served: one computation a second at most,
    # however busy the organisation.
    with time_machine.travel(NOW + timedelta(milliseconds=900), tick=False):
        assert backlog(client) == (1, "2026-03-10T12:00:00Z")
    with time_machine.travel(NOW + timedelta(seconds=1), tick=False):
        assert backlog(client) == (2, "2026-03-10T12:00:01Z")


# The cache's rule: (a change since the figures were computed, their age in seconds, another
# request computing) -> (computed again, served as stale, seconds until asking again helps).
RULE = [
    (False, 0.0, False, False, False, None),
    (False, 29.9, False, False, False, None),
    (False, 30.0, False, True, False, None),
    (True, 0.0, False, False, True, 1.0),
    (True, 0.4, False, False, True, 0.6),
    (True, 0.75, False, False, True, 0.25),
    (True, 1.0, False, True, False, None),
    (True, 12.0, False, True, False, None),
    (True, 1.0, True, False, True, 1.0),
    (False, 30.0, True, False, True, 1.0),
]


@pytest.mark.parametrize(("changed", "age", "locked", "computed", "stale", "retry_after"), RULE)
def test_figures_are_recomputed_after_a_change_once_a_second_at_most(
    organization, changed, age, locked, computed, stale, retry_after
):
    calls = []

    def ask():
        return kpis_cache.shared(
            organization_id=organization.pk, key="rule", compute=lambda now: calls.append(now)
        )

    with time_machine.travel(NOW, tick=False):
        ask()
    if changed:
        kpis_cache.KPIS_GENERATION.bump(organization.pk)
    if locked:
        cache.add(f"kpis:v1:{organization.pk}:rule:lock", 1, 30)
    with time_machine.travel(NOW + timedelta(seconds=age), tick=False):
        found = ask()
    assert (len(calls) == 2, found.stale) == (computed, stale)
    assert found.retry_after == (None if retry_after is None else pytest.approx(retry_after))


def test_the_dashboard_refreshes_on_every_event_that_changes_its_figures():
    assert kpis_cache.live_events() == [
        "asset.status_changed",
        "sync.completed",
        "workorder.assigned",
        "workorder.created",
        "workorder.status_changed",
        "workorder.updated",
    ]


@time_machine.travel(NOW, tick=False)
def test_the_live_board_listens_for_those_events_and_reconnects(supervisor, as_member):
    html = as_member(supervisor).get(f"/dashboard/?{PERIOD}").content.decode()
    assert (
        'hx-trigger="fo:asset.status_changed from:body delay:250ms, '
        "fo:sync.completed from:body delay:250ms, "
        "fo:workorder.assigned from:body delay:250ms, "
        "fo:workorder.created from:body delay:250ms, "
        "fo:workorder.status_changed from:body delay:250ms, "
        "fo:workorder.updated from:body delay:250ms, "
        'fo:reconnected from:body">'
    ) in html


def test_the_page_shows_when_its_figures_were_computed(supervisor, as_member, open_work):
    client = as_member(supervisor)
    with time_machine.travel(NOW, tick=False):
        client.get(f"/dashboard/?{PERIOD}")
    with time_machine.travel(NOW + timedelta(seconds=20), tick=False):
        html = client.get(f"/dashboard/?{PERIOD}").content.decode()
    assert 'as of <time datetime="2026-03-10T12:00:00+00:00">12:00</time>' in html


def test_the_live_refresh_swaps_nothing_while_the_figures_did_not_move(
    supervisor, dispatcher, as_member, open_work, django_capture_on_commit_callbacks
):
    client = as_member(supervisor)
    live = {"HX-Request": "true", "HX-Target": "kpi-board"}
    with time_machine.travel(NOW, tick=False):
        html = client.get(f"/dashboard/?{PERIOD}", headers=live).content.decode()
        version = html.split('"X-Kpi-Version": "')[1].split('"')[0]
        unchanged = client.get(f"/dashboard/?{PERIOD}", headers=live | {"X-Kpi-Version": version})
        assert unchanged.status_code == 204
        with django_capture_on_commit_callbacks(execute=True):
            make_work_order(dispatcher, title="New")
        # Not redone yet: the old figures again, with a request to ask once they can be.
        stale = client.get(f"/dashboard/?{PERIOD}", headers=live | {"X-Kpi-Version": version})
        assert stale.status_code == 200
        assert "load delay:1000ms" in stale.content.decode()
    with time_machine.travel(NOW + timedelta(milliseconds=400), tick=False):
        later = client.get(f"/dashboard/?{PERIOD}", headers=live | {"X-Kpi-Version": version})
    # The time actually left, not a flat wait.
    assert "load delay:600ms" in later.content.decode()
    with time_machine.travel(NOW + timedelta(seconds=1), tick=False):
        moved = client.get(f"/dashboard/?{PERIOD}", headers=live | {"X-Kpi-Version": version})
    assert moved.status_code == 200
    html = moved.content.decode()
    assert version not in html
    assert "load delay" not in html
    assert (
        '<a href="/dashboard/work/?figure=backlog&amp;start=2026-03-01&amp;end=2026-03-10" '
        'title="The work orders behind this figure">2' in html
    )


def test_one_request_computes_while_the_others_serve_the_previous_figures(organization):
    calls = []

    def compute(now):
        calls.append(now)
        return len(calls)

    def ask():
        return kpis_cache.shared(organization_id=organization.pk, key="test", compute=compute)

    with time_machine.travel(NOW, tick=False):
        assert ask().value == 1
    cache.add(f"kpis:v1:{organization.pk}:test:lock", 1, 30)  # another process is computing
    with time_machine.travel(NOW + timedelta(seconds=kpis_cache.FRESH_SECONDS), tick=False):
        served = ask()
    assert (served.value, served.stale, len(calls)) == (1, True, 1)
    cache.delete(f"kpis:v1:{organization.pk}:test:lock")
    with time_machine.travel(NOW + timedelta(seconds=kpis_cache.FRESH_SECONDS), tick=False):
        fresh = ask()
    assert (fresh.value, fresh.stale, fresh.as_of) == (2, False, calls[-1])


def test_figures_are_computed_when_the_cache_is_down(organization, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(kpis_cache.cache, "get_many", down)
    found = kpis_cache.shared(organization_id=organization.pk, key="test", compute=lambda now: 7)
    assert found.value == 7


@time_machine.travel(NOW, tick=False)
def test_the_shared_board_carries_only_the_filters(supervisor, as_member, open_work):
    html = as_member(supervisor).get(f"/dashboard/?{PERIOD}&utm=x").content.decode()
    assert 'hx-get="/dashboard/?start=2026-03-01&amp;end=2026-03-10"' in html
    assert "utm" not in html


def test_with_no_figures_yet_a_reader_waits_for_the_one_computing(organization, monkeypatch):
    now = datetime.now(UTC)
    cache.add(f"kpis:v{kpis_cache._FORMAT}:{organization.pk}:cold:lock", 1, 30)
    computed_elsewhere = ("figures", now, "", "v1")
    monkeypatch.setattr(kpis_cache, "wait_for_cached", lambda key, *, timeout: computed_elsewhere)
    found = kpis_cache.shared(
        organization_id=organization.pk,
        key="cold",
        compute=lambda at: pytest.fail("computed a second time"),
    )
    assert (found.value, found.as_of, found.version, found.stale) == ("figures", now, "v1", False)


def test_a_cache_that_fails_while_locking_or_keeping_still_gives_figures(organization, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(kpis_cache, "acquire", down)
    found = kpis_cache.shared(organization_id=organization.pk, key="down", compute=lambda at: 7)
    assert (found.value, found.stale) == (7, False)

    monkeypatch.undo()
    monkeypatch.setattr(kpis_cache.cache, "set", down)
    found = kpis_cache.shared(organization_id=organization.pk, key="down2", compute=lambda at: 8)
    assert found.value == 8
