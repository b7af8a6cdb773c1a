"""Working days in the Netherlands: Monday to Friday, less the national public holidays."""
from datetime import date, timedelta
from functools import cache


def easter(year: int) -> date:
    """Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = (h + l_ - 7 * m + 114) % 31 + 1
    return date(year, month, day)


@cache
def holidays(year: int) -> frozenset[date]:
    """Nieuwjaarsdag, Goede Vrijdag, Paasmaandag, Koningsdag, Bevrijdingsdag (every year, as
    most public-sector employers give it), Hemelvaartsdag, Pinkstermaandag, Kerstmis."""
    e = easter(year)
    kingsday = date(year, 4, 27)
    if kingsday.weekday() == 6:  # on a Sunday it moves to Saturday
        kingsday = date(year, 4, 26)
    return frozenset({
        date(year, 1, 1), e - timedelta(days=2), e + timedelta(days=1), kingsday,
        date(year, 5, 5), e + timedelta(days=39), e + timedelta(days=50),
        date(year, 12, 25), date(year, 12, 26)})


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start``."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day
