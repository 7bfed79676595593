"""The minutely sweep: a safety net that drains due and stuck deliveries even when no
worker's poller thread is alive."""

from django.db import migrations

SWEEP_NAME = "Sweep due and stuck deliveries"


def create_sweep(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=SWEEP_NAME,
        defaults={
            "func": "webhooks.tasks.drain_due_deliveries",
            "schedule_type": "I",
            "minutes": 1,
            "repeats": -1,
        },
    )


def delete_sweep(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SWEEP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_sweep, delete_sweep)]
