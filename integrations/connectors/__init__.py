"""ERP connectors, one sub-package per system (client.py, mapping.py, connector.py).

Importing this package registers every connector with ``base.register``.
"""

from integrations.connectors.business_central.connector import BusinessCentralConnector
from integrations.connectors.maximo.connector import MaximoConnector
from integrations.connectors.netsuite.connector import NetSuiteConnector
from integrations.connectors.sap_s4hana.connector import SapS4HanaConnector
from integrations.connectors.tryton.connector import TrytonConnector

__all__ = [
    "BusinessCentralConnector",
    "MaximoConnector",
    "NetSuiteConnector",
    "SapS4HanaConnector",
    "TrytonConnector",
]
