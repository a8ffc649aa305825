import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "counseling.settings")

app = Celery("counseling")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
