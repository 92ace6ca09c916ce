from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "asamblea.documents"
    label = "documents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Amendments, blocks and final votes are decided by the motions they carry; whatever
        # decides a motion (a poll, a meeting vote, the delegates' vote, a consultation) records
        # its state change in the ledger, and this receiver settles the document.
        from asamblea.bodies.signals import recorded
        from asamblea.documents.settle import on_recorded

        recorded.connect(on_recorded, dispatch_uid="documents.settle_on_recorded")
