import pytest

from tests.workorders.factories import assign, make_work_order
from workorders.services import ChecklistItemSpec


@pytest.fixture
def job(dispatcher, technician):
    """An inspection with one check, assigned to the technician."""
    work_order = make_work_order(
        dispatcher, work_type="inspection", checklist=[ChecklistItemSpec("Guard fitted")]
    )
    return assign(work_order, technician, dispatcher)
