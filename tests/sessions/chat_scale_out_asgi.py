"""The real ASGI application for the scale-out tests' server processes, with the other features' gates open.

The consent, identity and licensing gates have their own tests; here we test transport across processes.
Not a test module (no test_ prefix): pytest never imports it, only the server processes do.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "counseling.settings")
os.environ["EMBEDDED_SCHEDULER"] = "0"

import django

django.setup()

import sessions.selectors  # noqa: E402
from counseling.gates import GateResult  # noqa: E402

for _name in ("consent_gate", "identity_gate", "jurisdiction_gate"):
    setattr(sessions.selectors, _name, lambda **kw: GateResult.ok())

from counseling.asgi import application  # noqa: E402, F401
