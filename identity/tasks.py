"""Periodic job of identity: destroy reviewed ID documents. The task keeps the name it was first deployed
under (django-celery-beat rows and queued messages refer to it)."""

from celery import shared_task

from identity.services import identity_documents_destroy


@shared_task(name="counseling.identity_tasks.identity_documents_destroy")
def identity_documents_destroy_task() -> int:
    """Safe to run twice: each document is claimed by a conditional update before it is destroyed."""
    return identity_documents_destroy()
