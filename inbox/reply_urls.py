reply_urlpatterns: list = []  # filled by the replies module (composer, approvals, saved replies)
