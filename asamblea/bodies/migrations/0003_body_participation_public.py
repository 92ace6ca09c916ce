from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("bodies", "0002_invitation_nonce")]

    operations = [
        migrations.AddField(
            model_name="body",
            name="participation_public",
            field=models.BooleanField(
                default=False,
                verbose_name="who took part in votes and who attended meetings is public",
            ),
        ),
    ]
