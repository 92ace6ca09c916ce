"""A Saturday assembly, start to finish, as the people in the room live it.

Seven people at once, each in their own Chromium context against a real server (uvicorn, the
project's ASGI app with its lean stream and cast endpoints, SQLite): Alicia facilitates from a
laptop, Sara (a second facilitator) keeps the minutes, Bob and Nuria use phones (360x740),
Nuria joining through the invitation link of the QR code, Dora has JavaScript off, the
projector shows the room what is happening, and Eva arrives late.

Every step asserts what each of them sees. The live pages are never reloaded (a flag set in
the page survives only if it is not): the projector and the phones follow by events alone,
Dora's page by reloading, as a page without JavaScript does.

Uses Debian's Chromium (never a downloaded browser); under CI=true a missing one fails.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PHONE = {"width": 360, "height": 740}
WAIT = 10_000  # ms: generous for a loaded CI machine; every wait ends on an event

SEED = r"""
import json, django
django.setup()
from datetime import timedelta
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from asamblea.testing import join, make_cast, make_person
from asamblea.meetings import actions

cast = make_cast()
north = cast.north
north.supporters_required = 2  # a motion needs two supporters before a vote
north.save()
sara = make_person("sara", display_name="Sara")
join(sara, north, role="facilitator")
dora = make_person("dora", display_name="Dora")
join(dora, north)
eva = make_person("eva", display_name="Eva")
join(eva, north)
meeting = actions.meeting_schedule(
    cast.alice, north, title="Asamblea del sábado",
    starts_at=timezone.now() + timedelta(hours=1), place="Sede vecinal",
)
item = actions.item_add(cast.alice, meeting, title="Agua potable")

