"""The templates of breach notices, written out per language like the consent text (consent/default_text.py).

Written to UU PDP 27/2022 Pasal 46(2), which asks a written notice to say at least: a. the personal data
exposed; b. when and how it was exposed; c. what the controller does to handle it and recover. GDPR Art. 34(2)
asks the same in clear and plain language, plus the likely consequences and a contact point (Art. 33(3)).
We add what the client can do. The admin edits every draft before anything is sent.

The client's notice says nothing about the client themselves (no name, no session, no message): one text
per language goes to every affected client, so an e-mail carries what the law requires and no more.
"""

from __future__ import annotations

CLIENT_NOTICE: dict[str, dict[str, str]] = {
    "en": {
        "subject": "Important: a security incident affecting your data",
        "body": (
            "We are writing to tell you about a security incident that affected personal data you gave us. "
            "Indonesian law (UU PDP 27/2022, Article 46) requires us to tell you in writing, and we promised "
            "in your consent to do so.\n\n"
            "What happened and when:\n{summary}\n{when}\n\n"
            "Which of your data was exposed:\n{data}\n\n"
            "What we have done and are doing:\n{measures}\n\n"
            "What you can do:\n{steps}\n\n"
            "Whom to contact:\n{contact}\n\n"
            "You can also complain to the data protection authority. We are sorry this happened."
        ),
        "when_known": "It happened on {occurred} and we found it on {detected}.",
        "when_unknown": "We found it on {detected}; we do not yet know when it began.",
    },
    "id": {
        "subject": "Penting: insiden keamanan yang menyangkut data Anda",
        "body": (
            "Kami memberi tahu Anda tentang insiden keamanan yang menyangkut data pribadi yang Anda berikan "
            "kepada kami. Hukum Indonesia (UU PDP 27/2022, Pasal 46) mewajibkan kami memberi tahu Anda secara "
            "tertulis, dan kami sudah menjanjikannya dalam persetujuan Anda.\n\n"
            "Apa yang terjadi dan kapan:\n{summary}\n{when}\n\n"
            "Data Anda yang terungkap:\n{data}\n\n"
            "Yang sudah dan sedang kami lakukan:\n{measures}\n\n"
            "Yang dapat Anda lakukan:\n{steps}\n\n"
            "Siapa yang dapat dihubungi:\n{contact}\n\n"
            "Anda juga dapat mengadu kepada otoritas pelindungan data pribadi. Kami mohon maaf atas kejadian ini."
        ),
        "when_known": "Insiden ini terjadi pada {occurred} dan kami mengetahuinya pada {detected}.",
        "when_unknown": "Kami mengetahuinya pada {detected}; kapan insiden ini dimulai belum diketahui.",
    },
}

# To the authority. UU PDP: in Bahasa Indonesia, to the agency of Pasal 58 (until it exists, Komdigi).
# GDPR: in English, to the lead supervisory authority, with what Art. 33(3) lists.
AUTHORITY_NOTICE: dict[str, dict[str, str]] = {
    "uu_pdp": {
        "language": "id",
        "body": (
            "Kepada: {authority}\n"
            "Perihal: Pemberitahuan kegagalan pelindungan data pribadi (UU PDP 27/2022, Pasal 46)\n\n"
            "Pengendali data pribadi: {controller}\n\n"
            "a. Data pribadi yang terungkap:\n{data}\n"
            "Jumlah subjek data pribadi yang terdampak: {count}\n\n"
            "b. Kapan dan bagaimana data pribadi terungkap:\n{summary}\n{when}\n\n"
            "c. Upaya penanganan dan pemulihan:\n{measures}\n\n"
            "Subjek data pribadi yang terdampak diberi tahu secara tertulis melalui email.\n\n"
            "Kontak:\n{contact}"
        ),
        "when_known": "Terjadi pada {occurred}; diketahui pada {detected}.",
        "when_unknown": "Diketahui pada {detected}; waktu mulainya belum diketahui.",
    },
    "gdpr": {
        "language": "en",
        "body": (
            "To: {authority}\n"
            "Subject: Personal data breach notification (GDPR, Article 33)\n\n"
            "Controller: {controller}\n\n"
            "Nature of the breach:\n{summary}\n{when}\n\n"
            "Categories of personal data concerned:\n{data}\n"
            "Approximate number of data subjects concerned: {count} (of whom {count_eu} in the EU/EEA)\n\n"
            "Likely consequences and the measures taken or proposed, including to mitigate its effects:\n"
            "{measures}\n\n"
            "The data subjects are told in writing by e-mail (Article 34).\n\n"
            "Contact point for more information:\n{contact}"
        ),
        "when_known": "It happened on {occurred}; we became aware of it on {detected}.",
        "when_unknown": "We became aware of it on {detected}; when it began is not yet known.",
    },
}
