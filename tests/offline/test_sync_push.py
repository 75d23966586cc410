"""The sync endpoint: in order, exactly once, conflicts and rejections answered per mutation."""

import base64
import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.workorders.factories import assign, make_part, make_work_order, move
from workorders.models import Note, Status, TimeEntry, WorkOrder, WorkOrderHistory
from workorders.offline.models import SyncMutation
from workorders.services import ChecklistItemSpec

pytestmark = pytest.mark.django_db
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def mutation(mutation_kind, work_order=None, *, minutes_ago=5, **data):
    body = {
        "id": str(uuid.uuid4()),
        "kind": mutation_kind,
        "data": data,
        "occurred_at": (timezone.now() - timedelta(minutes=minutes_ago)).isoformat(),
    }
    if work_order is not None:
        body["work_order"] = str(work_order.public_id)
    return body


def push(client, mutations, **extra):
    response = client.post(
        "/api/v1/sync/push",
        {"device_id": "phone-1", "mutations": mutations, **extra},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_whole_offline_job_applies_in_order(with_token, technician, job):
    part = make_part(job.organization_id)
    item = job.checklist.get()
    client = with_token(technician)
    batch = [
        mutation(
            "workorder.transition", job, minutes_ago=60, to="in_progress", from_status="assigned"
        ),
        mutation("note.add", job, minutes_ago=50, id=str(uuid.uuid4()), text="Guard loose"),
        mutation(
            "checklist.answer",
            job,
            minutes_ago=45,
            id=str(uuid.uuid4()),
            item_id=str(item.public_id),
            result="pass",
        ),
        mutation(
            "time_entry.add",
            job,
            id=str(uuid.uuid4()),
            kind="work",
            started_at=(timezone.now() - timedelta(minutes=60)).isoformat(),
            minutes=40,
        ),
        mutation("part.use", job, id=str(uuid.uuid4()), part_id=str(part.public_id), quantity="2"),
        mutation(
            "attachment.add",
            job,
            id=str(uuid.uuid4()),
            name="guard.png",
            content_base64=base64.b64encode(PNG).decode(),
        ),
        mutation(
            "workorder.transition",
            job,
            minutes_ago=10,
            to="completed",
            from_status="in_progress",
            resolution_notes="Tightened the guard",
        ),
        # The customer signs the completed report, the last step.
        mutation(
            "signature.add",
            job,
            minutes_ago=9,
            id=str(uuid.uuid4()),
            signer_name="Kim",
            content_base64=base64.b64encode(PNG).decode(),
        ),
    ]
    results = push(client, batch)
    assert [r["status"] for r in results] == ["applied"] * len(batch), results
    job.refresh_from_db()
    assert job.status == Status.COMPLETED
    # finished offline 10 minutes ago: that is when it counts as finished
    assert timedelta(minutes=9) < timezone.now() - job.completed_at < timedelta(minutes=11)
    history = list(job.history.filter(kind="status").values_list("to_status", "source"))
    assert history == [("in_progress", "offline"), ("completed", "offline")]


def test_replaying_a_batch_answers_duplicate_and_applies_nothing_twice(with_token, technician, job):
    client = with_token(technician)
    batch = [
        mutation("workorder.transition", job, to="in_progress", from_status="assigned"),
        mutation("note.add", job, id=str(uuid.uuid4()), text="Once only"),
    ]
    first = push(client, batch)
    again = push(client, batch)
    assert [r["status"] for r in first] == ["applied", "applied"]
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert again[1]["original"] == first[1]
    assert Note.objects.count() == 1
    assert WorkOrderHistory.objects.filter(work_order=job, kind="status").count() == 1


def test_status_change_on_work_that_moved_on_is_a_conflict(with_token, technician, dispatcher, job):
    move(job, dispatcher, "cancelled", reason="Customer cancelled")
    results = push(
        with_token(technician),
        [
            mutation("workorder.transition", job, to="in_progress", from_status="assigned"),
            mutation("note.add", job, id=str(uuid.uuid4()), text="Started before I saw it"),
        ],
    )
    assert results[0]["status"] == "conflict"
    assert results[0]["current"]["status"] == "cancelled"
    assert "cancelled" in results[0]["reason"]
    # Cancelled work takes no records either: the note comes back for the phone to show.
    assert (results[1]["status"], results[1]["code"]) == ("conflict", "WORK_ORDER_LOCKED")
    assert results[1]["current"]["status"] == "cancelled"
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert not job.notes.exists()


def test_rejections_carry_the_error_and_change_nothing(with_token, technician, job):
    results = push(
        with_token(technician),
        [
            mutation("note.add", job, id=str(uuid.uuid4()), text=""),
            mutation(
                "time_entry.add",
                job,
                id=str(uuid.uuid4()),
                kind="nap",
                started_at=timezone.now().isoformat(),
                minutes=5,
            ),
            mutation("teleport.now", job),
            {"kind": "note.add", "data": {}},
            mutation("note.add", id=str(uuid.uuid4()), text="no work order"),
        ],
    )
    assert [r["status"] for r in results] == ["rejected"] * 5
    assert results[0]["error"]["code"] == "VALIDATION_ERROR"
    assert "text" in results[0]["error"]["details"]
    assert "kind" in results[2]["error"]["details"]
    assert results[3]["id"] is None
    assert not Note.objects.exists()
    assert not TimeEntry.objects.exists()


def test_other_organisations_ids_are_rejected(with_token, other_org_user, job):
    results = push(
        with_token(other_org_user),
        [
            mutation("note.add", job, id=str(uuid.uuid4()), text="Not mine"),
            mutation(
                "workorder.transition", job, to="cancelled", from_status="assigned", reason="x"
            ),
        ],
    )
    assert [r["error"]["code"] for r in results] == ["NOT_FOUND", "NOT_FOUND"]
    assert not Note.objects.exists()


def test_someone_elses_mutation_id_is_not_replayed_to_them(
    with_token, technician, job, organization
):
    from tests.factories import MembershipFactory

    batch = [mutation("note.add", job, id=str(uuid.uuid4()), text="Mine")]
    push(with_token(technician), batch)
    intruder = MembershipFactory(organization=organization, role="technician")
    result = push(with_token(intruder), batch)[0]
    assert result["status"] == "rejected"


def test_bad_payloads_are_refused_whole(with_token, technician, job):
    client = with_token(technician)
    note = mutation("note.add", job, id=str(uuid.uuid4()), text="Kept on the phone")
    for body in (
        {"mutations": "nope"},
        {"mutations": [{}] * 1001},
        {},
        # A pending count beyond any phone's queue (PostgreSQL's integer would overflow).
        {"mutations": [note], "pending": 2**40},
    ):
        response = client.post("/api/v1/sync/push", body, content_type="application/json")
        assert response.status_code == 422, body
    assert not SyncMutation.objects.exists()


def test_device_clock_offset_is_corrected(with_token, technician, job):
    """A phone whose clock is 2 h behind says it started 'at 08:00' when it was 10:00."""
    skew = timedelta(hours=2)
    device_now = timezone.now() - skew
    started = device_now - timedelta(minutes=30)
    push(
        with_token(technician),
        [
            {
                "id": str(uuid.uuid4()),
                "kind": "workorder.transition",
                "work_order": str(job.public_id),
                "occurred_at": started.isoformat(),
                "data": {"to": "in_progress", "from_status": "assigned"},
            }
        ],
        device_now=device_now.isoformat(),
    )
    job.refresh_from_db()
    assert abs(job.started_at - (started + skew)) < timedelta(seconds=5)


def test_a_batch_of_a_thousand_mutations(
    with_token, technician, job, django_assert_max_num_queries
):
    batch = [
        mutation("note.add", job, id=str(uuid.uuid4()), text=f"Reading {n}") for n in range(1000)
    ]
    results = push(with_token(technician), batch)
    assert {r["status"] for r in results} == {"applied"}
    assert list(Note.objects.order_by("id").values_list("text", flat=True)) == [
        f"Reading {n}" for n in range(1000)
    ]


def test_pull_returns_my_jobs_with_what_is_needed_offline(with_token, technician, job, dispatcher):
    other = make_work_order(dispatcher, title="Not mine")
    client = with_token(technician)
    body = client.get("/api/v1/sync/pull").json()
    assert [w["number"] for w in body["work_orders"]] == [job.reference]
    assert body["work_orders"][0]["checklist"][0]["label"] == "Guard fitted"
    assert str(other.public_id) not in body["keep"]
    later = client.get(f"/api/v1/sync/pull?cursor={body['cursor']}").json()
    assert later["work_orders"] == []
    assert later["keep"] == [str(job.public_id)]


@pytest.mark.django_db(transaction=True)
def test_two_devices_pushing_the_same_changes_at_once_apply_them_once(with_token, technician, job):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent pushes need a server database (CI runs this on PostgreSQL)")
    batch = [mutation("note.add", job, id=str(uuid.uuid4()), text=f"n{n}") for n in range(20)]
    batch.insert(0, mutation("workorder.transition", job, to="in_progress", from_status="assigned"))
    answers: list[list[dict]] = []

    def device():
        from django.db import connections

        try:
            answers.append(push(with_token(technician), batch))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=device) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 2
    for position in range(len(batch)):
        statuses = sorted(answers[d][position]["status"] for d in range(2))
        assert statuses in (["applied", "duplicate"], ["duplicate", "applied"]), statuses
    assert Note.objects.count() == 20
    assert WorkOrder.objects.get(pk=job.pk).history.filter(kind="status").count() == 1


