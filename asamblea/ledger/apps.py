from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "asamblea.ledger"
    label = "ledger"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Each app says how its ledger entries read (asamblea.ledger.sentences).
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("ledger_text")
