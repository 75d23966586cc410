import factory

from integrations.crypto import encrypt_credentials
from integrations.models import Connection
from tests.factories import OrganizationFactory


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection

    organization = factory.SubFactory(OrganizationFactory)
    system = "sap_s4hana"
    name = factory.Sequence(lambda n: f"ERP {n}")
    base_url = "http://127.0.0.1:9/sap/opu/odata/sap"
    credentials_encrypted = factory.LazyFunction(
        lambda: encrypt_credentials({"username": "FIELDOPS", "password": "s3cret"})
    )
    events = [
        "sync.completed",
        "sync.failed",
        "connection.auth_required",
        "connection.status_changed",
    ]
    settings = factory.LazyFunction(lambda: {"backoff_base": 0.01, "max_inline_wait": 30})