def test_a_push_records_the_phones_sync_state_for_the_board(with_token, technician, job):
    from workorders.dispatch.models import DeviceState

    push(
        with_token(technician),
        [
            mutation("note.add", job, id=str(uuid.uuid4()), text="one"),
            mutation("note.add", job, id=str(uuid.uuid4()), text=""),
        ],
        pending=5,
    )
    state = DeviceState.objects.get(membership=technician, device_id="phone-1")
    assert state.pending_changes == 4  # five were waiting; one went through
    assert timezone.now() - state.last_synced_at < timedelta(seconds=30)


def test_a_record_sent_again_under_a_new_mutation_id_is_stored_once(with_token, technician, job):
    """A phone that lost the answer may queue the same note again with a fresh mutation id."""
    part = make_part(job.organization_id)
    note_id, usage_id = str(uuid.uuid4()), str(uuid.uuid4())
    client = with_token(technician)
    first = push(
        client,
        [
            mutation("note.add", job, id=note_id, text="Seal worn"),
            mutation("part.use", job, id=usage_id, part_id=str(part.public_id), quantity="1"),
        ],
    )
    again = push(
        client,
        [
            mutation("note.add", job, id=note_id, text="Seal worn"),
            mutation("note.add", job, id=str(uuid.uuid4()), text="And the bearing"),
            mutation("part.use", job, id=usage_id, part_id=str(part.public_id), quantity="1"),
        ],
    )
    assert [r["status"] for r in again] == ["applied"] * 3
    assert again[0]["result"]["note"]["id"] == first[0]["result"]["note"]["id"] == note_id
    assert list(Note.objects.order_by("id").values_list("text", flat=True)) == [
        "Seal worn",
        "And the bearing",
    ]
    assert job.parts_used.count() == 1


