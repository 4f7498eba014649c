"""The permissions CM Hub asks each network for, in words a person can judge before consenting.

The networks' own scope names (`pages_manage_engagement`, `tweet.write`, `rw_organization_admin`) mean
little to most admins; the pages say what each one lets CM Hub do, and keep the raw name where an
operator needs it (the network's app review asks for it). A scope not listed here shows its raw name.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

WORDS = {
    # Facebook Pages and Instagram (Graph API), https://developers.facebook.com/docs/permissions
    "pages_show_list": _("see the Pages you manage"),
    "pages_read_engagement": _("read your Pages' posts and followers"),
    "pages_read_user_content": _("read what people post on your Pages"),
    "pages_manage_engagement": _("answer, hide and delete comments on your Pages"),
    "pages_manage_posts": _("publish on your Pages"),
    "pages_messaging": _("read and answer your Pages' private messages"),
    "pages_manage_metadata": _("follow your Pages' conversations and settings"),
    "instagram_basic": _("read your Instagram profile and media"),
    "instagram_manage_comments": _("read and answer Instagram comments"),
    "instagram_content_publish": _("publish on Instagram"),
    "instagram_manage_messages": _("read and answer your Instagram direct messages"),
    # X (OAuth 2.0 scopes of the X API v2)
    "tweet.read": _("read posts and mentions"),
    "users.read": _("read account profiles"),
    "tweet.write": _("post and reply"),
    "offline.access": _("stay connected without signing in again"),
    "media.write": _("upload images"),
    "dm.read": _("read your direct messages"),
    "dm.write": _("answer direct messages"),
    "tweet.moderate.write": _("hide replies to your posts"),
    # LinkedIn pages (Community Management API)
    "r_organization_social": _("read your pages' posts and comments"),
    "w_organization_social": _("post and comment as your pages"),
    "rw_organization_admin": _("see the pages you administer"),
    # Mastodon (https://docs.joinmastodon.org/api/oauth-scopes/)
    "read:notifications": _("read your mentions and notifications"),
    "read:statuses": _("read posts and their threads"),
    "read:accounts": _("read account profiles"),
    "write:statuses": _("post, reply and delete your posts"),
    "write:media": _("upload images"),
    "write:mutes": _("mute accounts"),
    "write:blocks": _("block accounts"),
    # YouTube (https://developers.google.com/youtube/v3/guides/auth/server-side-web-apps#identify-access-scopes)
    "https://www.googleapis.com/auth/youtube.force-ssl": _(
        "read, answer and moderate the comments on your YouTube channel"
    ),
    # Threads (https://developers.facebook.com/docs/threads/get-started#authorization)
    "threads_basic": _("read your Threads profile and posts"),
    "threads_read_replies": _("read the replies to your threads"),
    "threads_manage_replies": _("answer and hide replies to your threads"),
    "threads_manage_mentions": _("read the threads that mention you"),
    "threads_content_publish": _("publish on Threads"),
    "threads_delete": _("delete what CM Hub published on Threads"),
    # Google Business Profile (https://developers.google.com/my-business/content/implement-oauth)
    "https://www.googleapis.com/auth/business.manage": _(
        "see the places you manage on Google and answer their reviews"
    ),
}


def words_for(scopes: Iterable[str]) -> list[str]:
    return [str(WORDS.get(scope, scope)) for scope in scopes]
