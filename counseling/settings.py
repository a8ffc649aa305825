"""The one settings module. Everything that differs between machines comes from the environment.

Two ways to run (README, "Architecture"):
- embedded default: no DATABASE_URL, no REDIS_URL -> SQLite, in-memory channel layer, Celery tasks
  run eagerly in the caller and periodic jobs run on the ASGI server's own event loop;
- production: DATABASE_URL (PostgreSQL) and REDIS_URL (channel layer, cache, Celery broker), with
  several ASGI processes, a Celery worker and Celery beat.
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)
# HTTPS on: secure cookies, HSTS, redirect to https. On by default outside DEBUG; the test settings
# (pyproject) and a plain-http local run turn it off explicitly.
HTTPS = envbool("HTTPS", not DEBUG)

_DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-0123456789abcdefghijklmnop"
# 32 zero-ish bytes, base64; only ever used with DEBUG on.
_DEV_FIELD_KEYS = "dev:ZGV2LW9ubHktaW5zZWN1cmUtZmllbGQta2V5LTAwMDA="
_DEV_AUDIT_KEY = "dev:ZGV2LW9ubHktaW5zZWN1cmUtYXVkaXQta2V5LTAwMDA="

SECRET_KEY = os.environ.get("SECRET_KEY", "")
FIELD_ENCRYPTION_KEYS = os.environ.get("FIELD_ENCRYPTION_KEYS", "")
# The audit log's MAC keys (counseling/audit.py), "id:base64(32 bytes),...", the first one signs new entries,
# the others only verify older ones. Only in the environment, never in the database: whoever can write the
# database but does not hold this key cannot rewrite, add or insert an entry unseen.
AUDIT_KEY = os.environ.get("AUDIT_KEY", "")
if not DEBUG:
    missing = [
        name
        for name, value in (
            ("SECRET_KEY", SECRET_KEY),
            ("FIELD_ENCRYPTION_KEYS", FIELD_ENCRYPTION_KEYS),
            ("AUDIT_KEY", AUDIT_KEY),
        )
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(
            "Refusing to start with DEBUG off: missing " + " and ".join(missing) + ". "
            "Set them in the environment (see .env.example); FIELD_ENCRYPTION_KEYS and AUDIT_KEY are "
            "comma-separated lists of id:base64(32 bytes), the first one primary."
        )
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long.")
else:
    SECRET_KEY = SECRET_KEY or _DEV_SECRET_KEY
    FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or _DEV_FIELD_KEYS
    AUDIT_KEY = AUDIT_KEY or _DEV_AUDIT_KEY

# Backups and key epochs (counseling/crypto.py, docs/security.md "Backups"). Key-encryption keys are dated
# epochs in FIELD_ENCRYPTION_KEYS ("2026-07-01:base64"); a new epoch starts every KEK_EPOCH_DAYS (the operator
# adds its key ahead of its date). Backups are kept at most BACKUP_RETENTION_DAYS. An epoch is retired (its
# key removed from the environment) within KEK_RETIRE_GRACE_DAYS once no backup holding a key wrapped under it
# can exist. Their sum is the number of days the consent and the transparency page promise: shredded data is
# unreadable in every backup by then. Changing them changes that promise (consent.checks compares).
KEK_EPOCH_DAYS = envint("KEK_EPOCH_DAYS", 30)
BACKUP_RETENTION_DAYS = envint("BACKUP_RETENTION_DAYS", 30)
KEK_RETIRE_GRACE_DAYS = envint("KEK_RETIRE_GRACE_DAYS", 5)

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    # The admin site requires a verified second factor (counseling.admin_site).
    "counseling.admin_config.VerifiedAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_celery_beat",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # The project's apps, lowest layer first (README: the layers; pyproject: the import contract).
    "counseling",
    "records",
    "consent",
    "licensing",
    "identity",
    "sessions.apps.CounselingSessionsConfig",
    "clinical",
    "crisis",
    "incidents",
    "dashboards",
]

MIDDLEWARE = [
    # First: the liveness and readiness probes answer before the host check and the HTTPS redirect.
    "counseling.health.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "counseling.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # A NUL in the path, query or form is refused with a 400 before a view passes it to the database.
    "counseling.middleware.NulRefusalMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A staff member's chosen language overrules the cookie and Accept-Language that LocaleMiddleware read.
    "counseling.middleware.ChosenLanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "counseling.middleware.InactivityLogoutMiddleware",
    # Staff without a verified second factor reach only sign-in, MFA and public pages (counseling.mfa).
    "counseling.mfa.SecondFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "counseling.urls"
ASGI_APPLICATION = "counseling.asgi.application"
WSGI_APPLICATION = "counseling.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "counseling.context_processors.site",
            ],
        },
    },
]


def database_from_url(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(f"DATABASE_URL must be a postgres:// URL, not {parts.scheme}://")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": envint("DB_CONN_MAX_AGE", 0),
        "CONN_HEALTH_CHECKS": True,
        # Named explicitly, not left to Django's "test_" prefix: the browser tests' Daphne process
        # (channels.testing.live.set_database_connection) would prefix the already-switched name again.
        "TEST": {"NAME": os.environ.get("TEST_DATABASE_NAME") or "test_" + unquote(parts.path.lstrip("/"))},
    }


DATABASE_URL = os.environ.get("DATABASE_URL", "")


# The chat's few long-lived connections on the event loop (counseling/on_loop.py) gain nothing from a pooler and would
# pay its extra hop on every message: when DATABASE_URL goes through PgBouncer, DATABASE_DIRECT_URL names PostgreSQL
# itself. Only its host and port are used; the database, user and password stay DATABASE_URL's.
def database_direct_from_url(url: str) -> dict:
    parts = urlsplit(url)
    return {"host": parts.hostname, "port": parts.port or 5432} if parts.hostname else {}


CHAT_DATABASE_DIRECT = database_direct_from_url(os.environ.get("DATABASE_DIRECT_URL", ""))
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "var" / "counseling.sqlite3")),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
            # A file, not memory, so a real ASGI server process in browser tests sees the same data.
            "TEST": {"NAME": os.environ.get("SQLITE_TEST_PATH", str(BASE_DIR / "var" / "test-counseling.sqlite3"))},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "counseling.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (counseling.services.login_is_throttled), three counters over a fixed window:
# - one account from one address: LOGIN_FAILURE_LIMIT failures lock that pair (guessing one password);
# - one address, any accounts: LOGIN_FAILURE_ADDRESS_LIMIT (trying one password on many accounts);
# - one account, all addresses: LOGIN_FAILURE_ACCOUNT_LIMIT (guessing from many addresses). One address adds at
#   most LOGIN_FAILURE_LIMIT to it per window, so nobody locks an account's owner out from a single address, and
#   a lock ends with the window: never for good.
# The address is the real client's behind TRUSTED_PROXIES (counseling.client_address).
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_ADDRESS_LIMIT = envint("LOGIN_FAILURE_ADDRESS_LIMIT", 20)
LOGIN_FAILURE_ACCOUNT_LIMIT = envint("LOGIN_FAILURE_ACCOUNT_LIMIT", 50)
LOGIN_FAILURE_WINDOW_SECONDS = envint("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)
# Sign-up and password reset, which write e-mails to any address typed in, counted per real client address
# (counseling.client_address) and per address written to, within a fixed window (counseling.services.attempt_allowed):
# enough for a household or an office behind one address, too few to mail-bomb someone or enumerate accounts.
SIGNUP_ADDRESS_LIMIT = envint("SIGNUP_ADDRESS_LIMIT", 10)
PASSWORD_RESET_ADDRESS_LIMIT = envint("PASSWORD_RESET_ADDRESS_LIMIT", 10)
# E-mails about one account (reset links, sign-up notices, verification links) per window.
ACCOUNT_EMAIL_LIMIT = envint("ACCOUNT_EMAIL_LIMIT", 5)
ACCOUNT_EMAIL_WINDOW_SECONDS = envint("ACCOUNT_EMAIL_WINDOW_SECONDS", 60 * 60)
# How long the link that confirms an e-mail address works.
EMAIL_VERIFICATION_MAX_AGE_SECONDS = envint("EMAIL_VERIFICATION_MAX_AGE_SECONDS", 3 * 24 * 3600)
# The reverse proxies in front of the ASGI servers, addresses or CIDR networks ("10.0.0.0/8,192.0.2.10"). Only a
# connection from one of these may say whom it forwards (X-Forwarded-For); empty: nobody, the peer is the client.
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES")

# ACA H.2.c / HIPAA 164.312(a)(2)(iii): automatic logoff after inactivity.
INACTIVITY_TIMEOUT_SECONDS = envint("INACTIVITY_TIMEOUT_SECONDS", 15 * 60)
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 12 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and envbool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
BEHIND_TLS_PROXY = envbool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("id", _("Bahasa Indonesia"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing one
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if envbool("COLLECTED_STATIC", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Without collectstatic (embedded default, tests) WhiteNoise serves straight from the finders.
WHITENOISE_USE_FINDERS = not envbool("COLLECTED_STATIC", False)
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))

# Where the audit log's head (newest entry number and MAC) is exported, outside the database, so that
# `verify_audit_log` sees entries removed from the end (docs/operations.md, "The audit log"). The sink is a
# class with append(head) and read(); the default appends JSON lines to AUDIT_HEAD_FILE. Put the file where
# the database's users cannot write: another disk or host, a file with chattr +a, a log shipper.
AUDIT_HEAD_SINK = os.environ.get("AUDIT_HEAD_SINK", "counseling.audit.JsonLinesHeadSink")
AUDIT_HEAD_FILE = os.environ.get("AUDIT_HEAD_FILE", str(BASE_DIR / "var" / "audit-heads.jsonl"))

REDIS_URL = os.environ.get("REDIS_URL", "")
EMBEDDED_JOBS = not REDIS_URL

if REDIS_URL:
    # redis-py 8 defaults (5 s socket timeout, 100 connections) tear down idle consumers and
    # cap fan-out; see STACK.md and django/channels_redis#422.
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub by default: in bench/chat_bench.py (README "Performance") it kept delivering where
            # the core layer's per-channel lists backed up and dropped. Both deliver at most once; the
            # chat never relies on the layer to keep a message (docs/chat-protocol.md). CHANNEL_LAYER=core
            # switches back (capacity and expiry below apply to it only).
            "BACKEND": {
                "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "core": "channels_redis.core.RedisChannelLayer",
            }[os.environ.get("CHANNEL_LAYER", "pubsub")],
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": None, "max_connections": 2000}],
                "prefix": os.environ.get("CHANNEL_LAYER_PREFIX", "counseling"),
                "capacity": 1000,
                "expiry": 30,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("CACHE_URL", REDIS_URL),
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "counseling"),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery. Without Redis, tasks run eagerly in the process that enqueues them, which in the
# embedded default is the ASGI server, so their real-time alerts reach its in-memory layer.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = EMBEDDED_JOBS
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 600)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# The one schedule of periodic jobs, read by Celery beat in production and by the embedded
# scheduler (counseling/embedded_jobs.py) otherwise. Each entry says when and why in plain words.
CELERY_BEAT_SCHEDULE = {
    # Every night at 02:30 UTC: re-verify the audit log's MAC chain against the exported heads; log it if broken.
    "audit-chain-verify": {
        "task": "counseling.tasks.audit_chain_verify",
        "schedule": crontab(hour=2, minute=30),
    },
    # Every minute: export the audit log's head (newest entry number and MAC) to AUDIT_HEAD_SINK, outside the
    # database, if it moved; entries removed from the end after an export are then named by the nightly check.
    "audit-head-export": {"task": "counseling.tasks.audit_head_export", "schedule": 60.0},
    # Every 15 minutes: destroy reviewed ID documents whose keeping time (IDENTITY_DOCUMENT_KEEP_DAYS)
    # has passed, keeping only the result, who reviewed it and when.
    "identity-documents-destroy": {
        "task": "counseling.identity_tasks.identity_documents_destroy",
        "schedule": 15 * 60.0,
    },
    # Every minute: climb overdue escalation ladders, re-send undelivered alerts, open missed-reply alerts.
    "escalation-sweep": {"task": "counseling.tasks.escalation_sweep", "schedule": 60.0},
    # Every day at 00:20 UTC: move every live data key to the current KEK epoch (a new epoch's key takes over on
    # its date), note the epochs left empty, and log the epochs due for retirement or a next key missing.
    "kek-epoch-rewrap": {"task": "counseling.tasks.kek_epoch_rewrap", "schedule": crontab(hour=0, minute=20)},
    # Every night at 03:15 UTC: destroy (crypto-shred, then delete) clients whose retention has ended.
    "retention-run": {"task": "counseling.tasks.retention_run", "schedule": crontab(hour=3, minute=15)},
    # Every day at 17:05 UTC (just after midnight in Jakarta): warn counselors 60 and 14 days before a
    # licence expires, mark expired licences, and tell their clients there (licensing.services).
    "licence-expiry-sweep": {"task": "licensing.tasks.licence_expiry_sweep", "schedule": crontab(hour=17, minute=5)},
    # Every minute: open sessions whose chat is due (a few minutes before start) and close the
    # ones that ended (completed, or no-show when nobody joined). Pages also advance on read.
    "sessions-advance": {
        "task": "sessions.tasks.sessions_advance",
        "schedule": 60.0,
    },
    # Every five minutes: send the reminder (both time zones) for sessions starting within a day.
    "sessions-remind": {
        "task": "sessions.tasks.sessions_remind",
        "schedule": 300.0,
    },
    # Every minute: e-mail counselors whose clients wrote between sessions how many clients did (never what
    # or who), each at most once per MESSAGE_NOTICE_EMAIL_MINUTES.
    "message-emails": {"task": "sessions.tasks.message_emails_send", "schedule": 60.0},
    # Every minute: remind counselors, once per message, that a reply they promised is due within
    # REPLY_REMINDER_MINUTES_BEFORE (on their open pages and by e-mail, without the message).
    "reply-reminders": {"task": "sessions.tasks.reply_reminders_send", "schedule": 60.0},
    # Every minute: find sessions in progress whose client's chat connection dropped and has not come back
    # within CLIENT_RECONNECT_MINUTES; record it once, alert the counselor, climb any open escalation at once.
    "session-drops": {"task": "sessions.tasks.session_drops_check", "schedule": 60.0},
    # Every minute: remind admins of an open data breach's notice clocks (UU PDP 3 x 24 hours, GDPR 72 hours)
    # at BREACH_REMINDER_HOURS_LEFT and when overdue, each mark once (incidents.services).
    "incident-clocks": {"task": "incidents.tasks.incident_clocks_remind", "schedule": 60.0},
    # Every 15 minutes: remind counselors, once per session, of a progress note not signed PROGRESS_NOTE_DUE_HOURS
    # after the session ended (on their open pages and by e-mail, without the client's name or the note).
    "progress-note-reminders": {"task": "clinical.tasks_notes.progress_note_reminders_send", "schedule": 15 * 60.0},
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Konseling <no-reply@localhost>")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))  # filebased backend only

# Emergency escalation (counseling/escalation.py): minutes an alert may stay unacknowledged before
# it climbs to the next rung (on-call, then supervisor), by severity; and how long one sender may
# hold an alert before the sweep may send it again.
# A progress note is due this many hours after its session ended; then the counselor is reminded once.
PROGRESS_NOTE_DUE_HOURS = envint("PROGRESS_NOTE_DUE_HOURS", 48)

ESCALATION_ACK_MINUTES_HIGH = envint("ESCALATION_ACK_MINUTES_HIGH", 5)
ESCALATION_ACK_MINUTES_MEDIUM = envint("ESCALATION_ACK_MINUTES_MEDIUM", 15)
ESCALATION_ACK_MINUTES_LOW = envint("ESCALATION_ACK_MINUTES_LOW", 60)
ESCALATION_DELIVERY_LEASE_SECONDS = envint("ESCALATION_DELIVERY_LEASE_SECONDS", 60)
# A client pressing "I need help now" again while their alert is live alerts the current rung again
# at once, then at most once per this many seconds (a flood of presses writes no flood of alerts).
ESCALATION_REPEAT_ALERT_SECONDS = envint("ESCALATION_REPEAT_ALERT_SECONDS", 30)
# Cover picking up a client's conversation (crisis.services.cover_pickup): the person holding an
# escalation's rung may read the latest COVER_HISTORY_MESSAGES messages and reply for COVER_MINUTES,
# renewable while they hold it; resolving the escalation ends it at once.
COVER_MINUTES = envint("COVER_MINUTES", 60)
COVER_HISTORY_MESSAGES = envint("COVER_HISTORY_MESSAGES", 50)
# An emergency number not confirmed against its official source for this many days is listed on
# the staff dashboard (crisis lines move and get renamed: SEJIWA became Healing119 in 2025).
EMERGENCY_NUMBER_RECHECK_DAYS = envint("EMERGENCY_NUMBER_RECHECK_DAYS", 180)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Domain knobs.
SITE_NAME = os.environ.get("SITE_NAME", "Konseling Etis")
# Where people reach the site: links in e-mails are made absolute with it (an e-mail has no request).
# How long the link sent to a new address after an e-mail change works (counseling.services.account_email_change_*).
EMAIL_CHANGE_LINK_HOURS = envint("EMAIL_CHANGE_LINK_HOURS", 24)
SITE_URL = os.environ.get("SITE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}").rstrip("/")
# Second factor for counselors and admins: the name authenticator apps show next to the code.
OTP_TOTP_ISSUER = SITE_NAME

# A personal-data breach (incidents/). UU PDP 27/2022 Pasal 46(1): clients and the agency are told in writing
# within 3 x 24 hours; the consent promises exactly that (tests/incidents: the promise and this number are tied),
# so this is no environment setting. GDPR Art. 33(1): the supervisory authority within 72 hours of becoming aware,
# for clients in the EU/EEA. Both clocks run from detection. Admins are reminded at these hours left, and when
# a clock is overdue.
BREACH_NOTICE_HOURS_UU_PDP = 3 * 24
BREACH_NOTICE_HOURS_GDPR = 72
BREACH_REMINDER_HOURS_LEFT = (24, 12, 2)
# Who receives the UU PDP notice: the agency of Pasal 58 once the President forms it; until then the ministry,
# Komdigi's Directorate General of Digital Space Supervision, takes reports (docs/operations.md, "Breach response").
BREACH_AUTHORITY_ID = os.environ.get(
    "BREACH_AUTHORITY_ID",
    "Kementerian Komunikasi dan Digital (Komdigi), Direktorat Jenderal Pengawasan Ruang Digital",
)
# The lead supervisory authority under GDPR Art. 56 (where our EU establishment or representative is).
BREACH_AUTHORITY_EU = os.environ.get("BREACH_AUTHORITY_EU", "")
# The controller named in notices to authorities, and the default contact in every notice.
BREACH_CONTROLLER = os.environ.get("BREACH_CONTROLLER", SITE_NAME)
BREACH_CONTACT = os.environ.get("BREACH_CONTACT", "")

# Intake and identity. Minors: "refuse", or "guardian_consent" (a guardian's consent is
# recorded at intake). Age of majority per country, e.g. "ID:18,US:18"; unlisted countries use the default.
MINOR_POLICY = os.environ.get("MINOR_POLICY", "guardian_consent")
AGE_OF_MAJORITY_DEFAULT = envint("AGE_OF_MAJORITY_DEFAULT", 18)
AGE_OF_MAJORITY_BY_COUNTRY = {
    code.strip().upper(): int(age)
    for code, _sep, age in (item.partition(":") for item in envlist("AGE_OF_MAJORITY_BY_COUNTRY", "ID:18,US:18"))
}
# ID documents: the largest upload accepted, the largest image (pixels, read from the header, so a
# decompression bomb is refused before anything decodes it), and how many days after review the
# document itself is destroyed (only the result, reviewer and time remain). 0 = at the next sweep.
IDENTITY_DOCUMENT_MAX_BYTES = envint("IDENTITY_DOCUMENT_MAX_BYTES", 8 * 1024 * 1024)
IDENTITY_DOCUMENT_MAX_PIXELS = envint("IDENTITY_DOCUMENT_MAX_PIXELS", 40_000_000)
IDENTITY_DOCUMENT_KEEP_DAYS = envint("IDENTITY_DOCUMENT_KEEP_DAYS", 0)
# Code word: after this many wrong answers within the window, no more checks until it has passed.
CODE_WORD_FAILURE_LIMIT = envint("CODE_WORD_FAILURE_LIMIT", 3)
CODE_WORD_FAILURE_WINDOW_MINUTES = envint("CODE_WORD_FAILURE_WINDOW_MINUTES", 60)
DEMO_SEEDING_ALLOWED = DEBUG or envbool("ALLOW_DEMO_SEED", False)
# Chat flood control: at most CHAT_RATE_LIMIT messages per person in CHAT_RATE_WINDOW_SECONDS, counted
# across all their sockets and server processes (in the cache; sessions.services.chat_rate_reserve_on_loop).
CHAT_RATE_LIMIT = envint("CHAT_RATE_LIMIT", 30)
CHAT_RATE_WINDOW_SECONDS = envint("CHAT_RATE_WINDOW_SECONDS", 10)
# Open WebSockets (chat and notifications together) per person, counted in the cache across processes;
# one more is closed with 4429 (counseling.socket_limit). Ten: a few tabs and devices, not a flood.
WEBSOCKETS_PER_USER = envint("WEBSOCKETS_PER_USER", 10)
# On PostgreSQL, a chat socket stores an ordinary message with one statement from its own event loop
# (sessions.services.message_post_on_loop); 0 sends every message through the ORM in a worker thread.
CHAT_STORE_ON_LOOP = envbool("CHAT_STORE_ON_LOOP", True)
# Group commit of those messages (sessions.chat.committer): the messages that arrive while a commit is under way
# (or within CHAT_GROUP_COMMIT_WINDOW_MS of the first, if above 0) are committed together, each acknowledged after
# that commit; CHAT_GROUP_COMMIT_LANES batches may be committing at once per process (at most the process's on-loop
# connections, counseling.on_loop.PG_CONNECTIONS_PER_LOOP): a message finding a lane free is committed at once.
# CHAT_GROUP_COMMIT=0 commits each message on its own.
CHAT_GROUP_COMMIT = envbool("CHAT_GROUP_COMMIT", True)
CHAT_GROUP_COMMIT_WINDOW_MS = float(os.environ.get("CHAT_GROUP_COMMIT_WINDOW_MS", "0"))
CHAT_GROUP_COMMIT_LANES = envint("CHAT_GROUP_COMMIT_LANES", 4)

# Video and voice sessions (sessions/calls/): the browsers send picture and sound to each other over WebRTC; these
# servers only help them find a path (sessions.calls.ice). Comma-separated urls. No default server: a public STUN
# server of another company would learn every client's address; on one network the browsers need none. Our own
# coturn (docker-compose.yml) answers STUN too. TURN relays the still-encrypted media when no direct path exists,
# with credentials derived from CALL_TURN_SECRET (coturn's static-auth-secret) that expire after
# CALL_TURN_TTL_SECONDS; without a secret no TURN server is offered. The secret never reaches a page.
CALL_STUN_URLS = envlist("CALL_STUN_URLS")
CALL_TURN_URLS = envlist("CALL_TURN_URLS")
CALL_TURN_SECRET = os.environ.get("CALL_TURN_SECRET", "")
CALL_TURN_TTL_SECONDS = envint("CALL_TURN_TTL_SECONDS", 3600)

# Booking (sessions/). Session length and the slot grid, in minutes.
SESSION_LENGTH_MINUTES = envint("SESSION_LENGTH_MINUTES", 50)
SESSION_SLOT_MINUTES = envint("SESSION_SLOT_MINUTES", 60)
# The chat of a session opens this many minutes before its start.
SESSION_OPEN_MINUTES_BEFORE = envint("SESSION_OPEN_MINUTES_BEFORE", 10)
# Cancelling later than this before the start is recorded as late; rescheduling is refused.
SESSION_CANCEL_NOTICE_HOURS = envint("SESSION_CANCEL_NOTICE_HOURS", 24)
# A new client's first booking with a counselor is a request (sessions.services.session_book): the counselor answers
# within this many hours, and at the latest before the session would open; else it expires and the slot is free.
SESSION_REQUEST_ANSWER_HOURS = envint("SESSION_REQUEST_ANSWER_HOURS", 48)
# Where the client is decides the law and the emergency numbers of a session (ACA H.1.b): a location
# confirmed more than this many hours before the session starts is asked for again.
LOCATION_CONFIRMATION_HOURS = envint("LOCATION_CONFIRMATION_HOURS", 24)
# A counselor may record a no-show this long after the start; a session nobody started becomes a
# no-show by itself once its time is over.
SESSION_NO_SHOW_AFTER_MINUTES = envint("SESSION_NO_SHOW_AFTER_MINUTES", 15)
SESSION_REMINDER_HOURS_BEFORE = envint("SESSION_REMINDER_HOURS_BEFORE", 24)
# A counselor hears of a client's message between sessions at once on their open pages; by e-mail (how many
# clients wrote, never what or who) at most once per this many minutes; and is reminded once this many minutes
# before the promised reply time runs out (sessions.chat.notices).
MESSAGE_NOTICE_EMAIL_MINUTES = envint("MESSAGE_NOTICE_EMAIL_MINUTES", 15)
REPLY_REMINDER_MINUTES_BEFORE = envint("REPLY_REMINDER_MINUTES_BEFORE", 60)
# A client's chat connection that drops during a session and does not come back within this many minutes is a
# dropped session: the counselor is alerted and shown the client's plan for it (sessions.chat.drops). The consent's
# "If the technology fails" section promises this number; tests/sessions/test_session_drop.py keeps them equal.
CLIENT_RECONNECT_MINUTES = envint("CLIENT_RECONNECT_MINUTES", 5)
BOOKING_MIN_LEAD_HOURS = envint("BOOKING_MIN_LEAD_HOURS", 2)
BOOKING_HORIZON_DAYS = envint("BOOKING_HORIZON_DAYS", 14)
# A weekly series books at most this many sessions at once; each passes the booking gates at its own time.
SESSION_SERIES_MAX_WEEKS = envint("SESSION_SERIES_MAX_WEEKS", 12)
# A client counts towards a counselor's caseload limit with a session within this many days.
CASELOAD_ACTIVE_DAYS = envint("CASELOAD_ACTIVE_DAYS", 90)
CASELOAD_PAGE_SIZE = envint("CASELOAD_PAGE_SIZE", 50)
DIRECTORY_PAGE_SIZE = envint("DIRECTORY_PAGE_SIZE", 20)  # counselors per page of the directory
