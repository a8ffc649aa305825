"""Admin pages of intake and identity (registered via counseling.admin).

Emergency numbers are edited here. Intakes, ID documents and code words are not shown: their
content is sealed, and ID documents are reviewed in the audited queue (/intake/review/).
"""

from django.contrib import admin

from counseling.models import EmergencyResource


@admin.register(EmergencyResource)
class EmergencyResourceAdmin(admin.ModelAdmin):
    list_display = ["country", "region", "name", "number", "extension", "hours", "sort_order", "is_active"]
    list_filter = ["country", "is_active"]
    list_editable = ["sort_order", "is_active"]
    search_fields = ["name", "number", "country", "region"]
    ordering = ["country", "region", "sort_order"]
