"""The public transparency page: no login, linked from sign-up and the footer, in both languages."""

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_the_transparency_page_says_what_is_stored_how_who_how_long_and_the_limits(client):
    page = client.get("/consent/transparency/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for phrase in [
        "What we store",
        "AES-256-GCM",
        "Who can see it",
        "at least 7 years",
        "crypto-shredding",
        "No online service can fully guarantee confidentiality",
        'href="tel:112"',
        'href="tel:110"',
        'href="tel:119,8"',
        "119, then press 8",
        "Healing119",
        "not yet everywhere",
        "HIMPSI",
        "Counseling Compact",
    ]:
        assert phrase in page, phrase


def test_the_transparency_page_speaks_bahasa_indonesia(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    page = client.get("/consent/transparency/").content.decode()
    for phrase in [
        "Apa yang kami simpan",
        "Tidak ada layanan daring yang dapat menjamin kerahasiaan sepenuhnya",
        "119, lalu tekan 8",
        "belum di semua daerah",
        "sekurang-kurangnya 7 tahun",
        "Himpunan Psikologi Indonesia",
    ]:
        assert phrase in page, phrase


def test_sign_up_and_the_footer_link_the_transparency_page(client):
    assert 'href="/consent/transparency/"' in client.get("/accounts/signup/").content.decode()
    footer = client.get("/").content.decode().split("<footer", 1)[1]
    assert 'href="/consent/transparency/"' in footer
