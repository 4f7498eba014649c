"""How English pages write dates and times. `core/dates.py` names which of these each context uses."""

DATE_FORMAT = "M j, Y"  # Dec 2, 2026
TIME_FORMAT = "g:i A"  # 3:38 AM
DATETIME_FORMAT = "M j, Y, g:i A"  # Dec 2, 2026, 3:38 AM
MONTH_DAY_FORMAT = "M j"
YEAR_MONTH_FORMAT = "F Y"
