"""One name for the event type: Webhook.trigger and Event.type become `event_type`, like
Delivery.event_type, and all three take their choices from the registry
(webhooks.event_types.choices, a callable: a new event type needs no migration).

Only columns and an index are renamed: the data stays, and the indexes follow the
columns (the database is told only the webhook index's new name)."""

from django.db import migrations, models

import webhooks.event_types


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0010_delivery_engine"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RenameIndex(
                    model_name="webhook",
                    new_name="webhooks_we_station_e13954_idx",
                    old_name="webhooks_we_station_61ab3e_idx",
                ),
                migrations.RenameField(model_name="event", old_name="type", new_name="event_type"),
                migrations.RenameField(
                    model_name="webhook", old_name="trigger", new_name="event_type"
                ),
            ],
            state_operations=[
                migrations.RemoveIndex(model_name="event", name="event_station_type_idx"),
                migrations.RemoveIndex(model_name="webhook", name="webhooks_we_station_61ab3e_idx"),
                migrations.RenameField(model_name="event", old_name="type", new_name="event_type"),
                migrations.RenameField(
                    model_name="webhook", old_name="trigger", new_name="event_type"
                ),
                migrations.AddIndex(
                    model_name="event",
                    index=models.Index(
                        fields=["station", "event_type", "-created_at"],
                        name="event_station_type_idx",
                    ),
                ),
                migrations.AddIndex(
                    model_name="webhook",
                    index=models.Index(
                        fields=["station", "event_type", "enabled"],
                        name="webhooks_we_station_e13954_idx",
                    ),
                ),
            ],
        ),
        migrations.AlterField(
            model_name="event",
            name="event_type",
            field=models.CharField(choices=webhooks.event_types.choices, max_length=40),
        ),
        migrations.AlterField(
            model_name="webhook",
            name="event_type",
            field=models.CharField(choices=webhooks.event_types.choices, max_length=40),
        ),
        migrations.AlterField(
            model_name="delivery",
            name="event_type",
            field=models.CharField(choices=webhooks.event_types.choices, max_length=40),
        ),
        migrations.AlterField(
            model_name="alertpolicy",
            name="contacts",
            field=models.ManyToManyField(
                blank=True,
                help_text="Stream alert webhooks of the same station that receive the alerts.",
                limit_choices_to={"event_type": "stream.alert"},
                related_name="alert_policies",
                to="webhooks.webhook",
            ),
        ),
    ]
