from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    """`queued_at` meant "the next send step is due (or began) at": say so. `leased_until` lets the reply
    dispatcher hand a due reply out once, as the post dispatcher does."""

    dependencies = [("inbox", "0003_message_search_trigger")]

    operations = [
        migrations.RemoveIndex(model_name="message", name="msg_send_queue"),
        migrations.RenameField(model_name="message", old_name="queued_at", new_name="next_step_at"),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                fields=["send_status", "next_step_at"], name="msg_send_queue", condition=~Q(send_status="")
            ),
        ),
        migrations.AddField(
            model_name="message", name="leased_until", field=models.DateTimeField(blank=True, null=True)
        ),
    ]
