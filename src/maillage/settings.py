"""Maillage settings, read from the environment.

Every ``MAILLAGE_*`` variable is parsed strictly: a value that cannot be understood stops
start-up with a message naming the variable. Each one is documented in the README and
in ``docs/admin-guide.md`` (a test fails when one is not).
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"true", "1", "yes", "on"}:
        return True
    if value in {"false", "0", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}")


def envint(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def envstr(name: str, default: str = "") -> str:
    """A string setting; ``NAME_FILE`` (a path to a file holding the value) wins."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE cannot be read: {exc}") from None
    return os.environ.get(name, default)


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in envstr(name, default).split(",") if item.strip()]


DEBUG = envbool("MAILLAGE_DEBUG", False)
DATA_DIR = Path(envstr("MAILLAGE_DATA_DIR", str(PROJECT_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    key = envstr("MAILLAGE_SECRET_KEY")
    if key:
        if len(key) < 50:
            raise ImproperlyConfigured("MAILLAGE_SECRET_KEY must be at least 50 characters long")
        return key
    # No key given: keep one generated for this installation in the data directory.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = envlist("MAILLAGE_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = envlist("MAILLAGE_CSRF_TRUSTED_ORIGINS")

HTTPS = envbool("MAILLAGE_HTTPS", True)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = (
    "same-origin"  # "no-referrer" makes browsers send Origin: null, failing CSRF
)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Sessions end after this many minutes without activity.
SESSION_IDLE_MINUTES = envint("MAILLAGE_SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

REQUIRE_MFA = envbool("MAILLAGE_REQUIRE_MFA", True)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "maillage.core",
    "maillage.people",
    "maillage.record",
    "maillage.portal",
    "maillage.territory",
    "maillage.coordination",
    "maillage.agenda",
    "maillage.rights",
    "maillage.fhir",
    "ninja",  # the API documentation page, served from its own static files (no CDN)
    "django_tasks",  # background work: reminders (maillage worker)
    "django_tasks_db",  # its database backend: the queue the worker runs
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",  # CONTENT_SECURITY_POLICY, below
    "django.contrib.sessions.middleware.SessionMiddleware",
    "maillage.core.middleware.FrenchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "maillage.core.middleware.CurrentMemberMiddleware",
    "maillage.core.middleware.RequireMfaMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "maillage.urls"
WSGI_APPLICATION = "maillage.wsgi.application"

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
                "maillage.core.context_processors.current_member",
            ],
        },
    },
]


def database_from_url(name: str, url: str) -> dict[str, Any]:
    try:
        return dict(dj_database_url.parse(url, conn_max_age=60))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} cannot be understood: {exc}") from None


DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": database_from_url("DATABASE_URL", DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "maillage.sqlite3"),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; "
                    "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }
