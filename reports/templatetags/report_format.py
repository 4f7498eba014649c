from django import template

from reports.presentation import duration_text

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    return duration_text(seconds)


@register.filter
def percent(value: float | None) -> str:
    return f"{value:.0f} %" if isinstance(value, int | float) else "–"


@register.filter
def attr(obj: object, name: str) -> object:
    """A field of a dataclass chosen by the template (durations' median, p90, mean)."""
    return getattr(obj, name, None) if obj is not None else None


@register.filter
def item(values: list | None, index: int) -> object:
    """The index-th value of a list (the previous period's bucket beside this one's)."""
    return values[index] if values and 0 <= index < len(values) else None
