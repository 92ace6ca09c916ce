from django.apps import AppConfig


class LeanConfig(AppConfig):
    name = "asamblea.lean"
    label = "lean"
    verbose_name = "the lean endpoint"
