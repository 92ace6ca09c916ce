import logging

from django.apps import AppConfig


class AsambleaConfig(AppConfig):
    """The project package itself: system checks, project templates and static files."""

    name = "asamblea"
    label = "asamblea"

    def ready(self) -> None:
        from asamblea import checks  # noqa: F401 - registers the system checks
        from asamblea.dates import install_safe_localtime
        from asamblea.i18n import compile_catalogs

        install_safe_localtime()

        try:
            compile_catalogs()
        except OSError as exc:  # a read-only install ships compiled catalogs
            logging.getLogger(__name__).warning("could not compile catalogs: %s", exc)
            return
        # Importing the models already loaded (and cached) the default language's translations,
        # maybe before these catalogs existed: drop the cache so they are read again. Always, not
        # only when this process wrote a catalog: another process starting at the same moment on
        # a fresh checkout (the two test passes, two workers) may have written them between this
        # process's first read and its compile, and then this one has nothing left to write but
        # still holds translations without them. Python's gettext caches every .mo it opened by
        # path, stale ones included.
        import gettext

        from django.utils.translation import trans_real

        gettext._translations.clear()  # type: ignore[attr-defined]
        trans_real._translations = {}
        trans_real._default = None
