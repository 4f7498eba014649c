from inbox.moderation_urls import moderation_urlpatterns
from inbox.reply_urls import reply_urlpatterns
from inbox.view_urls import inbox_urlpatterns

# Mounted under /w/<slug>/ by the project's urls.
workspace_urlpatterns = inbox_urlpatterns + reply_urlpatterns + moderation_urlpatterns
