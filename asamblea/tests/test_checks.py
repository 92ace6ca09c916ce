"""The system check that refuses unsafe production settings."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from asamblea.checks import check_production_safety

LONG_KEY = "k" * 50
PUBLIC = ["asamblea.example.org"]


@pytest.fixture(autouse=True)
def https(settings):
    """Served over HTTPS unless a test says otherwise (asamblea.E003 has its own tests)."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True


def ids(errors):
    return sorted(error.id for error in errors)


def test_debug_with_a_public_host_is_refused(settings):
    settings.ALLOWED_HOSTS = PUBLIC
    settings.DEBUG = True
    settings.SECRET_KEY = LONG_KEY
    assert ids(check_production_safety()) == ["asamblea.E001"]


def test_the_default_secret_key_with_a_public_host_is_refused(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", *PUBLIC]
    settings.DEBUG = False
    settings.SECRET_KEY = settings.DEFAULT_SECRET_KEY
    assert ids(check_production_safety()) == ["asamblea.E002"]


def test_a_short_secret_key_with_a_public_host_is_refused(settings):
    settings.ALLOWED_HOSTS = PUBLIC
    settings.DEBUG = False
    settings.SECRET_KEY = "short-key"
    assert ids(check_production_safety()) == ["asamblea.E002"]


def test_both_problems_are_reported_together(settings):
    settings.ALLOWED_HOSTS = PUBLIC
    settings.DEBUG = True
    settings.SECRET_KEY = settings.DEFAULT_SECRET_KEY
    assert ids(check_production_safety()) == ["asamblea.E001", "asamblea.E002"]


def test_a_wildcard_host_counts_as_public(settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = True
    settings.SECRET_KEY = LONG_KEY
    assert ids(check_production_safety()) == ["asamblea.E001"]


def test_debug_and_a_weak_key_are_fine_on_local_hosts_only(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
    settings.DEBUG = True
    settings.SECRET_KEY = settings.DEFAULT_SECRET_KEY
    assert check_production_safety() == []


def test_a_safe_production_setting_passes(settings):
    settings.ALLOWED_HOSTS = PUBLIC
    settings.DEBUG = False
    settings.SECRET_KEY = LONG_KEY
    assert check_production_safety() == []


def test_the_check_stops_the_server_commands(settings):
    settings.ALLOWED_HOSTS = PUBLIC
    settings.DEBUG = True
    settings.SECRET_KEY = LONG_KEY
    with pytest.raises(SystemCheckError, match="asamblea.E001"):
        call_command("check")


def test_a_public_host_without_secure_cookies_is_refused(settings):
    settings.ALLOWED_HOSTS = PUBLIC
    settings.DEBUG = False
    settings.SECRET_KEY = LONG_KEY
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    assert ids(check_production_safety()) == ["asamblea.E003"]
    with pytest.raises(SystemCheckError, match="asamblea.E003"):
        call_command("check")


def test_local_hosts_without_secure_cookies_pass(settings):
    """./dev serve and the tests run on plain HTTP on localhost."""
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    assert check_production_safety() == []
