"""The emergency and crisis numbers of each place: what pages, the chat panel, e-mails and alerts show.

Several per place, never a single one (crisis-line practice); a region's own first, then the
country's. A number is shown only once an admin has confirmed it against its official source.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from counseling import clock
from counseling.audit import audit_record
from counseling.statements import composed_for
from identity.models import EmergencyResource


def _published(*, country: str, region: str):
    """Active, confirmed (checked_on) numbers of the country as a whole (region "") or of one region, by
    (sort_order, name) (give region "" for the country's alone)."""
    return EmergencyResource.objects.filter(
        Q(region="") | Q(region=region), country=country, is_active=True, checked_on__isnull=False
    ).order_by("sort_order", "name")


def _to_check(*, stale_before):
    """Active numbers never confirmed, confirmed before a date, or with no source; never-confirmed first, then
    oldest confirmed, by place and order."""
    return (
        EmergencyResource.objects.filter(is_active=True)
        .filter(Q(checked_on__isnull=True) | Q(checked_on__lt=stale_before) | Q(source_url=""))
        .order_by(F("checked_on").asc(nulls_first=True), "country", "region", "sort_order")
    )


# Every client's home, help alert and the staff dashboard make these two reads: their statements are composed once
# per process (counseling.statements), the ORM built and compiled them (an OR of two places; an ORDER BY with NULLS
# FIRST) for ~1 ms of CPU, several times reading the few rows.


def emergency_numbers_for(*, country: str, region: str = "") -> list[EmergencyResource]:
    """The published emergency and crisis numbers for a place: the region's own first, then the country's.

    Published means active and confirmed by an admin against its source (checked_on). Several per
    place by design. An unknown place gives an empty list; callers then say "call your local
    emergency number" (templates/identity/_emergency_numbers.html does).
    """
    country = (country or "").strip().upper()
    region = (region or "").strip().upper()
    if not country:
        return []
    values = {"country": country, "region": region}
    published = composed_for(("emergency_numbers_for",), _published, values).instances(values)
    # The region's own first: a stable sort of the rows in (sort_order, name) order, rather than a CASE column for
    # the database to order by (a third of the query's Python calls, on every client's page and help alert).
    return sorted(published, key=lambda resource: resource.region == "")


def emergency_numbers_by_country() -> dict[str, list[EmergencyResource]]:
    """Every country's own (country-wide) numbers, for pages where the client picks a country."""
    places: dict[str, list[EmergencyResource]] = {}
    published = EmergencyResource.objects.filter(is_active=True, checked_on__isnull=False, region="")
    for resource in published.order_by("country", "sort_order", "name"):
        places.setdefault(resource.country, []).append(resource)
    return places


def emergency_numbers_to_check(*, today: date) -> list[EmergencyResource]:
    """Active numbers that need an admin: never confirmed, no source recorded, or not confirmed for
    EMERGENCY_NUMBER_RECHECK_DAYS (shown on the staff dashboard, oldest first)."""
    stale_before = today - timedelta(days=settings.EMERGENCY_NUMBER_RECHECK_DAYS)
    values = {"stale_before": stale_before}
    return composed_for(("emergency_numbers_to_check",), _to_check, values).instances(values)


def emergency_numbers(*, country: str, region: str = "") -> list[dict]:
    """The numbers for a place as sent to open pages: [{label, number, tel, description}].

    From the published table (identity.selectors.emergency_numbers_for); an unknown place
    gets Indonesia's, the first market. Never a single number (MISSION.md): with fewer than two known,
    "your local emergency number" is added.
    """
    numbers = [
        resource.as_alert_item()
        for resource in emergency_numbers_for(country=country or "ID", region=region if country else "")
    ]
    if len(numbers) < 2:
        numbers.append(
            {"label": str(_("Elsewhere: your local emergency number")), "number": "", "tel": "", "description": ""}
        )
    return numbers


# The fields a person dials or checks against: changing one unpublishes the number until confirmed.
EMERGENCY_NUMBER_DIALLED_FIELDS = ("number", "extension", "channel", "source_url", "country", "region")


def emergency_number_save(*, resource, changed_fields: list[str], confirmed: bool, actor, request=None):
    """Save an admin's edit of an emergency number (the admin form calls this).

    `confirmed`: the admin says they checked the number against its official source today; it is then
    published (checked_on today). An edit of what is dialled without that confirmation takes the number
    off the pages until someone confirms it: a wrong crisis number is worse than a missing one.
    """
    today = clock.now().date()
    with transaction.atomic():
        if confirmed:
            resource.checked_on, resource.checked_by = today, actor
        elif resource.pk is None or set(changed_fields) & set(EMERGENCY_NUMBER_DIALLED_FIELDS):
            resource.checked_on, resource.checked_by = None, None
        resource.save()
        audit_record(
            actor=actor,
            action="emergency_number.confirmed" if confirmed else "emergency_number.changed",
            target=resource,
            request=request,
            detail={
                "changed": sorted(changed_fields),
                "number": resource.number,
                "extension": resource.extension,
                "published": resource.checked_on is not None,
            },
        )
    return resource
