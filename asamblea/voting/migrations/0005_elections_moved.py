"""The election models moved to the app ``elections``: voting forgets them, the tables stay.

State only: ``elections``' migration 0001 took over the same tables (``db_table``), so no row
is copied and nothing in the database changes.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("voting", "0004_eligibility_fillfactor"),
        ("elections", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="Candidate"),
                migrations.DeleteModel(name="ElectionBallot"),
                migrations.DeleteModel(name="Elector"),
                migrations.DeleteModel(name="Election"),
            ],
        ),
    ]
