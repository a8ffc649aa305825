"""Pages of erasure requests (the client asks, staff see the duties and answer, the client is told) and the
client's download of all their data."""

import json

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from counseling.audit import audit_record
from counseling.permissions import admin_required, client_required
from records.models import ErasureRequest
from records.services import (
    ClientExportUnavailable,
    client_export,
    erasure_answer,
    erasure_answer_text,
    erasure_request_create,
    retention_duties,
)


@client_required
def erasure_request_view(request):
    if request.method == "POST":
        erasure_request_create(client=request.user, request=request)
        messages.success(request, _("Your request was sent. Staff will answer it with the reason."))
        return redirect("retention:erasure_request")
    requests = ErasureRequest.objects.filter(client=request.user).order_by("-requested_at")
    return render(
        request,
        "records/erasure_request.html",
        {
            "requests": [(item, erasure_answer_text(item)) for item in requests],
            "pending": any(item.decision == ErasureRequest.Decision.PENDING for item in requests),
        },
    )


@client_required
def client_export_page(request):
    """Where a client downloads all their data (UU PDP 27/2022 Pasal 7 and 13); beside the erasure request."""
    return render(request, "records/client_export.html", {})


@client_required
def client_export_download(request):
    """The download itself: one JSON file of the signed-in client's own data, audit-logged by the service."""
    try:
        document = client_export(client=request.user, request=request)
    except ClientExportUnavailable as refused:
        return render(request, "records/client_export.html", {"refusal": str(refused)}, status=410)
    response = HttpResponse(
        json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="my-data-{document["exported_at"][:10]}.json"'
    response["Cache-Control"] = "no-store"
    return response


@admin_required
def erasure_queue(request):
    return render(
        request,
        "records/erasure_queue.html",
        {
            "requests": ErasureRequest.objects.select_related("client__client_profile", "answered_by")[:200],
        },
    )


def access_erasure_request(*, user, erasure_id: int) -> ErasureRequest:
    """Admins only (the decorator checks the role); a missing request is a 404."""
    erasure = ErasureRequest.objects.select_related("client__client_profile").filter(pk=erasure_id).first()
    if erasure is None or not user.is_admin:
        raise Http404
    return erasure


@admin_required
def erasure_detail(request, erasure_id: int):
    erasure = access_erasure_request(user=request.user, erasure_id=erasure_id)
    if request.method == "POST":
        erasure_answer(erasure=erasure, staff=request.user, request=request)
        messages.success(request, _("Answered. The client has been told."))
        return redirect("retention:erasure_detail", erasure.pk)
    duties, holds = ([], [])
    if erasure.client is not None:
        duties, holds = retention_duties(client=erasure.client)
        audit_record(
            actor=request.user, action="erasure.viewed", target=erasure, subject=erasure.client, request=request
        )
    return render(
        request,
        "records/erasure_detail.html",
        {
            "erasure": erasure,
            "duties": duties,
            "holds": holds,
            "answer_text": erasure_answer_text(erasure),
        },
    )
