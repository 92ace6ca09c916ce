from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from asamblea import serving


class Command(BaseCommand):
    help = "Migrate and serve Asamblea over ASGI with uvicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        # Hash and compress the static files on every start, so a changed stylesheet or a fresh
        # clone never serves stale or uncompressed files (a second or so).
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(
            f"Asamblea on http://{options['host']}:{options['port']}/ (data in {settings.DATA_DIR})"
        )
        serving.run(
            "asamblea.asgi:application",
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            log_level="warning",
        )
