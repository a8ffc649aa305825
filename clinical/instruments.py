"""The outcome measures a client fills in before sessions: the PHQ-9 (depression) and the GAD-7 (anxiety).

Sources (the wording and the scoring are the instruments'; nothing here is our own invention):
- PHQ-9: Kroenke K, Spitzer RL, Williams JBW. "The PHQ-9: validity of a brief depression severity measure."
  J Gen Intern Med 2001;16(9):606-613. Severity bands 0-4 minimal, 5-9 mild, 10-14 moderate,
  15-19 moderately severe, 20-27 severe.
- GAD-7: Spitzer RL, Kroenke K, Williams JBW, Löwe B. "A brief measure for assessing generalized anxiety
  disorder: the GAD-7." Arch Intern Med 2006;166(10):1092-1097. Bands 0-4 minimal, 5-9 mild, 10-14
  moderate, 15-21 severe.
- Both are from the PHQ Screeners of Pfizer Inc., free to use without permission (www.phqscreeners.com),
  which also publishes official translations, Indonesian included.
- Indonesian PHQ-9: validated by Cut Nyak Dian, "Validitas dan Reliabilitas The Patient Health Questionnaire
  (PHQ-9) Versi Bahasa Indonesia", master's thesis in psychiatry, Universitas Sumatera Utara, 2020
  (repositori.usu.ac.id/handle/123456789/29791).
- The Indonesian wording below is the one circulated in Indonesian clinical references (e.g. Alomedika's
  article on the PHQ-9; the GAD-7 as published by UIN Sunan Kalijaga's mental-health screening page).
  **Before production it must be checked word for word against the official phqscreeners.com Indonesian
  translation** (docs/architecture.md, "Treatment plans and outcome measures"): we could not read that
  file here, and a validated instrument is only valid in its validated wording.

The item texts are not run through gettext on purpose: a translator must not reword a validated
instrument. Each language's wording is kept here, whole, and the response records which one was shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

PHQ9 = "phq9"
GAD7 = "gad7"
LANGUAGES = ("en", "id")


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    key: str
    label: object  # a lazy translation


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    max_score: int
    stem: dict[str, str]
    items: dict[str, tuple[str, ...]]
    options: dict[str, tuple[str, ...]]
    bands: tuple[Band, ...]

    def band(self, score: int) -> Band:
        for band in self.bands:
            if band.low <= score <= band.high:
                return band
        raise ValueError(f"{self.code} score {score} is outside 0-{self.max_score}")

    def wording(self, language: str) -> str:
        return language if language in self.items else "en"


_OPTIONS = {
    "en": ("Not at all", "Several days", "More than half the days", "Nearly every day"),
    "id": ("Tidak pernah", "Beberapa hari", "Lebih dari separuh waktu yang dimaksud", "Hampir setiap hari"),
}

_MINIMAL = _("minimal")
_MILD = _("mild")
_MODERATE = _("moderate")

PHQ9_INSTRUMENT = Instrument(
    code=PHQ9,
    name="PHQ-9",
    max_score=27,
    stem={
        "en": "Over the last 2 weeks, how often have you been bothered by any of the following problems?",
        "id": "Dalam 2 minggu terakhir, seberapa sering Anda terganggu oleh masalah-masalah berikut?",
    },
    items={
        "en": (
            "Little interest or pleasure in doing things",
            "Feeling down, depressed, or hopeless",
            "Trouble falling or staying asleep, or sleeping too much",
            "Feeling tired or having little energy",
            "Poor appetite or overeating",
            "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so "
            "fidgety or restless that you have been moving around a lot more than usual",
            "Thoughts that you would be better off dead or of hurting yourself in some way",
        ),
        "id": (
            "Kurang berminat atau bergairah dalam melakukan apapun",
            "Merasa murung, sedih, atau putus asa",
            "Sulit tidur/mudah terbangun, atau terlalu banyak tidur",
            "Merasa lelah atau kurang bertenaga",
            "Kurang nafsu makan atau terlalu banyak makan",
            "Kurang percaya diri — atau merasa bahwa Anda adalah orang yang gagal atau telah mengecewakan diri "
            "sendiri atau keluarga",
            "Sulit berkonsentrasi pada sesuatu, misalnya membaca koran atau menonton televisi",
            "Bergerak atau berbicara sangat lambat sehingga orang lain memperhatikannya? Atau sebaliknya — "
            "merasa resah atau gelisah sehingga Anda lebih sering bergerak dari biasanya",
            "Merasa lebih baik mati atau ingin melukai diri sendiri dengan cara apapun",
        ),
    },
    options=_OPTIONS,
    bands=(
        Band(0, 4, "minimal", _MINIMAL),
        Band(5, 9, "mild", _MILD),
        Band(10, 14, "moderate", _MODERATE),
        Band(15, 19, "moderately_severe", _("moderately severe")),
        Band(20, 27, "severe", _("severe")),
    ),
)

GAD7_INSTRUMENT = Instrument(
    code=GAD7,
    name="GAD-7",
    max_score=21,
    stem=PHQ9_INSTRUMENT.stem,
    items={
        "en": (
            "Feeling nervous, anxious, or on edge",
            "Not being able to stop or control worrying",
            "Worrying too much about different things",
            "Trouble relaxing",
            "Being so restless that it is hard to sit still",
            "Becoming easily annoyed or irritable",
            "Feeling afraid, as if something awful might happen",
        ),
        "id": (
            "Merasa gelisah, cemas atau amat tegang",
            "Tidak mampu menghentikan atau mengendalikan rasa khawatir",
            "Terlalu mengkhawatirkan berbagai hal",
            "Sulit untuk santai",
            "Sangat gelisah sehingga sulit untuk duduk diam",
            "Menjadi mudah jengkel atau lekas marah",
            "Merasa takut seolah-olah sesuatu yang mengerikan mungkin terjadi",
        ),
    },
    options=_OPTIONS,
    bands=(
        Band(0, 4, "minimal", _MINIMAL),
        Band(5, 9, "mild", _MILD),
        Band(10, 14, "moderate", _MODERATE),
        Band(15, 21, "severe", _("severe")),
    ),
)

INSTRUMENTS = {PHQ9: PHQ9_INSTRUMENT, GAD7: GAD7_INSTRUMENT}
INSTRUMENT_CHOICES = [(PHQ9, "PHQ-9"), (GAD7, "GAD-7")]
# PHQ-9 item 9 (0-based 8): thoughts of being better off dead or of self-harm. Any answer above
# "not at all" opens an escalation at once (clinical.signals.phq9_item9_positive).
PHQ9_SAFETY_ITEM = 8


@dataclass(frozen=True)
class Score:
    total: int
    band: Band
    safety_answer: int | None  # PHQ-9 item 9; None for the GAD-7


def score(*, instrument: str, answers: list[int]) -> Score:
    """The total and band of a complete set of answers (each 0-3). Raises ValueError on anything else."""
    spec = INSTRUMENTS[instrument]
    if len(answers) != len(spec.items["en"]) or any(a not in (0, 1, 2, 3) for a in answers):
        raise ValueError(f"{spec.name} needs {len(spec.items['en'])} answers, each 0-3")
    total = sum(answers)
    return Score(
        total=total,
        band=spec.band(total),
        safety_answer=answers[PHQ9_SAFETY_ITEM] if instrument == PHQ9 else None,
    )