def test_a_job_referred_to_by_id_and_by_number_in_one_push_is_never_stale(
    with_token, technician, job
):
    by_id, by_number = str(job.public_id), job.reference
    batch = [
        mutation("workorder.transition", job, to="in_progress", from_status="assigned"),
        {**mutation("note.add", id=str(uuid.uuid4()), text="by number"), "work_order": by_number},
        {
            **mutation("workorder.transition", to="on_hold", from_status="in_progress"),
            "work_order": by_number,
        },
        {**mutation("note.add", id=str(uuid.uuid4()), text="by id"), "work_order": by_id},
        mutation("workorder.transition", job, to="in_progress", from_status="on_hold"),
    ]
    results = push(with_token(technician), batch)
    assert [r["status"] for r in results] == ["applied"] * 5, results
    assert results[-1]["result"]["work_order"]["version"] == job.version + 3
    job.refresh_from_db()
    assert job.status == Status.IN_PROGRESS
    assert list(job.history.filter(kind="status").values_list("to_status", flat=True)) == [
        "in_progress",
        "on_hold",
        "in_progress",
    ]


def test_the_organisations_signature_rule_holds_offline(with_token, technician, supervisor, job):
    """The customer signs after completing: a phone completes offline and then signs; without
    the signature an organisation that requires one cannot close the job."""
    from workorders.models import OrganizationWorkSettings

    OrganizationWorkSettings.objects.create(
        organization_id=job.organization_id, require_signature=True
    )
    item = job.checklist.get()
    client = with_token(technician)
    done = push(
        client,
        [
            mutation("workorder.transition", job, to="in_progress", from_status="assigned"),
            mutation(
                "checklist.answer",
                job,
                id=str(uuid.uuid4()),
                item_id=str(item.public_id),
                result="pass",
            ),
            mutation(
                "workorder.transition",
                job,
                to="completed",
                from_status="in_progress",
                resolution_notes="Guard refitted",
            ),
        ],
    )
    assert [r["status"] for r in done] == ["applied", "applied", "applied"], done
    job.refresh_from_db()

    def close():
        return with_token(supervisor).post(
            f"/api/v1/work-orders/{job.reference}/transition",
            {"to": "closed", "version": WorkOrder.objects.get(pk=job.pk).version},
            content_type="application/json",
        )

    refused = close()
    assert refused.status_code == 422
    assert "signature" in refused.json()["error"]["details"]
    signed = push(
        client,
        [
            mutation(
                "signature.add",
                job,
                id=str(uuid.uuid4()),
                signer_name="Kim",
                content_base64=base64.b64encode(PNG).decode(),
            )
        ],
    )
    assert [r["status"] for r in signed] == ["applied"], signed
    assert close().status_code == 200


