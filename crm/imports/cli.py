"""``flask --app wsgi crm import companies|contacts|interventions FILE``."""
import click
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from ..extensions import db
from ..journeys.errors import DomainError
from ..models import Organisation, User
from .columns import KINDS
from .operation import MODES, MappingProblem, import_file
from .report import error_lines, summary_line


def _organisation(name: str | None) -> Organisation | None:
    if not name:
        return None
    org = db.session.scalar(select(Organisation).where(
        func.lower(Organisation.name) == " ".join(name.split()).lower()))
    if org is None:
        raise click.ClickException(f"Unknown organisation {name!r}.")
    return org


def _user(email: str | None) -> User | None:
    if not email:
        return None
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        raise click.ClickException(f"No active user with e-mail address {email}.")
    return user


@click.command("import")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--mode", type=click.Choice(MODES), default="all-or-nothing", show_default=True,
              help="all-or-nothing: write nothing when any row is invalid; valid-rows: write "
                   "the valid rows and report the others.")
@click.option("--org", "org_name", metavar="NAME",
              help="The organisation contact persons, interventions or DMA results belong to "
                   "(default: the --user's organisation).")
@click.option("--user", "email", metavar="EMAIL",
              help="The user the import is done as (recorded in the audit trail; their "
                   "permissions and language apply).")
def import_command(kind, file, mode, org_name, email):
    """Import companies, contact persons, interventions or DMA results from a CSV or .xlsx
    FILE.

    Dutch and English column headers are recognised. Prints one line per invalid row and
    exits with status 1 when any row is invalid (in valid-rows mode the valid rows are
    imported all the same); status 0 when every row is valid.
    """
    user = _user(email)
    organisation = _organisation(org_name) or (user.organisation if user else None)
    if kind != "companies" and organisation is None:
        raise click.ClickException(f"Importing {kind} needs --org NAME or --user EMAIL.")
    with force_locale(user.locale if user else "en"):
        try:
            result = import_file(kind, file, by=user, organisation=organisation, mode=mode,
                                 filename=click.format_filename(file), session=db.session)
        except MappingProblem as problem:
            db.session.rollback()
            raise click.ClickException(" ".join(
                gettext(message, **{k: gettext(v) if k == "field" else v
                                    for k, v in params.items()})
                for message, params in problem.problems))
        except DomainError as problem:
            db.session.rollback()
            raise click.ClickException(gettext(problem.message, **problem.params))
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        for line in error_lines(result.errors):
            click.echo(line, err=True)
        click.echo(summary_line(result))
    if result.errors:
        raise SystemExit(1)


def register(group) -> None:
    group.add_command(import_command)
