import os

import pytest

from asamblea.testing import Cast, make_cast


@pytest.fixture(scope="session", autouse=True)
def _static_files_collected(django_test_environment):
    """Collect and compress the static files once per run, as ``asamblea serve`` does, so
    pages link the hashed names and the browser tests see what production serves."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(scope="session")
def live_server(request, _static_files_collected):
    """pytest-django's live server, but with static files served by WhiteNoise in the
    middleware (hashed names, gzip, far-future caching) as in production, not by Django's
    test handler, which knows neither hashed names nor compression."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer(os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS", "localhost"), start=False)
    server.thread.static_handler = lambda handler: handler
    server.start()
    yield server
    server.stop()


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
