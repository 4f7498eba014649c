"""An edited X post is a new post with an id of its own: the inbox shows it as an edit of the message it
holds, with the old words kept, not as a second message (issue 13, item 9)."""

from __future__ import annotations

from inbox.models import Conversation, Message
from networks import tasks


def poll(channel):
    channel.refresh_from_db()
    return tasks.poll_once(channel)


def test_an_edited_mention_updates_the_message_it_replaces(x_channel, x_fake):
    ada = x_fake.add_user("ada_eats", "Ada")
    first = x_fake.add_mention(x_channel.fake_brand, ada, "@demobakery Do you open at 7?")
    poll(x_channel)

    x_fake.edit_tweet(first, "@demobakery Do you open at 7 on Sundays?")
    poll(x_channel)

    message = Message.objects.get(channel=x_channel)
    assert message.external_id == first
    assert message.text == "@demobakery Do you open at 7 on Sundays?"
    assert [v["text"] for v in message.previous_texts] == ["@demobakery Do you open at 7?"]
    assert message.edited_at is not None
    assert Conversation.objects.get(channel=x_channel).message_count == 1


def test_an_original_and_its_edit_read_together_make_one_message(x_channel, x_fake):
    ada = x_fake.add_user("ada_eats", "Ada")
    first = x_fake.add_mention(x_channel.fake_brand, ada, "@demobakery Do you open at 7?")
    second = x_fake.edit_tweet(first, "@demobakery Do you open at 7 on Sundays?")

    poll(x_channel)

    message = Message.objects.get(channel=x_channel)
    assert (message.external_id, message.text) == (second, "@demobakery Do you open at 7 on Sundays?")
