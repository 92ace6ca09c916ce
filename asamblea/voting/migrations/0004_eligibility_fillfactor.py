"""Room in every page of the electorate snapshot for one more version of each row.

Casting flips ``Eligibility.voted`` once per person. With pages packed full, PostgreSQL must
write the new row version elsewhere and add it to every index of the table; with half of each
page free it writes it beside the old one and touches no index (a heap-only update). The
snapshot is written once, when a vote opens, so the space is reserved there. SQLite: nothing.
"""

from django.db import migrations


def reserve_room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE voting_eligibility SET (fillfactor = 50)")


def release_room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE voting_eligibility RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("voting", "0003_election_candidate_electionballot_elector_and_more")]

    operations = [migrations.RunPython(reserve_room, release_room)]
