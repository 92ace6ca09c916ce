from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API (``/api/``) and the personal access tokens that open it to a member.

    The top layer: it may import every other app, and nothing imports it."""

    name = "asamblea.api"
    label = "api"
    default_auto_field = "django.db.models.BigAutoField"
