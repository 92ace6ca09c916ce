"""Demo data that looks like a real movement: assemblies of several kinds and regions, members,
motions with discussion, one open and one closed vote. Running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from asamblea.accounts.models import Person
from asamblea.bodies.actions import body_create
from asamblea.bodies.models import Body, Membership, Sector
from asamblea.motions.actions import comment_add, motion_submit, motion_support
from asamblea.voting.actions import ballot_cast, poll_close, poll_open

DEMO_PASSPHRASE = "asamblea-demo-2026"  # noqa: S105 - printed for the demo, local only

SECTORS = [
    ("residents", "Vecinos"),
    ("construction", "Construcción"),
    ("students", "Estudiantes"),
    ("rural", "Comunidades campesinas"),
    ("agro", "Agroindustria"),
]

PEOPLE = [
    ("rosa", "Rosa Quispe", "es"),
    ("walter", "Walter M.", "es"),
    ("lucia", "Lucía", "es"),
    ("kusi", "Kusi", "es"),
    ("mateo", "Mateo R.", "es"),
    ("ana", "Ana (observadora)", "es"),
    ("jhon", "Jhon Huamán", "es"),
    ("sisa", "Sisa Mamani", "es"),
    ("pedro", "Pedro C.", "es"),
    ("ellen", "Ellen", "en"),
]

ASSEMBLIES = [
    {
        "name": "Comité Distrital de San Juan de Lurigancho",
        "kind": "district",
        "region": "Lima",
        "sectors": ["residents"],
        "visibility": "public",
        "facilitator": "rosa",
        "members": ["walter", "lucia", "kusi", "mateo", "ellen"],
        "observers": ["ana"],
        "description": "Asamblea de vecinas y vecinos del distrito. Nos reunimos los sábados.",
    },
    {
        "name": "Sección Sindical de Construcción Civil – Lima Norte",
        "kind": "workplace",
        "region": "Lima",
        "sectors": ["construction"],
        "visibility": "members",
        "facilitator": "walter",
        "members": ["jhon", "pedro", "mateo"],
        "observers": [],
        "description": "Obreros de construcción civil organizados por obra.",
    },
    {
        "name": "Asamblea de Estudiantes – Universidad de San Marcos",
        "kind": "student",
        "region": "Lima",
        "sectors": ["students"],
        "visibility": "public",
        "facilitator": "lucia",
        "members": ["kusi", "ellen", "mateo"],
        "observers": ["ana"],
        "description": "Asamblea general de estudiantes de todas las facultades.",
    },
    {
        "name": "Comunidad Campesina de Chucuito",
        "kind": "rural",
        "region": "Puno",
        "sectors": ["rural"],
        "visibility": "public",
        "facilitator": "sisa",
        "members": ["kusi", "pedro"],
        "observers": [],
        "description": "Asamblea comunal. Se habla castellano y aimara.",
    },
    {
        "name": "Trabajadoras y Trabajadores Agroindustriales de Ica",
        "kind": "workplace",
        "region": "Ica",
        "sectors": ["agro"],
        "visibility": "members",
        "facilitator": "jhon",
        "members": ["sisa", "rosa", "pedro"],
        "observers": [],
        "description": "Trabajadores de los fundos agroexportadores de Ica.",
    },
]


class Command(BaseCommand):
    help = "Load demo assemblies, people, motions and votes (does nothing if data exists)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if Body.objects.exists():
            if not options["quiet"]:
                self.stdout.write("Demo data already present: nothing changed.")
            self._say_logins()
            return
        with transaction.atomic():
            self._load()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self._say_logins()

    def _say_logins(self) -> None:
        self.stdout.write(
            "Log in as rosa (facilitator in Lima), walter, lucia, kusi, mateo (members) or "
            f"ana (observer); every demo passphrase is: {DEMO_PASSPHRASE}"
        )

    def _load(self) -> None:
        sectors = {
            slug: Sector.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in SECTORS
        }
        people = {
            username: Person.objects.create_user(
                username, DEMO_PASSPHRASE, display_name=name, language=lang
            )
            for username, name, lang in PEOPLE
        }
        bodies = {}
        for spec in ASSEMBLIES:
            body = body_create(
                people[spec["facilitator"]],
                name=spec["name"],
                kind=spec["kind"],
                region=spec["region"],
                description=spec["description"],
                visibility=spec["visibility"],
                sectors=[sectors[s] for s in spec["sectors"]],
                quorum_percent=40,
                supporters_required=1,
            )
            for username in spec["members"]:
                Membership.objects.create(person=people[username], body=body)
            for username in spec["observers"]:
                Membership.objects.create(
                    person=people[username], body=body, role=Membership.Role.OBSERVER
                )
            bodies[spec["name"]] = body
        self._lima(bodies[ASSEMBLIES[0]["name"]], people)
        self._students(bodies[ASSEMBLIES[2]["name"]], people)

    def _lima(self, body: Body, p: dict[str, Person]) -> None:
        water = motion_submit(
            p["walter"],
            body,
            title="Exigir agua potable todos los días en los asentamientos altos",
            text=(
                "La asamblea exige a Sedapal el servicio de agua **todos los días** en los "
                "asentamientos de la parte alta del distrito, y convoca a una movilización "
                "el próximo sábado si no hay respuesta."
            ),
            reasons="Hace tres meses que el agua llega solo dos días por semana.",
        )
        motion_support(p["lucia"], water)
        comment_add(
            p["lucia"],
            water,
            stance="for",
            text="Las familias de arriba compran agua en cisterna a precio triple.",
        )
        comment_add(
            p["mateo"],
            water,
            stance="against",
            text="Primero pidamos una reunión; la marcha después.",
        )
        comment_add(p["kusi"], water, stance="neutral", text="¿Quién lleva la carta a Sedapal?")
        poll = poll_open(p["rosa"], body, motion=water, secrecy="secret")
        for username, choice in (
            ("walter", "yes"),
            ("lucia", "yes"),
            ("kusi", "yes"),
            ("mateo", "no"),
        ):
            ballot_cast(p[username], poll, choice=choice)
        poll_close(p["rosa"], poll)

        olla = motion_submit(
            p["lucia"],
            body,
            title="Olla común en el local comunal durante la huelga",
            text="Organizar una olla común de lunes a viernes mientras dure la huelga.",
            reasons="Muchas familias no tienen ingresos esta semana.",
        )
        motion_support(p["walter"], olla)
        comment_add(
            p["walter"], olla, stance="for", text="Puedo traer la cocina y dos ollas grandes."
        )
        poll = poll_open(p["rosa"], body, motion=olla, secrecy="named")
        ballot_cast(p["walter"], poll, choice="yes")

        motion_submit(
            p["mateo"],
            body,
            title="Turnos rotativos de facilitación",
            text=(
                "Cada mes facilitan la asamblea dos personas distintas, "
                "sorteadas entre quienes se ofrezcan."
            ),
        )

    def _students(self, body: Body, p: dict[str, Person]) -> None:
        motion = motion_submit(
            p["kusi"],
            body,
            title="Paro de 48 horas en apoyo a la huelga nacional",
            text="La asamblea convoca a un paro de 48 horas y a sumarse a la marcha del jueves.",
        )
        comment_add(p["ellen"], motion, stance="for", text="International students will join too.")
