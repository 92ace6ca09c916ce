"""Weak connections: static files hashed, compressed and cached forever; pages gzipped; live
streams never compressed; a favicon on every page."""

import re

import pytest
from django.http import StreamingHttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from asamblea.middleware import CompressPagesMiddleware

STATIC_LINK = re.compile(r'(?:href|src)="(/static/asamblea/[^"]+)"')


def static_links(html: str) -> list[str]:
    return STATIC_LINK.findall(html)


@pytest.mark.django_db
def test_pages_link_static_files_by_hashed_name():
    links = static_links(Client().get(reverse("bodies:home")).content.decode())
    names = {link.rsplit("/", 1)[1] for link in links}
    assert len(names) == 4  # stylesheet, htmx, our script, icon
    assert all(re.fullmatch(r"[\w.-]+\.[0-9a-f]{12}\.(css|js|svg)", name) for name in names)


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_static_files_are_compressed_and_cached_for_a_year(encoding):
    html = Client().get(reverse("bodies:home")).content.decode()
    htmx = next(link for link in static_links(html) if "htmx" in link)
    response = Client().get(htmx, HTTP_ACCEPT_ENCODING=f"{encoding}, deflate")
    assert response.status_code == 200
    assert response["Content-Encoding"] == encoding
    assert int(response["Content-Length"]) < 18_000  # 52 KB uncompressed
    assert "immutable" in response["Cache-Control"]
    assert "max-age=315360000" in response["Cache-Control"]


@pytest.mark.django_db
def test_pages_are_gzipped_when_the_browser_accepts_it():
    plain = Client().get(reverse("accounts:login"))
    packed = Client().get(reverse("accounts:login"), HTTP_ACCEPT_ENCODING="gzip, br")
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert len(packed.content) < len(plain.content) / 2
    assert "Accept-Encoding" in packed["Vary"]


def test_live_streams_are_never_compressed():
    def stream(request):
        return StreamingHttpResponse(iter([b"data: 1\n\n"] * 100), content_type="text/event-stream")

    request = RequestFactory().get("/live/", HTTP_ACCEPT_ENCODING="gzip")
    response = CompressPagesMiddleware(stream)(request)
    assert "Content-Encoding" not in response
    assert next(iter(response.streaming_content)) == b"data: 1\n\n"


@pytest.mark.django_db
def test_every_page_has_an_icon_and_favicon_ico_exists():
    html = Client().get(reverse("accounts:login")).content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)"', html)
    assert icon and icon.group(1).endswith(".svg")
    assert Client().get(icon.group(1)).status_code == 200
    ico = Client().get("/favicon.ico")
    assert ico.status_code == 200 and ico["Content-Type"] == "image/x-icon"
