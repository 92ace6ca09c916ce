from django.apps import AppConfig


class MotionsConfig(AppConfig):
    name = "asamblea.motions"
    label = "motions"
    default_auto_field = "django.db.models.BigAutoField"