def session(person):
    store = SessionStore()
    store[SESSION_KEY] = str(person.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = person.get_session_auth_hash()
    store.create()
    return store.session_key

print(json.dumps({
    "slug": north.slug,
    "meeting": meeting.pk,
    "item": item.pk,
    "cookie": settings.SESSION_COOKIE_NAME,
    "sessions": {
        name: session(person)
        for name, person in {
            "alice": cast.alice, "sara": sara, "bob": cast.bob, "dora": dora, "eva": eva,
        }.items()
    },
}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Migrate, seed and serve on a spare loopback port (no Redis: fan-out in process)."""
    data = tmp_path_factory.mktemp("saturday")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "TEST_DATABASE_NAME", "SITE_URL"}
    }
    env |= {
        "ASAMBLEA_DATA_DIR": str(data),
        "DJANGO_SETTINGS_MODULE": "asamblea.settings",
        "RATE_LIMITS_ENABLED": "false",
    }
    python = sys.executable
    subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [python, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )
    seeded = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [python, "-c", SEED], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    world = json.loads(seeded.stdout.strip().splitlines()[-1])
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
        [python, "-m", "asamblea.serving", "asamblea.asgi:application", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # waits for the port, not for time
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail(f"server did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
    world["base"] = f"http://127.0.0.1:{port}"
    try:
        yield world
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class Room:
    """The people of the scenario, each with their own browser context."""

    def __init__(self, browser, server):
        self.browser = browser
        self.server = server
        self.base = server["base"]
        self.slug = server["slug"]
        self.meeting_url = f"{self.base}/b/{self.slug}/meetings/{server['meeting']}/"
        self.contexts = []
        self.errors: list[str] = []

    def page(self, who=None, *, phone=False, javascript=True):
        options = {"locale": "es-ES", "java_script_enabled": javascript}
        if phone:
            options |= {"viewport": PHONE, "is_mobile": True, "has_touch": True}
        context = self.browser.new_context(**options)
        self.contexts.append(context)
        if who is not None:
            context.add_cookies(
                [
                    {
                        "name": self.server["cookie"],
                        "value": self.server["sessions"][who],
                        "url": self.base,
                    }
                ]
            )
        page = context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        return page

    def close(self):
        for context in self.contexts:
            context.close()


def live(page, url):
    """Open a live page and wait until its event stream is connected; mark it so a reload
    would show (the mark does not survive one)."""
    page.goto(url)
    page.wait_for_selector("#live[data-mode=connected]", timeout=WAIT)
    page.evaluate("window.notReloaded = true")


def not_reloaded(*pages):
    for page in pages:
        assert page.evaluate("window.notReloaded") is True, page.url


def test_a_saturday_assembly_from_invitation_to_published_minutes(browser, server):
    room = Room(browser, server)
    try:
        _play(room)
    finally:
        room.close()
    assert room.errors == []


def _play(room: Room) -> None:  # noqa: PLR0915 - one meeting, told in order
    meeting_url = room.meeting_url
    body_url = f"{room.base}/b/{room.slug}/"
    alicia = room.page("alice")
    sara = room.page("sara")
    bob = room.page("bob", phone=True)
    dora = room.page("dora", javascript=False)
    projector = room.page("alice")

    # -- The invitation: Alicia makes a link for the QR code; Nuria joins with her phone. ----
    alicia.goto(f"{body_url}invitations/")
    alicia.fill("#id_max_uses", "10")
    alicia.click("main form:not([action]) button[type=submit]")
    expect(alicia.locator("#invite-qr svg")).to_be_visible(timeout=WAIT)
    link = alicia.input_value("#invite-url")
    assert link.startswith(room.base), link  # the link follows the address in use
    nuria = room.page(phone=True)
    nuria.goto(link)
    nuria.fill("#id_display_name", "Nuria")
    nuria.fill("#id_username", "nuria")
    nuria.fill("#id_password", "agua para todo el barrio 2026")
    nuria.fill("#id_password2", "agua para todo el barrio 2026")
    nuria.click("main form button[type=submit]")
    nuria.wait_for_load_state()
    # Her assembly's page puts the next meeting first.
    nuria.goto(body_url)
    expect(nuria.locator("#now")).to_contain_text("Asamblea del sábado")

    # -- The meeting opens; the projector shows it and a QR code to check in. ---------------
    alicia.goto(meeting_url)
    alicia.click("form[action$='/open/'] button")
    expect(alicia.locator("#meeting-state")).to_have_class("badge open")
    live(projector, meeting_url + "projector/")
    expect(projector.locator(".projector-qr svg")).to_be_visible()

    # -- Check-in: phones, the page without JavaScript, the secretary, the facilitator. -----
    for page in (bob, nuria, sara, alicia):
        live(page, meeting_url)
        page.click("#checkin")
        page.wait_for_selector("form[action$='/checkout/']", timeout=WAIT)
    dora.goto(meeting_url)
    dora.click("#checkin")
    expect(dora.locator("form[action$='/checkout/'] button")).to_have_count(1)
    expect(projector.locator(".projector-meta")).to_contain_text("5", timeout=WAIT)
    for page in (bob, nuria, sara, alicia):
        live(page, meeting_url)
    expect(bob.locator("#present-count")).to_contain_text("5")

    # -- The agenda is adopted by a vote of the five present. -------------------------------
    alicia.check("#id_decides_agenda")
    alicia.click("#open-vote")
    alicia.wait_for_selector("#close-vote", timeout=WAIT)
    for page in (bob, nuria):
        page.wait_for_selector("#cast", timeout=WAIT)
        page.check("input[name=choice][value=yes]")
        page.click("#cast")
        page.wait_for_load_state()
    dora.goto(meeting_url)
    dora.check("input[name=choice][value=yes]")
    dora.click("#cast")
    dora.wait_for_load_state()
    expect(projector.locator("#vote-progress")).to_contain_text("3", timeout=WAIT)
    live(bob, meeting_url)
    live(nuria, meeting_url)
    alicia.click("#close-vote")
    expect(alicia.locator("#vote-result")).to_be_visible(timeout=WAIT)
    expect(projector.locator("#vote-result")).to_have_class("big adopted", timeout=WAIT)
    expect(bob.locator("#vote-result")).to_be_visible(timeout=WAIT)
    expect(nuria.locator("#vote-result")).to_be_visible(timeout=WAIT)
    not_reloaded(projector, bob, nuria)
    alicia.goto(meeting_url)
    expect(alicia.locator(".agenda-item").first).to_contain_text("Agua potable")
    assert alicia.locator("text=/Agenda adopted|Orden del día aprobad/i").count() >= 1

    # -- The speakers list: turns, a point of order and a direct reply. ----------------------
    alicia.click(f"form[action$='/items/{room.server['item']}/start/'] button")
    bob.wait_for_selector("#ask-to-speak", timeout=WAIT)
    bob.click("#ask-to-speak")
    nuria.wait_for_selector("#ask-to-speak", timeout=WAIT)
    nuria.click("#ask-to-speak")
    live(alicia, meeting_url)
    expect(alicia.locator("#queue")).to_contain_text("Nuria", timeout=WAIT)
    alicia.click("#next-speaker")
    expect(projector.locator("#current-speaker")).to_contain_text("Bob", timeout=WAIT)
    dora.goto(meeting_url)
    dora.click("button[value=point_of_order]")
    expect(projector.locator("#queue li").first).to_contain_text("Dora", timeout=WAIT)
    expect(projector.locator("#queue li").first).to_have_class("point_of_order")
    live(nuria, meeting_url)
    nuria.click("button[value=direct_reply]")
    expect(alicia.locator("#queue li.direct_reply")).to_contain_text("Nuria", timeout=WAIT)
    live(bob, meeting_url)
    expect(bob.locator("#queue li").first).to_contain_text("Dora")
    alicia.click("#next-speaker")  # the point of order comes before every turn
    expect(projector.locator("#current-speaker")).to_contain_text("Dora", timeout=WAIT)
    expect(bob.locator("#current-speaker")).to_contain_text("Dora", timeout=WAIT)
    dora.goto(meeting_url)
    expect(dora.locator("#current-speaker")).to_contain_text("Dora")
    not_reloaded(projector, bob)

    # -- A motion, and the supporters it needs before a vote. --------------------------------
    bob.goto(f"{body_url}motions/new/")
    bob.fill("#id_title", "Pedir agua potable al municipio")
    bob.fill("#id_text", "La asamblea pide al municipio agua potable para todo el barrio.")
    bob.click("main form button[type=submit]")
    bob.wait_for_url("**/m/*/")
    motion_url = bob.url
    number = motion_url.rstrip("/").rsplit("/", 1)[1]
    for page in (nuria, sara):
        page.goto(motion_url)
        page.click("form[action$='/support/'] button")
        page.wait_for_load_state()
    bob.goto(motion_url)
    expect(bob.locator(".badge.supported").first).to_be_visible()

    # -- A secret vote on the motion: phones, a page without JavaScript and a hand count. ----
    live(alicia, meeting_url)
    alicia.select_option("#id_motion", number)  # chosen from a list, not typed
    alicia.click("#open-vote")
    alicia.wait_for_selector("#close-vote", timeout=WAIT)
    live(projector, meeting_url + "projector/")
    for page in (bob, nuria):
        live(page, meeting_url)
        page.wait_for_selector("#cast", timeout=WAIT)
    bob.check("input[name=choice][value=yes]")
    bob.click("#cast")
    bob.wait_for_load_state()
    # Alicia counts the hands of the two without a phone (herself and Sara) while Nuria,
    # meanwhile, has her choice made but not yet sent.
    nuria.check("input[name=choice][value=no]")
    live(alicia, meeting_url)
    alicia.click("#hand-count summary")
    alicia.fill("#hands-yes", "1")
    alicia.fill("#hands-no", "0")
    alicia.fill("#hands-abstain", "1")
    alicia.click("#record-hands")
    alicia.wait_for_load_state()
    assert nuria.is_checked("input[name=choice][value=no]")  # the updates kept her choice
    nuria.click("#cast")
    nuria.wait_for_load_state()
    dora.goto(meeting_url)
    dora.check("input[name=choice][value=yes]")
    dora.click("#cast")
    dora.wait_for_load_state()
    # The secretary attests the hand count.
    sara.goto(meeting_url)
    sara.click("#attest-hands")
    sara.wait_for_load_state()
    # Three phone ballots and two hands, of five: nobody counted twice.
    progress = projector.locator("#vote-progress")
    expect(progress).to_contain_text("3", timeout=WAIT)
    expect(progress).to_contain_text("2")
    expect(progress).to_contain_text("5")

    # -- Eva arrives late: she is present, but not in the electorate of the open vote. ------
    eva = room.page("eva", phone=True)
    eva.goto(meeting_url)
    eva.click("#checkin")
    eva.wait_for_selector("form[action$='/checkout/']", timeout=WAIT)
    expect(eva.locator("#vote")).to_be_visible()
    expect(eva.locator("#cast")).to_have_count(0)
    expect(projector.locator(".projector-meta")).to_contain_text("6", timeout=WAIT)

    # -- The vote closes: the result is on the projector and the phones at once. ------------
    live(bob, meeting_url)
    alicia.goto(meeting_url)
    alicia.click("#close-vote")
    expect(projector.locator("#vote-result")).to_have_class("big adopted", timeout=WAIT)
    expect(bob.locator("#vote-result")).to_be_visible(timeout=WAIT)
    outcome = bob.inner_text("#vote-result")
    assert "3" in outcome  # yes: Bob and Dora on their phones, one hand
    not_reloaded(projector, bob)
    dora.goto(meeting_url)
    expect(dora.locator("#vote-result")).to_be_visible()
    bob.goto(motion_url)
    expect(bob.locator(".badge.adopted").first).to_be_visible()

    # -- The meeting closes; the secretary writes and publishes the minutes. ----------------
    alicia.goto(meeting_url)
    alicia.click("form[action$='/close/'] button")
    alicia.wait_for_url("**/minutes/")  # closing leads the facilitator to the draft minutes
    expect(alicia.locator("main h1")).to_contain_text("Asamblea del sábado")
    expect(projector.locator(".projector-meta .badge")).to_have_class("badge closed", timeout=WAIT)
    sara.goto(meeting_url + "minutes/notes/")
    sara.fill("#id_text", "Se aprobó pedir agua potable al municipio.")
    sara.click("main form button[type=submit]")
    sara.wait_for_load_state()
    sara.goto(meeting_url + "minutes/")
    sara.click("form[action$='/publish/'] button[value='1']")
    sara.wait_for_load_state()

    # -- Everyone reads them; Bob downloads the file. -----------------------------------------
    dora.goto(meeting_url + "minutes/")
    minutes = dora.locator("main")
    for words in ("Agua potable", "Pedir agua potable al municipio", "Dora", "Nuria", "Sara"):
        expect(minutes).to_contain_text(words)
    expect(minutes).to_contain_text("Se aprobó pedir agua potable al municipio.")
    dora.goto(body_url)
    expect(dora.locator("#more-meetings")).to_contain_text("Asamblea del sábado")
    pdf = bob.context.request.get(meeting_url + "minutes.pdf")
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    assert "attachment" in pdf.headers.get("content-disposition", "")
