"""Today's date where the users are (Europe/Amsterdam), for due dates and overdue flags."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from ..models import utcnow

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def local(moment: datetime) -> datetime:
    return moment.astimezone(AMSTERDAM)


def today() -> date:
    return local(utcnow()).date()
