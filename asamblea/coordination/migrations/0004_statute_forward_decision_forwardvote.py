import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bodies", "0001_initial"),
        ("coordination", "0003_statute_recall_hours_divergence"),
        ("motions", "0001_initial"),
        ("voting", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="statute",
            name="forward_decision",
            field=models.CharField(
                choices=[
                    ("vote", "By a vote of the member body's members"),
                    (
                        "facilitator",
                        "By a facilitator of the member body (for decisions taken in its meetings)",
                    ),
                ],
                default="vote",
                max_length=16,
                verbose_name="how a member body decides to forward or back a motion",
            ),
        ),
        migrations.CreateModel(
            name="ForwardVote",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "body",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="forward_votes",
                        to="bodies.body",
                    ),
                ),
                (
                    "coordination",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="bodies.body",
                    ),
                ),
                (
                    "forward",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="votes",
                        to="coordination.forward",
                    ),
                ),
                (
                    "origin",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="forward_votes",
                        to="motions.motion",
                    ),
                ),
                (
                    "poll",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="voting.poll",
                    ),
                ),
                (
                    "proposed_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"ordering": ["-created_at"]},
        ),
    ]
