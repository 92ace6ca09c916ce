"""Login, logout and profile, for every role."""

import pytest
from django.urls import reverse

from asamblea.accounts.models import Person
from asamblea.testing import LOGIN, PASSPHRASE, ROLES, assert_answer, db_state

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ROLES)
def test_everyone_can_see_the_login_page(cast, role):
    response = cast.client(cast.roles[role]).get(reverse("accounts:login"))
    assert_answer(response, 200)
    assert b'name="password"' in response.content


@pytest.mark.parametrize("role", ROLES)
def test_login_with_the_right_passphrase_logs_in(cast, role):
    person = cast.roles[role] or cast.bob
    client = cast.client(None)
    response = client.post(
        reverse("accounts:login"), {"username": person.username, "password": PASSPHRASE}
    )
    assert_answer(response, 302)
    assert client.session["_auth_user_id"] == str(person.pk)


def test_login_with_a_wrong_passphrase_is_refused_neutrally(cast):
    client = cast.client(None)
    wrong = client.post(reverse("accounts:login"), {"username": "bob", "password": "nope-nope"})
    unknown = client.post(
        reverse("accounts:login"), {"username": "nobody", "password": "nope-nope"}
    )
    assert_answer(wrong, 400)
    assert_answer(unknown, 400)
    assert "_auth_user_id" not in client.session
    # The same message whether the account exists or not.
    assert wrong.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()


def test_login_keeps_a_local_next_and_drops_a_foreign_one(cast):
    client = cast.client(None)
    local = client.post(
        reverse("accounts:login"),
        {"username": "bob", "password": PASSPHRASE, "next": "/b/north/"},
    )
    assert local["Location"] == "/b/north/"
    client = cast.client(None)
    foreign = client.post(
        reverse("accounts:login"),
        {"username": "bob", "password": PASSPHRASE, "next": "https://evil.example/"},
    )
    assert foreign["Location"] == reverse("bodies:home")


@pytest.mark.parametrize("role", ROLES)
def test_logout_needs_post(cast, role):
    client = cast.client(cast.roles[role])
    assert_answer(client.get(reverse("accounts:logout")), 405)
    assert_answer(client.post(reverse("accounts:logout")), 302)
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("role", ROLES)
def test_profile_page_is_for_logged_in_people(cast, role):
    person = cast.roles[role]
    response = cast.client(person).get(reverse("accounts:profile"))
    assert_answer(response, LOGIN if person is None else 200)


@pytest.mark.parametrize("role", ROLES)
def test_profile_change_applies_only_to_oneself(cast, role):
    person = cast.roles[role]
    client = cast.client(person)
    before = db_state()
    response = client.post(
        reverse("accounts:profile"), {"display_name": "Nuevo nombre", "language": "en"}
    )
    if person is None:
        assert_answer(response, LOGIN)
        assert db_state() == before
        return
    assert_answer(response, 302)
    person.refresh_from_db()
    assert (person.display_name, person.language) == ("Nuevo nombre", "en")
    assert Person.objects.filter(display_name="Nuevo nombre").count() == 1


def test_profile_refuses_an_empty_or_oversized_name(cast):
    client = cast.client(cast.bob)
    before = db_state()
    assert_answer(
        client.post(reverse("accounts:profile"), {"display_name": "", "language": "es"}), 400
    )
    assert_answer(
        client.post(reverse("accounts:profile"), {"display_name": "x" * 61, "language": "es"}), 400
    )
    assert_answer(
        client.post(reverse("accounts:profile"), {"display_name": "Bob", "language": "xx"}), 400
    )
    assert db_state() == before


@pytest.mark.parametrize("role", ROLES)
def test_everyone_can_switch_the_language(cast, role):
    client = cast.client(cast.roles[role], language="es")
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert_answer(response, 302)
    assert client.cookies["django_language"].value == "en"
    assert "Public assemblies" in client.get(reverse("bodies:home")).content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_switching_to_an_unknown_language_changes_nothing(cast, role):
    client = cast.client(cast.roles[role], language="es")
    response = client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert_answer(response, 302)
    assert client.cookies["django_language"].value == "es"
    assert "Asambleas públicas" in client.get(reverse("bodies:home")).content.decode()
