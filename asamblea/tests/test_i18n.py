"""Spanish and English are complete, chosen from the browser and switchable."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from asamblea.motions.actions import motion_submit
from asamblea.testing import PASSPHRASE

PACKAGE = Path(__file__).resolve().parents[1]
CATALOGS = sorted(PACKAGE.glob("**/locale/*/LC_MESSAGES/*.po"))
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")


def test_there_are_spanish_catalogs_for_the_core():
    found = {path.relative_to(PACKAGE).parts[0] for path in CATALOGS if "/es/" in str(path)}
    assert {"locale", "accounts", "bodies", "motions", "voting"} <= found


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_message_is_translated_and_none_is_fuzzy(path):
    with path.open("rb") as po_file:
        catalog = read_po(po_file, locale=path.parent.parent.name)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            problems.append(f"untranslated: {message.id!r}")
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            if string and set(PLACEHOLDER.findall(string)) != wanted:
                problems.append(f"placeholders differ: {message.id!r}")
    assert not problems, "\n".join(problems)


def test_quechua_and_aymara_catalogs_are_ready_but_not_enabled():
    for code in ("qu", "ay"):
        assert (PACKAGE / "locale" / code / "LC_MESSAGES" / "django.po").exists()
        assert code not in dict(settings.LANGUAGES)


def test_core_strings_are_translated_at_run_time():
    with translation.override("es"):
        assert translation.gettext("Cast my vote") == "Emitir mi voto"
        assert translation.gettext("Only members of this assembly can do this.").startswith("Solo")
        assert translation.ngettext("%(n)s member", "%(n)s members", 2) % {"n": 2} == (
            "2 integrantes"
        )
    with translation.override("en"):
        assert translation.gettext("Cast my vote") == "Cast my vote"


@pytest.mark.django_db
def test_a_page_follows_the_browser_and_the_switch(cast):
    motion = motion_submit(cast.bob, cast.north, title="Agua", text="Exigir agua")
    url = reverse("motions:detail", args=[cast.north.slug, motion.number])
    client = Client(HTTP_ACCEPT_LANGUAGE="es-PE,es;q=0.9")
    client.force_login(cast.olivia)
    spanish = client.get(url).content.decode()
    assert '<html lang="es">' in spanish
    assert "Debate" in spanish and "Balance de argumentos" in spanish
    assert "Discussion" not in spanish
    assert "Presentada → Con apoyos" in spanish  # the history names states in the language

    switched = client.post(reverse("set_language"), {"language": "en", "next": url})
    assert switched.status_code == 302 and switched["Location"] == url
    english = client.get(url).content.decode()
    assert '<html lang="en">' in english
    assert "Discussion" in english and "Balance of arguments" in english
    assert "Balance de argumentos" not in english
    assert "Submitted → Supported" in english


@pytest.mark.django_db
def test_anonymous_visitors_get_the_browser_language(cast):
    url = reverse("bodies:home")
    assert "Asambleas públicas" in Client(HTTP_ACCEPT_LANGUAGE="es").get(url).content.decode()
    assert "Public assemblies" in Client(HTTP_ACCEPT_LANGUAGE="en").get(url).content.decode()
    # An unsupported browser language falls back to Spanish, the default.
    assert "Asambleas públicas" in Client(HTTP_ACCEPT_LANGUAGE="de").get(url).content.decode()


@pytest.mark.django_db
def test_a_persons_chosen_language_wins_after_login(cast):
    cast.bob.language = "en"
    cast.bob.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    client.post(reverse("accounts:login"), {"username": "bob", "password": PASSPHRASE})
    page = client.get(reverse("bodies:home")).content.decode()
    assert "Your assemblies" in page


@pytest.mark.django_db
def test_refusals_are_translated(cast):
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    client.force_login(cast.olivia)
    response = client.post(
        reverse("motions:create", args=[cast.north.slug]), {"title": "T", "text": "X"}
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "Solo las y los integrantes de esta asamblea pueden hacer esto." in html
    assert "No se cambió nada." in html


def test_startup_reads_catalogs_again_even_when_another_process_compiled_them():
    """Two processes starting together on a fresh checkout (the two test passes, two workers):
    one may have read the translations before the other wrote the catalogs, and then finds
    nothing left to compile. Start-up must still drop what it had read, or its pages stay in
    English (this happened to the PostgreSQL pass of a fresh CI run)."""
    import gettext

    from django.apps import apps
    from django.utils import translation
    from django.utils.translation import trans_real

    with translation.override("es"):
        stale = trans_real.translation("es")
        trans_real._translations["es"] = stale
        gettext._translations[("stale", "es")] = stale  # type: ignore[attr-defined]
        apps.get_app_config("asamblea").ready()  # every catalog is compiled already
        assert "es" not in trans_real._translations
        assert ("stale", "es") not in gettext._translations  # type: ignore[attr-defined]
        assert translation.gettext("Public assemblies") == "Asambleas públicas"
