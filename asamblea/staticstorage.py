"""Static files with hashed names, compressed with gzip and Brotli (WhiteNoise), cached forever.

``asamblea serve`` and the test session collect and compress them automatically
(``collectstatic``), so there is no step to forget. Before the first collection (a fresh clone
running some other command) there is no manifest yet: pages then link the plain names, which
WhiteNoise serves from the apps' folders (``WHITENOISE_USE_FINDERS``) with a short cache
lifetime, instead of failing with an error.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:  # not collected yet: the plain name, served from the app's folder
            return name
