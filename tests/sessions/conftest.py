import pytest

from tests.sessions.chat_helpers import open_gates, open_session


@pytest.fixture
def chat(client_a, counselor_a, monkeypatch):
    """An open session of client_a with counselor_a, the other features' gates open: (conversation, session).
    A module that needs more (cookies, stored messages) defines its own `chat`."""
    open_gates(monkeypatch)
    return open_session(client_a, counselor_a)
