from django.urls import path

from posts import views

# Mounted under /w/<slug>/. Ids are <int:pk> so tests/workspace_urls.py can walk them.
workspace_urlpatterns = [
    path("posts/", views.post_list, name="posts"),
    path("posts/new/", views.post_new, name="post_new"),
    path("posts/preview/", views.post_preview, name="post_preview"),
    path("posts/review/", views.review_queue, name="posts_review"),
    path("posts/<int:pk>/", views.post_detail, name="post_detail"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:pk>/submit/", views.post_submit, name="post_submit"),
    path("posts/<int:pk>/review/", views.post_review, name="post_review"),
    path("posts/<int:pk>/schedule/", views.post_schedule, name="post_schedule"),
    path("posts/<int:pk>/move/", views.post_move, name="post_move"),
    path("posts/<int:pk>/cancel/", views.post_cancel, name="post_cancel"),
    path("posts/<int:pk>/duplicate/", views.post_duplicate, name="post_duplicate"),
    path("posts/targets/<int:pk>/retry/", views.target_retry, name="post_target_retry"),
    path("calendar/", views.posts_calendar, name="posts_calendar"),
]
