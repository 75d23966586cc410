"""commits_flushed_together: commits inside skip the disk wait; leaving the block restores it."""

import pytest
from django.db import connection, transaction

from fieldops.accounts.models import Organization
from fieldops.durability import commits_flushed_together
from tests.factories import OrganizationFactory

ON_POSTGRES = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="synchronous_commit is PostgreSQL's; on SQLite the block is plain (tested below)",
)


def setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@ON_POSTGRES
@pytest.mark.django_db(transaction=True)
def test_commits_inside_do_not_wait_and_the_setting_comes_back_after():
    before = setting()
    with commits_flushed_together():
        assert setting() == "off"
        with transaction.atomic():
            OrganizationFactory(slug="inside")
    assert setting() == before


@ON_POSTGRES
@pytest.mark.django_db(transaction=True)
def test_the_setting_comes_back_after_an_error():
    before = setting()
    with pytest.raises(ZeroDivisionError), commits_flushed_together():
        _ = 1 / 0
    assert setting() == before


@transaction.atomic
def create_then_fail() -> None:
    OrganizationFactory(slug="rolled-back")
    raise RuntimeError


@pytest.mark.django_db(transaction=True)
def test_what_commits_inside_is_kept():
    with commits_flushed_together():
        with transaction.atomic():
            OrganizationFactory(slug="kept")
        with pytest.raises(RuntimeError):
            create_then_fail()

    assert list(Organization.objects.values_list("slug", flat=True)) == ["kept"]


@ON_POSTGRES
@pytest.mark.django_db(transaction=True)
def test_leaving_the_block_waits_until_every_commit_inside_is_on_disk():
    with commits_flushed_together():
        for n in range(20):
            with transaction.atomic():
                OrganizationFactory(slug=f"org-{n}")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_insert_lsn()")
            (written,) = cursor.fetchone()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_flush_lsn() >= %s::pg_lsn", [written])
        assert cursor.fetchone()[0]


@ON_POSTGRES
@pytest.mark.django_db(transaction=True)
def test_the_pool_resets_only_a_session_the_block_left_changed():
    """A pooled connection is reset on return only when a block set synchronous_commit and never
    reached its RESET (its connection died mid-block): no round trip on every request."""
    from fieldops.durability import session_needs_reset
    from fieldops.settings import _reset_pooled_session

    before = setting()
    driver = connection.connection
    with commits_flushed_together():
        assert session_needs_reset(driver)
    assert not session_needs_reset(driver)

    sent = []

    class Recording:
        def execute(self, sql):
            sent.append(sql)

    _reset_pooled_session(Recording())
    assert sent == []

    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    from fieldops import durability

    durability._not_reset.add(driver)  # as if the block's RESET never ran
    _reset_pooled_session(driver)
    assert setting() == before
    durability._not_reset.discard(driver)
