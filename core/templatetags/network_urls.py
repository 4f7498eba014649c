"""`{{ url|http_url }}`: the one filter every network-supplied link goes through in templates."""

from django import template

from core.urls_from_networks import http_url as _http_url

register = template.Library()


@register.filter
def http_url(value: object) -> str:
    return _http_url(str(value or ""))
