"""Sign-out leaves nothing readable in the browser: the server side of discarding the chat outboxes
(the browser side is tests/browser/test_outbox_sign_out.py)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_signing_out_says_how_many_unsent_messages_were_discarded_and_clears_the_sites_storage(client, client_b):
    client.force_login(client_b)
    response = client.post(reverse("logout"), {"unsent_discarded": "3"})
    assert response["Clear-Site-Data"] == '"storage"'
    page = client.get(response["Location"]).content.decode()
    assert "3 unsent chat messages were discarded from this browser, so nobody using this device can read them." in page


def test_every_page_a_signed_in_person_sees_has_the_sign_out_form_that_clears_the_outboxes(client, client_b):
    client.force_login(client_b)
    page = client.get(reverse("client_home")).content.decode()
    assert "data-sign-out" in page and 'name="unsent_discarded"' in page
    assert 'data-signed-in="1"' in page


def test_signing_out_with_nothing_unsent_says_nothing_about_messages(client, client_b):
    client.force_login(client_b)
    response = client.post(reverse("logout"), {"unsent_discarded": "0"})
    assert "discarded from this browser" not in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("value", ["-4", "lots", "", "1e9"])
def test_a_nonsense_count_is_ignored(client, client_b, value):
    client.force_login(client_b)
    response = client.post(reverse("logout"), {"unsent_discarded": value})
    assert response.status_code == 302
    assert "discarded from this browser" not in client.get(response["Location"]).content.decode()


def test_the_sign_in_page_after_the_chats_inactivity_sign_out_says_how_many_were_discarded(client):
    page = client.get(reverse("login") + "?signed_out=inactive&discarded=1").content.decode()
    assert "You were signed out after a period of inactivity." in page
    assert "1 unsent chat message was discarded from this browser, so nobody using this device can read it." in page
    assert 'data-signed-in="0"' in page and 'id="outbox-discarded"' in page


def test_the_transparency_page_explains_why_unsent_messages_are_discarded(client):
    page = client.get(reverse("consent:transparency")).content.decode()
    assert 'id="unsent-messages"' in page and "We chose deleting over keeping them for later" in page
