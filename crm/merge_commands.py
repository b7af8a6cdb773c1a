"""``flask --app wsgi crm duplicates``: look for duplicate companies (for cron)."""
import time

import click

from .extensions import db


def register(group) -> None:
    @group.command("duplicates")
    @click.option("--province", "provinces", multiple=True, metavar="PROVINCE",
                  help="Only companies in this province (repeatable); all when left out.")
    def duplicates(provinces):
        """Look up every company's possible duplicates and store the pairs for the list page
        (pairs marked "not a duplicate" stay dismissed)."""
        from .cli import _provinces
        from .journeys.duplicates import scan
        province_ids = [p.id for p in _provinces(provinces)] if provinces else None
        started = time.perf_counter()
        found = scan(db.session, province_ids=province_ids)
        db.session.commit()
        click.echo(f"{found} possible duplicate pairs ({time.perf_counter() - started:.1f} s).")
