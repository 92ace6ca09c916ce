"""Login names in their normal form (NFKC + case folding) and their TR39 skeleton.

Existing names are rewritten to their normal form. Two old names that normalise to the same
spelling cannot both keep it: the older account keeps it, the newer is renamed to
``<name>-<id>`` and listed in the migration's output for the operator, who tells the person
(a facilitator's reset link shows the person their login name). Old accounts whose skeleton
equals an older account's keep a null skeleton (the older one holds it), so nothing is lost.
"""

import logging

from django.db import migrations, models

from asamblea.accounts import names

log = logging.getLogger(__name__)


def normalise_names(apps, schema_editor):
    Person = apps.get_model("accounts", "Person")
    taken: set[str] = set()
    skeletons: set[str] = set()
    people = list(Person.objects.order_by("pk"))
    # Free every name first, so renaming A to what B holds now cannot collide mid-way.
    for person in people:
        Person.objects.filter(pk=person.pk).update(username=f"~migrating-{person.pk}")
    for person in people:
        normal = names.normalise(person.username)[: names.MAX_LENGTH] or f"person-{person.pk}"
        if normal in taken:
            renamed = f"{normal[: names.MAX_LENGTH - 21]}-{person.pk}"
            log.warning("login name of person %s renamed to %r (clash)", person.pk, renamed)
            print(f"\n  accounts: login name of person {person.pk} renamed to {renamed!r}")
            normal = renamed
        taken.add(normal)
        skeleton = names.skeleton(normal)
        Person.objects.filter(pk=person.pk).update(
            username=normal, login_skeleton=None if skeleton in skeletons else skeleton
        )
        skeletons.add(skeleton)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="person",
            name="login_skeleton",
            field=models.CharField(editable=False, max_length=255, null=True, unique=True),
        ),
        migrations.RunPython(normalise_names, migrations.RunPython.noop),
    ]
