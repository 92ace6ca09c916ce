from django.apps import AppConfig


class VotingConfig(AppConfig):
    name = "asamblea.voting"
    label = "voting"
    default_auto_field = "django.db.models.BigAutoField"
