from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bodies", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="nonce",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
    ]
