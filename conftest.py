import os

import pytest

from asamblea.testing import Cast, make_cast


@pytest.fixture(autouse=True)
def _fast_hashing_and_no_rate_limits(settings):
    """Argon2 is for production; tests use a fast hasher. Rate limits have their own tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.RATE_LIMITS_ENABLED = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def cast(db) -> Cast:
    return make_cast()


def pytest_report_header(config):
    return f"database: {'PostgreSQL' if os.environ.get('DATABASE_URL') else 'SQLite'}"
