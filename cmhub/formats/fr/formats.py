"""How French pages write dates and times. `core/dates.py` names which of these each context uses."""

DATE_FORMAT = "j N Y"  # 2 déc. 2026
TIME_FORMAT = "H:i"  # 03:38
DATETIME_FORMAT = "j N Y, H:i"  # 2 déc. 2026, 03:38
MONTH_DAY_FORMAT = "j N"
YEAR_MONTH_FORMAT = "F Y"
