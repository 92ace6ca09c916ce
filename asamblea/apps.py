import logging

from django.apps import AppConfig


class AsambleaConfig(AppConfig):
    """The project package itself: system checks, project templates and static files."""

    name = "asamblea"
    label = "asamblea"

    def ready(self) -> None:
        from asamblea import checks  # noqa: F401 - registers the system checks
        from asamblea.i18n import compile_catalogs

        try:
            compile_catalogs()
        except OSError as exc:  # a read-only install ships compiled catalogs
            logging.getLogger(__name__).warning("could not compile catalogs: %s", exc)
