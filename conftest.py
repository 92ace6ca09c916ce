import os
from pathlib import Path

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
    database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    if _skip_one_database():
        return f"database: {database}; tests marked one_database deselected (SQLite pass only)"
    return f"database: {database}"


#: Tests the database cannot change: the pure core (no Django, no database; import-linter holds
#: it so) and browser tests that start a server on its own SQLite file whatever DATABASE_URL
#: says. ``./dev test`` runs them in the SQLite pass only (README, "Tests"). A test may also be
#: marked ``one_database`` itself. Whatever the list or the mark, a test that asks for the
#: database (a django_db mark, or a db, transactional_db or live_server fixture, directly or
#: through other fixtures) runs on both databases. (Every test has django_db_blocker, autouse;
#: none of the listed modules unblocks the database with it.)
ONE_DATABASE = (
    "asamblea/coordination/tests/test_aggregate.py",
    "asamblea/documents/tests/test_core.py",
    "asamblea/elections/tests/methods/",
    "asamblea/elections/tests/test_election_ballots.py",
    "asamblea/ledger/tests/test_chain.py",
    "asamblea/logistics/tests/test_matching.py",
    "asamblea/meetings/tests/test_speakers.py",
    "asamblea/pledges/tests/test_thresholds.py",
    "asamblea/publishing/tests/test_atom.py",
    "asamblea/surveys/tests/test_results.py",
    "asamblea/verifiable/tests/test_ceremony_js.py",
    "asamblea/verifiable/tests/test_consultation_verifier.py",
    "asamblea/verifiable/tests/test_core.py",
    "asamblea/verifiable/tests/test_node_verifier.py",
    "asamblea/verifiable/tests/test_vectors.py",
    "asamblea/verifiable/tests/test_verifier.py",
    "asamblea/voting/tests/test_rules.py",
    "tests/e2e/test_meeting_live.py",
    "tests/e2e/test_scenario_saturday_assembly.py",
)
_DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "django_db_setup",
    "live_server",
}


def _skip_one_database() -> bool:
    return os.environ.get("ASAMBLEA_SKIP_ONE_DATABASE") == "1" and bool(
        os.environ.get("DATABASE_URL")
    )


def _uses_the_database(item) -> bool:
    return item.get_closest_marker("django_db") is not None or bool(
        _DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
    )


def pytest_collection_modifyitems(config, items):
    root = Path(str(config.rootpath))
    one_database = pytest.mark.one_database
    for item in items:
        path = Path(str(item.path))
        listed = path.is_relative_to(root) and path.relative_to(root).as_posix().startswith(
            ONE_DATABASE
        )
        if listed and not _uses_the_database(item):
            item.add_marker(one_database)
    if not _skip_one_database():
        return
    kept, deselected = [], []
    for item in items:
        if item.get_closest_marker("one_database") and not _uses_the_database(item):
            deselected.append(item)
        else:
            kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
