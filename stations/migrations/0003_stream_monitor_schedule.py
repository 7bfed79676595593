"""The stream monitor's schedule: every minute, check the streams that are due (each
stream once per STREAM_MONITOR_INTERVAL_S, read when the run starts) and evaluate the
alert policies, so grace periods end on time even when no check arrives."""

from django.db import migrations

MONITOR_NAME = "Check monitored streams"


def create_monitor_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=MONITOR_NAME,
        defaults={
            "func": "stations.tasks.run_stream_monitor",
            "schedule_type": "I",
            "minutes": 1,
            "repeats": -1,
        },
    )


def delete_monitor_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=MONITOR_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("stations", "0002_stream_monitoring"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_monitor_schedule, delete_monitor_schedule)]
