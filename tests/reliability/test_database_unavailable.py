"""A lost database or Redis connection answers 503 with Retry-After: the API in the error
envelope, pages with a small page that needs no database to render — never a 500 or the driver's
message."""

from unittest import mock

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.test import Client, RequestFactory
from redis.exceptions import ConnectionError as RedisConnectionError

from fieldops.web.middleware import DomainErrorPageMiddleware
from tests.workorders.factories import make_work_order

DRIVER_MESSAGE = "terminating connection due to administrator command (host db.internal)"


def test_api_answers_503_envelope_when_the_connection_is_lost(dispatcher, with_token):
    client = with_token(dispatcher)
    work_order = make_work_order(dispatcher)
    with mock.patch(
        "workorders.api.work_orders.work_order_out_by_ref",
        side_effect=OperationalError(DRIVER_MESSAGE),
    ):
        response = client.get(f"/api/v1/work-orders/{work_order.reference}")
    assert response.status_code == 503
    assert response.json() == {
        "error": {
            "code": "SERVICE_UNAVAILABLE",
            "message": "The service is briefly unavailable; retry shortly.",
            "details": {},
        }
    }
    assert response["Retry-After"] == "1"
    assert client.get(f"/api/v1/work-orders/{work_order.reference}").status_code == 200


def test_api_answers_503_envelope_when_redis_is_down_for_the_throttle(dispatcher, with_token):
    client = with_token(dispatcher)
    with mock.patch(
        "fieldops.throttling.ActorRateThrottle.allow_request",
        side_effect=RedisConnectionError("Error 111 connecting to cache.internal:6379."),
    ):
        response = client.get("/api/v1/work-orders")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert response["Retry-After"] == "1"
    assert b"cache.internal" not in response.content


def test_pages_answer_503_without_the_driver_message():
    middleware = DomainErrorPageMiddleware(lambda request: None)
    for error in (OperationalError(DRIVER_MESSAGE), InterfaceError("connection already closed")):
        response = middleware.process_exception(RequestFactory().get("/board/"), error)
        assert response.status_code == 503
        assert response["Retry-After"] == "1"
        assert b"Briefly unavailable" in response.content
        assert b"db.internal" not in response.content


def test_other_errors_are_left_to_django():
    middleware = DomainErrorPageMiddleware(lambda request: None)
    assert middleware.process_exception(RequestFactory().get("/board/"), ValueError()) is None


def test_a_session_that_cannot_be_read_answers_503_not_500(dispatcher):
    # The database went away before any view ran: the session middleware's read fails (Django
    # then re-raises it as an AttributeError from the session cache, with ours as context).
    client = Client(raise_request_exception=False)
    client.force_login(dispatcher.user)
    with mock.patch(
        f"{settings.SESSION_ENGINE}.SessionStore.load",
        side_effect=OperationalError(DRIVER_MESSAGE),
    ):
        page = client.get("/board/")
        api = client.get("/api/v1/work-orders")
    assert page.status_code == 503
    assert page["Retry-After"] == "1"
    assert b"db.internal" not in page.content
    assert api.status_code == 503
    assert api.json()["error"]["code"] == "SERVICE_UNAVAILABLE"


def test_other_server_errors_stay_500(dispatcher):
    client = Client(raise_request_exception=False)
    client.force_login(dispatcher.user)
    with mock.patch(
        "fieldops.accounts.middleware.MembershipMiddleware.__call__", side_effect=KeyError("boom")
    ):
        assert client.get("/board/").status_code == 500
