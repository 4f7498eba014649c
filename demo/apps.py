from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo world: seeders, the demo bakery's FAQ and the network fakes' demo feeds.

    Installed only where CMHUB_DEMO (or CMHUB_DEMO_APP, for the test suite) is on: production never loads it.
    """

    name = "demo"
    verbose_name = "Demo"
