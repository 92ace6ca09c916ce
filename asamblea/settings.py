"""Django settings for Asamblea.

Everything comes from the environment, with defaults that run a full server locally with nothing
else installed (SQLite under the data directory, in-process live fan-out). ``asamblea.checks``
refuses unsafe production settings.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str = "") -> str:
    """Read a setting; ``NAME_FILE`` (a path to a file holding the value) wins, for secrets."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name, "")
    if value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DATA_DIR = Path(env("ASAMBLEA_DATA_DIR", str(Path.cwd() / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEFAULT_SECRET_KEY = "insecure-local-development-key"  # noqa: S105 - refused by a system check


def _secret_key() -> str:
    """The secret key: from the environment, else one generated once into the data directory."""
    configured = env("SECRET_KEY")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip() or DEFAULT_SECRET_KEY


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# Empty: invitation links and QR codes follow the address the facilitator is using (checked
# against ALLOWED_HOSTS). Set it when the public address differs from what the server sees.
SITE_URL = env("SITE_URL", "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "asamblea.ledger",
    "asamblea.live",
    "asamblea.accounts",
    "asamblea.bodies",
    "asamblea.meetings",
    "asamblea.motions",
    "asamblea.voting",
    "asamblea.elections",
    "asamblea.coordination",
    "asamblea.logistics",
    "asamblea.pledges",
    "asamblea.documents",
    "asamblea.surveys",
    "asamblea.verifiable",
    "asamblea.publishing",
    "asamblea.lean",
    "asamblea.api",
    # django-ninja: its Swagger UI files as static files (the API's docs page, no CDN).
    "ninja",
    "asamblea.apps.AsambleaConfig",
]

MIDDLEWARE = [
    # First, so it compresses the final page (see docs/operators.md on BREACH).
    "asamblea.middleware.CompressPagesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "asamblea.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "asamblea.accounts.middleware.PersonLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "asamblea.urls"
ASGI_APPLICATION = "asamblea.asgi.application"

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
                "asamblea.accounts.context.fresh_recovery_codes",
            ],
        },
    },
]


def _database_from_url(url: str) -> dict[str, object]:
    """Parse ``postgres://user:pass@host:port/name`` (the only URL scheme we take). A server
    on the same machine can be reached through its Unix socket directory, percent-encoded as
    the host (``postgres://user@%2Fvar%2Frun%2Fpostgresql/name``) or given as ``?host=``."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"DATABASE_URL: unsupported scheme {parsed.scheme!r}")
    netloc_host = parsed.netloc.rpartition("@")[2]
    if netloc_host.startswith("%2"):  # a socket directory: keep its case, drop any port
        host = unquote(netloc_host.split(":")[0])
    else:
        host = parsed.hostname or ""
    host = parse_qs(parsed.query).get("host", [host])[-1]
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")) or "asamblea",
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": host,
        "PORT": str(parsed.port or ""),
        "CONN_MAX_AGE": 0,
        "OPTIONS": _postgresql_options(),
        "TEST": {"NAME": env("TEST_DATABASE_NAME", "test_asamblea")},
    }


def _postgresql_options() -> dict[str, object]:
    """Server-side binding: every value of every statement travels as a parameter, never in
    the SQL text (which PostgreSQL shows in ``pg_stat_activity`` and writes to its log), so no
    voter id, name or choice can be read there. The pool: a request borrows one of at most
    ``DB_POOL_MAX`` connections per worker process instead of opening its own, and when none
    frees up within ``DB_POOL_TIMEOUT`` seconds the answer is 503 with Retry-After (see
    :func:`asamblea.web.server_error`), not PostgreSQL's "too many clients" as a 500. Sizes:
    docs/operators.md."""
    options: dict[str, object] = {"connect_timeout": 5, "server_side_binding": True}
    if importlib.util.find_spec("psycopg_pool") is not None:
        options["pool"] = {
            "min_size": int(env("DB_POOL_MIN", "2")),
            "max_size": int(env("DB_POOL_MAX", "16")),
            "timeout": float(env("DB_POOL_TIMEOUT", "10")),
        }
    return options


DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": _database_from_url(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "asamblea.sqlite3",
            "OPTIONS": {
                # WAL lets readers work while a writer commits; synchronous=FULL makes every
                # acknowledged commit survive a power cut, not only a process crash.
                # secure_delete zeroes deleted rows, so the cast-order copies of secret ballots
                # removed at closing do not linger in free pages (docs/secret-ballots.md).
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                    "PRAGMA secure_delete=ON;"
                ),
                # BEGIN IMMEDIATE takes the write lock up front, so two writers never deadlock
                # upgrading a read lock; they queue for up to ``timeout`` seconds instead.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
        }
    }

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_PREFIX", "asamblea"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.Person"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "bodies:home"
LOGOUT_REDIRECT_URL = "bodies:home"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 30
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
# How many reverse proxies append to X-Forwarded-For in front of the app. The header is read
# only behind a proxy, and only the entry the nearest trusted proxy wrote counts: the rest of it
# is whatever the client sent (asamblea.ratelimit.client_address).
TRUSTED_PROXY_COUNT = max(0, int(env("TRUSTED_PROXY_COUNT", "1") or "1"))
# HSTS when the site is served over HTTPS: browsers then refuse a downgrade to plain HTTP.
# Django's SecurityMiddleware sends it on secure requests only.
SECURE_HSTS_SECONDS = (
    int(env("SECURE_HSTS_SECONDS", "31536000") or "0") if SESSION_COOKIE_SECURE else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Behind the proxy only, the public host name it forwards builds absolute links (still checked
# against ALLOWED_HOSTS); without a proxy nobody may choose it with a header.
USE_X_FORWARDED_HOST = BEHIND_TLS_PROXY

# Bodies of members' texts are bounded here and in the forms; Django refuses larger requests.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env("TIME_ZONE", "America/Lima")

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rate limits: (attempts, window in seconds).
RATE_LIMITS = {
    "login_account": (5, 300),
    "login_address": (30, 300),
    "invitation_redeem": (20, 300),
    "ballot_cast": (30, 60),
}
RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS_ENABLED", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}

CSRF_FAILURE_VIEW = "asamblea.web.csrf_failure"
# Static files: hashed names, gzip and Brotli copies, cached for a year (asamblea.staticstorage).
# ``asamblea serve`` and the tests collect them; until then the apps' folders are served.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "asamblea.staticstorage.StaticStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# /favicon.ico for the clients that ask for it without reading the page's <link rel="icon">.
WHITENOISE_ROOT = BASE_DIR / "root"
