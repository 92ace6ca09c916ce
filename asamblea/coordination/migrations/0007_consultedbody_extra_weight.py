from django.db import migrations, models


class Migration(migrations.Migration):
    """An assembly's counts in a consultation are weighted by its electors' vote weights: the
    weight above one each of the electors of the vote that decided, so its electorate in the
    count's units is ``electorate + extra_weight`` (0 for every row before this)."""

    dependencies = [
        ("coordination", "0006_delegateelection_election"),
    ]

    operations = [
        migrations.AddField(
            model_name="consultedbody",
            name="extra_weight",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