# Reports and indicators may be read from a read-only replica of the database (a network,
# docs/deploiement.md): everything else, and every write, stays on "default".
REPORTS_DATABASE_URL = envstr("MAILLAGE_REPORTS_DATABASE_URL")
REPORTS_DATABASE = "default"
if REPORTS_DATABASE_URL:
    DATABASES["reports"] = database_from_url("MAILLAGE_REPORTS_DATABASE_URL", REPORTS_DATABASE_URL)
    REPORTS_DATABASE = "reports"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# django-allauth
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_ADAPTER = "maillage.core.adapters.AccountAdapter"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# allauth's rate limits (counted in the cache): its defaults, written here so that they
# stay on; only failed logins are left to django-axes' lockout.
ACCOUNT_RATE_LIMITS = {
    "login_failed": False,  # lockout is django-axes' job
    "login": "30/m/ip",
    "reset_password": "20/m/ip,5/m/key",  # key: the e-mail address asked for
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
    "manage_email": "10/m/user",
    "signup": "20/m/ip",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Wrong second-factor codes are limited like wrong passwords (allauth's own limit on them
# is its "login_failed" rate, off above).
MFA_FORMS = {
    "authenticate": "maillage.core.auth.LimitedAuthenticateForm",
    "reauthenticate": "maillage.core.auth.LimitedReauthenticateForm",
}
MFA_TOTP_ISSUER = "Maillage"

# django-axes: lock an account out after repeated failures.
AXES_FAILURE_LIMIT = envint("MAILLAGE_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = envint("MAILLAGE_LOCKOUT_MINUTES", 15, minimum=1) / 60
# Lock by account, not by address: a whole centre often shares one public IP address,
# and locking it would lock out the whole team (hence axes.W006 is silenced).
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_CALLABLE = "maillage.core.auth.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_VERBOSE = False
# Its log lines name the account by a keyed hash, never by its name (maillage.core.auth).
AXES_CLIENT_STR_CALLABLE = "maillage.core.auth.axes_client_str"

# E-mail
EMAIL_BACKEND = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "memory": "django.core.mail.backends.locmem.EmailBackend",
}.get(envstr("MAILLAGE_EMAIL_BACKEND", "console"), "")
if not EMAIL_BACKEND:
    raise ImproperlyConfigured("MAILLAGE_EMAIL_BACKEND must be console, smtp or memory")
EMAIL_HOST = envstr("MAILLAGE_EMAIL_HOST", "localhost")
EMAIL_PORT = envint("MAILLAGE_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = envstr("MAILLAGE_EMAIL_USER")
EMAIL_HOST_PASSWORD = envstr("MAILLAGE_EMAIL_PASSWORD")
EMAIL_USE_TLS = envbool("MAILLAGE_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = envstr("MAILLAGE_FROM_EMAIL", "maillage@localhost")

# Text messages (maillage.core.sms): console, memory or webhook.
SMS_BACKEND = envstr("MAILLAGE_SMS_BACKEND", "console").strip() or "console"
if SMS_BACKEND not in {"console", "memory", "webhook"}:
    raise ImproperlyConfigured("MAILLAGE_SMS_BACKEND must be console, memory or webhook")
# A referral waiting on someone else with no news for this many days is overdue.
REFERRAL_OVERDUE_DAYS = envint("MAILLAGE_REFERRAL_OVERDUE_DAYS", 14, minimum=1)

# Background work (django-tasks with the database backend of django-tasks-db): tasks wait
# in the database until `maillage worker` runs them; the worker's sweep also sends every
# reminder that is due (agenda/reminders.py).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Appointment reminders leave this many hours before the appointment.
REMINDER_HOURS = envint("MAILLAGE_REMINDER_HOURS", 24, minimum=1)
# Days the files of a bulk FHIR export stay on disk before the worker removes them.
FHIR_EXPORT_DAYS = envint("MAILLAGE_FHIR_EXPORT_DAYS", 7, minimum=1)
# A right's renewal becomes a follow-up task this many days before it ends.
RIGHTS_RENEWAL_DAYS = envint("MAILLAGE_RIGHTS_RENEWAL_DAYS", 60, minimum=1)

# Map tiles: none by default (maps then show markers and outlines on a plain background,
# and no request leaves the server); a tile server of the organisation, or a public one.
MAP_TILES_URL = envstr("MAILLAGE_MAP_TILES_URL").strip()
MAP_TILES_ATTRIBUTION = envstr("MAILLAGE_MAP_TILES_ATTRIBUTION").strip()
if MAP_TILES_URL and not (
    MAP_TILES_URL.startswith(("https://", "http://", "/"))
    and all(part in MAP_TILES_URL for part in ("{z}", "{x}", "{y}"))
):
    raise ImproperlyConfigured(
        "MAILLAGE_MAP_TILES_URL must be an http(s):// or /path address with {z}, {x} and {y}"
    )


def tiles_source(tiles_url: str) -> str | None:
    """The Content-Security-Policy source of a tile server: its scheme, host and port
    (``{s}`` subdomains become ``*.``); None for no address or a /path on this server."""
    parts = urlsplit(tiles_url)
    if parts.scheme not in {"http", "https"}:
        return None
    host = parts.netloc.rpartition("@")[2].lower()
    labels = host.split(".")
    templated = [i for i, label in enumerate(labels) if "{" in label or "}" in label]
    if templated:
        labels = ["*", *labels[templated[-1] + 1 :]]
    host = ".".join(labels)
    # Only a host name goes in the header: nothing that could end or add a directive.
    too_wide = bool(templated) and len(labels) < 3  # "*.org" would let in half the web
    if too_wide or not re.fullmatch(r"[a-z0-9*.-]+(:\d{1,5})?", host):
        raise ImproperlyConfigured(
            f"MAILLAGE_MAP_TILES_URL has a host that cannot be allowed in the "
            f"Content-Security-Policy: {host!r}"
        )
    return f"{parts.scheme}://{host}"


def content_security_policy(tiles_url: str = "") -> dict[str, Any]:
    """django-csp's policy: this server only, no inline script or style (so no injected
    markup can run); images may also come from the map tile server."""
    images = [csp.SELF, "data:"]
    tiles = tiles_source(tiles_url)
    if tiles:
        images.append(tiles)
    return {
        "DIRECTIVES": {
            "default-src": [csp.SELF],
            # A nonce only when a template asks for one ({{ request.csp_nonce }}).
            "script-src": [csp.SELF, csp.NONCE],
            "style-src": [csp.SELF],
            "img-src": images,
            "connect-src": [csp.SELF],
            "font-src": [csp.SELF],
            "object-src": [csp.NONE],
            "base-uri": [csp.SELF],
            "form-action": [csp.SELF],
            "frame-ancestors": [csp.NONE],
        }
    }


CONTENT_SECURITY_POLICY = content_security_policy(MAP_TILES_URL)

SMS_WEBHOOK_URL = envstr("MAILLAGE_SMS_WEBHOOK_URL").strip()
SMS_WEBHOOK_TOKEN = envstr("MAILLAGE_SMS_WEBHOOK_TOKEN").strip()
if SMS_BACKEND == "webhook":
    _sms_url = urlsplit(SMS_WEBHOOK_URL)
    if _sms_url.scheme not in {"http", "https"} or not _sms_url.netloc:
        raise ImproperlyConfigured(
            "MAILLAGE_SMS_WEBHOOK_URL must be an http:// or https:// address "
            "when MAILLAGE_SMS_BACKEND is webhook"
        )

# Internationalisation: English msgids, French first (docs/adr/0002).
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Paris"

STATIC_URL = "/static/"
STATIC_ROOT = Path(envstr("MAILLAGE_STATIC_ROOT", str(DATA_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
        # Public files: readable by a web server, unlike uploads (FILE_UPLOAD_PERMISSIONS).
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}
MEDIA_ROOT = DATA_DIR / "media"
# Source maps (the API page's, mostly) are not compressed: they are opened by developers'
# tools only, and compressing them took most of a first start of `maillage serve`.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [
    # whitenoise's own list (already compressed formats)…
    "jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br",
    "swf", "flv", "woff", "woff2", "3gp", "3gpp", "asf", "avi", "m4v", "mov", "mp4",
    "mpeg", "mpg", "webm", "wmv",
    "map",  # …and source maps
]  # fmt: skip

# Uploaded documents: the largest file accepted, in megabytes (record.document_forms).
MAX_UPLOAD_MB = envint("MAILLAGE_MAX_UPLOAD_MB", 20, minimum=1)
if MAX_UPLOAD_MB > 200:  # a document is held in memory while it is checked and stored
    raise ImproperlyConfigured(f"MAILLAGE_MAX_UPLOAD_MB must be at most 200, got {MAX_UPLOAD_MB}")
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
# Form fields and JSON bodies (files aside) stay small; a file larger than this is
# streamed to a temporary file in the data directory, never in the system's /tmp.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_TEMP_DIR = str(DATA_DIR / "tmp")
(DATA_DIR / "tmp").mkdir(exist_ok=True)
# Stored documents are readable by the service account only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# Backups (maillage backup / restore): encrypted with this key, 32 bytes in URL-safe
# base64 (`maillage backup --new-key` prints one). Keep it away from the backups.
BACKUP_KEY = envstr("MAILLAGE_BACKUP_KEY").strip()
if BACKUP_KEY:
    import base64
    import binascii

    try:
        _backup_key_bytes = base64.urlsafe_b64decode(BACKUP_KEY.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        _backup_key_bytes = b""
    if len(_backup_key_bytes) != 32:
        raise ImproperlyConfigured(
            "MAILLAGE_BACKUP_KEY must be 32 bytes in URL-safe base64 "
            "(maillage backup --new-key prints one)"
        )
BACKUP_DIR = Path(envstr("MAILLAGE_BACKUP_DIR", str(DATA_DIR / "backups")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # One JSON object per line, without personal data: never the query string, the body
    # or the user; secret path segments masked (maillage.core.logging).
    "formatters": {"json": {"()": "maillage.core.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
CSRF_FAILURE_VIEW = "maillage.core.views.csrf_failure"
