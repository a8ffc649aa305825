"""Periodic job of identity: destroy reviewed ID documents (registered via counseling.tasks)."""

from celery import shared_task

from identity.services import identity_documents_destroy


@shared_task(name="identity.tasks.identity_documents_destroy")
def identity_documents_destroy_task() -> int:
    """Safe to run twice: each document is claimed by a conditional update before it is destroyed."""
    return identity_documents_destroy()
