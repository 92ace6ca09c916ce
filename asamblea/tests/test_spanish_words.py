"""Words that used to reach Spanish pages in English or uncounted: sector names, mandates and
choices, plurals, Django's "slug" message, the minutes file name."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

from asamblea.bodies.models import Sector, sector_label
from asamblea.coordination.forms import ForwardForm
from asamblea.coordination.models import Seat


def test_known_sectors_are_named_in_the_readers_language_others_keep_their_name():
    with translation.override("es"):
        assert sector_label("residents", "Residents") == "Vecinos y vecinas"
        assert str(Sector(slug="students", name="Students")) == "Estudiantes"
        assert sector_label("fishers", "Pescadores") == "Pescadores"
    with translation.override("en"):
        assert Sector(slug="residents", name="Vecinos").label == "Residents"


def test_mandates_and_delegate_choices_are_words_not_codes():
    seat = Seat(mandate="against", choice="yes")
    with translation.override("es"):
        assert (seat.mandate_label, seat.choice_label) == ("En contra", "Sí")
    with translation.override("en"):
        assert (seat.mandate_label, seat.choice_label) == ("Against", "Yes")
    assert Seat(mandate="", choice="").mandate_label == ""


def test_counts_agree_with_their_nouns():
    with translation.override("es"):
        one = ngettext(
            "At most %(room)s more person can be counted by hand.",
            "At most %(room)s more people can be counted by hand.",
            1,
        )
        assert one % {"room": 1} == "Como máximo se puede contar a mano alzada a 1 persona más."


def test_a_bad_body_address_is_explained_without_django_jargon():
    with translation.override("es"):
        form = ForwardForm(data={"coordination": "no es una dirección"})
        assert not form.is_valid()
        message = form.errors["coordination"][0]
    assert message == "Ningún organismo tiene esa dirección: usa solo letras, números y guiones."
    assert "slug" not in message


@pytest.mark.django_db
def test_the_minutes_file_is_named_in_the_readers_language():
    from tests.security.world import _meet, build

    world = build()
    ids = _meet(world)
    url = reverse("meetings:minutes_pdf", kwargs={"slug": ids["slug"], "pk": ids["closed"]})
    spanish = world.cast.client(world.cast.alice, "es").get(url)
    assert spanish["Content-Disposition"] == f'attachment; filename="acta-mayo-{ids["closed"]}.pdf"'
    english = world.cast.client(world.cast.alice, "en").get(url)
    assert english["Content-Disposition"].startswith('attachment; filename="minutes-mayo-')
