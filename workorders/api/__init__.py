"""Work orders in the JSON API: /api/v1/work-orders and their children, requests, parts.

One router for the app (`_common.router`, mounted by `fieldops.api`); each module below adds its
operations to it as it is imported."""

# Kept in this order by hand, not sorted: the order operations are added is the order of the
# OpenAPI document.
from workorders.api import work_orders, children, readings, reports, parts, requests  # noqa: F401, I001
from workorders.api._common import router

__all__ = ["router"]
