"""English dates: one unambiguous format everywhere ("2 Dec 2026, 14:52"), not the US month/day order
and not two styles on one page. Chinese keeps Django's (2026年12月2日 14:52), already one style."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
