from django.contrib import admin

from assets.models import Asset, AssetStatusChange, Location, Meter, MeterReading


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "organization", "parent")
    list_filter = ("kind", "organization")
    search_fields = ("code", "name")
    # The tree (parent, path) only changes through the services, which keep paths right.
    readonly_fields = ("public_id", "parent", "path", "depth", "version")


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "asset_type", "status", "criticality", "organization")
    list_filter = ("status", "criticality", "organization")
    search_fields = ("code", "name", "serial_number")
    list_select_related = ("organization",)
    readonly_fields = (
        "public_id",
        "parent",
        "path",
        "depth",
        "status",
        "status_changed_at",
        "search_text",
        "version",
    )


@admin.register(Meter)
class MeterAdmin(admin.ModelAdmin):
    list_display = ("name", "asset", "kind", "unit", "last_value", "last_reading_at")
    list_select_related = ("asset",)
    readonly_fields = ("public_id", "asset", "kind", "last_value", "last_reading_at", "version")


@admin.register(MeterReading)
class MeterReadingAdmin(admin.ModelAdmin):
    """Read-only: readings are append-only and validated by the services."""

    list_display = ("meter", "value", "taken_at", "source", "is_replacement")
    list_select_related = ("meter",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AssetStatusChange)
class AssetStatusChangeAdmin(admin.ModelAdmin):
    list_display = ("asset", "from_status", "to_status", "changed_by", "changed_at")
    list_select_related = ("asset",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
