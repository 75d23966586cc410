from celery import shared_task

from fieldops.events import publish_event


@shared_task(name="fieldops.system_ping", acks_late=True, ignore_result=True)
def system_ping_task(*, organization_id: int, requested_by: str, nonce: str) -> None:
    # Publishing twice on a redelivery is harmless: the ping is a notice, keyed by its nonce.
    publish_event(
        "system.ping",
        organization_id=organization_id,
        data={"requested_by": requested_by, "nonce": nonce, "from": "worker"},
    )