def test_a_push_costs_a_fixed_number_of_queries_per_job(with_token, technician, dispatcher):
    """What a day offline sends (start, checks, notes, time, parts, complete) costs the same
    few queries per job however many jobs there are: nothing is read or written per record."""
    part = make_part(technician.organization_id)
    client = with_token(technician)

    def day(jobs: int) -> int:
        batch = []
        for _ in range(jobs):
            job = make_work_order(
                dispatcher,
                work_type="inspection",
                checklist=[ChecklistItemSpec("Guard fitted"), ChecklistItemSpec("Belt tension")],
            )
            job = assign(job, technician, dispatcher)
            batch.append(
                mutation("workorder.transition", job, to="in_progress", from_status="assigned")
            )
            for item in job.checklist.all():
                batch.append(
                    mutation(
                        "checklist.answer",
                        job,
                        id=str(uuid.uuid4()),
                        item_id=str(item.public_id),
                        result="pass",
                    )
                )
            batch += [
                mutation("note.add", job, id=str(uuid.uuid4()), text=f"n{n}") for n in range(4)
            ]
            batch.append(
                mutation(
                    "time_entry.add",
                    job,
                    id=str(uuid.uuid4()),
                    kind="work",
                    started_at=(timezone.now() - timedelta(hours=1)).isoformat(),
                    minutes=30,
                )
            )
            batch += [
                mutation(
                    "part.use", job, id=str(uuid.uuid4()), part_id=str(part.public_id), quantity="1"
                )
                for _ in range(2)
            ]
            batch.append(
                mutation(
                    "workorder.transition",
                    job,
                    to="completed",
                    from_status="in_progress",
                    resolution_notes="Done",
                )
            )
        with CaptureQueriesContext(connection) as queries:
            results = push(client, batch)
        assert {r["status"] for r in results} == {"applied"}, results
        return len(queries)

    one, five = day(1), day(5)
    per_job = (five - one) / 4
    # 2 transitions (lock, assignments, update, history, answer row, savepoints), one run of
    # records (its checklist, one insert per kind, the answer rows), the completion check, and
    # the work clock the start runs and the completion stops (read and write, twice).
    assert per_job <= 34, (one, five)
    assert one - per_job <= 20, (one, five)  # auth, the push's own look-ups, the device state
