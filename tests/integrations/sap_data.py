"""Realistic SAP S/4HANA payloads (field names from API_MAINTENANCEORDER, API_EQUIPMENT,
API_PURCHASEORDER_PROCESS_SRV)."""

from datetime import UTC, datetime, timedelta

from tests.integrations.simulators.sap import SapSimulator, sap_date

T0 = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)


def equipment(number: str, name: str, changed: datetime, **extra) -> dict:
    return {
        "Equipment": number,
        "EquipmentName": name,
        "EquipmentCategory": "M",
        "TechnicalObjectType": "PUMP",
        "InventoryNumber": "",
        "OperationStartDate": "/Date(1583020800000)/",
        "AcquisitionValue": "15000.00",
        "Currency": "EUR",
        "AssetManufacturerName": "KSB",
        "ManufacturerPartTypeName": "Etanorm 65-200",
        "ManufacturerSerialNumber": f"SN-{number}",
        "MaintenancePlant": "1010",
        "FunctionalLocation": "1010-PLT-A1",
        "SuperordinateEquipment": "",
        "EquipmentIsAvailable": True,
        "EquipmentIsInstalled": True,
        "CreationDate": "/Date(1583020800000)/",
        "LastChangeDateTime": sap_date(changed),
        "EquipmentIsMarkedForDeletion": False,
        "to_Partner": {"__deferred": {"uri": "x"}},
        **extra,
    }


def order(number: str, changed: datetime, **extra) -> dict:
    return {
        "MaintenanceOrder": number,
        "MaintenanceOrderType": "PM01",
        "MaintenanceOrderDesc": "Pump P-101 leaking at seal",
        "MaintPriority": "2",
        "Equipment": "10000001",
        "FunctionalLocation": "1010-PLT-A1",
        "MaintOrdBasicStartDateTime": sap_date(T0),
        "MaintOrdBasicEndDateTime": sap_date(T0 + timedelta(hours=4)),
        "SystemStatusText": "REL NMAT PRC",
        "MaintOrdProcessPhaseCode": "3",
        "MainWorkCenter": "MECH",
        "MaintenancePlant": "1010",
        "LastChangeDateTime": sap_date(changed),
        **extra,
    }


def purchase_order(number: str, changed: datetime) -> dict:
    return {
        "PurchaseOrder": number,
        "CompanyCode": "1010",
        "PurchaseOrderType": "NB",
        "PurchasingProcessingStatus": "05",
        "Supplier": "17300001",
        "PurchaseOrderDate": "/Date(1762041600000)/",
        "DocumentCurrency": "EUR",
        "LastChangeDateTime": sap_date(changed),
        "to_PurchaseOrderItem": [
            {
                "PurchaseOrder": number,
                "PurchaseOrderItem": "10",
                "Material": "MAT-BRG-6204",
                "PurchaseOrderItemText": "Bearing 6204",
                "OrderQuantity": "4",
                "PurchaseOrderQuantityUnit": "EA",
                "NetPriceAmount": "7.25",
                "NetPriceQuantity": "1",
                "IsCompletelyDelivered": True,
                "PurchasingDocumentDeletionCode": "",
            },
            {
                "PurchaseOrder": number,
                "PurchaseOrderItem": "20",
                "Material": "MAT-FLT-100",
                "PurchaseOrderItemText": "Hydraulic filter",
                "OrderQuantity": "2.000",
                "PurchaseOrderQuantityUnit": "EA",
                "NetPriceAmount": "22.10",
                "NetPriceQuantity": "1",
                "IsCompletelyDelivered": False,
                "PurchasingDocumentDeletionCode": "",
            },
        ],
    }


def seeded(page_size: int = 2, equipment_count: int = 5) -> SapSimulator:
    sim = SapSimulator(page_size=page_size)
    for i in range(equipment_count):
        sim.put(
            "Equipment",
            equipment(f"1000000{i + 1}", f"Pump P-10{i + 1}", T0 + timedelta(minutes=i)),
        )
    sim.put("MaintenanceOrder", order("4000000", T0))
    sim.put("A_PurchaseOrder", purchase_order("4500000001", T0))
    return sim
