inbox_urlpatterns: list = []  # filled by the inbox views (list, conversation, actions)
