"""Command line: ``flask --app wsgi crm …`` to create organisations and users, and demo data.

Bad input is refused with a one-line message on stderr and exit status 1 (never a traceback).
"""
import os
import re
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from .extensions import db
from .journeys.accounts import password_problem
from .models import Organisation, OrganisationKind, Province, Role, User
from .reference import province_name

crm = AppGroup("crm", help="Volgende Deur: organisations, users and demo data.")

KINDS = [k.value for k in OrganisationKind]
ROLES = [r.value for r in Role]
MIN_PASSWORD_LENGTH = 10
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
LOGINS_FILE = "demo-logins.txt"


def _provinces(names) -> list[Province]:
    found = []
    for text in names:
        name = province_name(text)
        province = db.session.scalar(select(Province).where(Province.name == name)) if name \
            else None
        if province is None:
            raise click.ClickException(
                f"Unknown province {text!r}. Choose from: "
                + ", ".join(db.session.scalars(select(Province.name).order_by(Province.name)))
                + ".")
        if province not in found:
            found.append(province)
    return found


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


@crm.command("create-org")
@click.argument("name")
@click.option("--kind", required=True, metavar="KIND", help="One of: " + ", ".join(KINDS) + ".")
@click.option("--province", "provinces", multiple=True, metavar="PROVINCE",
              help="A province the organisation works in (repeatable), e.g. Utrecht.")
@click.option("--intake-point", is_flag=True, default=False,
              help="Make it the intake point (front door) for its provinces.")
def create_org(name, kind, provinces, intake_point):
    """Create an organisation; prints its id as the last line."""
    name = _one_line(name)
    if not name:
        raise click.ClickException("The organisation's name is empty.")
    if len(name) > 200:
        raise click.ClickException("The organisation's name is longer than 200 characters.")
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise click.ClickException(f"Unknown kind {kind!r}. Choose from: {', '.join(KINDS)}.")
    chosen = _provinces(provinces)
    if db.session.scalar(select(Organisation.id).where(
            func.lower(Organisation.name) == name.lower())) is not None:
        raise click.ClickException(f"An organisation named {name!r} already exists.")
    org = Organisation(name=name, kind=kind, provinces=chosen, intake_point=intake_point)
    db.session.add(org)
    db.session.commit()
    where = ", ".join(p.name for p in chosen) or "no province"
    point = "; intake point" if intake_point else ""
    click.echo(f"Created organisation {name!r} ({kind}; {where}{point}).")
    click.echo(org.id)


def _name_from_email(email: str) -> str:
    local = email.split("@")[0]
    words = [w for w in re.split(r"[._+-]+", local) if w]
    return " ".join(w.capitalize() for w in words) or email


@crm.command("create-user")
@click.argument("email")
@click.option("--org", "org_name", required=True, metavar="NAME",
              help="The name of the user's organisation.")
@click.option("--role", required=True, metavar="ROLE", help="One of: " + ", ".join(ROLES) + ".")
@click.option("--province", "provinces", multiple=True, metavar="PROVINCE",
              help="A province a coordinator coordinates (repeatable).")
@click.option("--password", help="At least 10 characters; generated (and shown once) if left "
                                 "out.")
@click.option("--name", help="Display name; derived from the e-mail address if left out.")
def create_user(email, org_name, role, provinces, password, name):
    """Create a user of an organisation."""
    email = email.strip().lower()
    if len(email) > 254 or not EMAIL.fullmatch(email):
        raise click.ClickException(f"{email!r} is not an e-mail address.")
    role = role.strip().lower()
    if role not in ROLES:
        raise click.ClickException(f"Unknown role {role!r}. Choose from: {', '.join(ROLES)}.")
    org = db.session.scalar(select(Organisation).where(
        func.lower(Organisation.name) == _one_line(org_name).lower()))
    if org is None:
        raise click.ClickException(f"Unknown organisation {org_name!r} (create it with "
                                   "`crm create-org` first).")
    chosen = _provinces(provinces)
    if role == Role.coordinator.value and not chosen:
        raise click.ClickException("A coordinator needs at least one --province.")
    if chosen and role != Role.coordinator.value:
        raise click.ClickException("--province is only for coordinators (--role coordinator).")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(
            f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters.")
    problem = password_problem(password) if password is not None else None
    if problem:  # control characters, too long, or on a list of leaked passwords
        raise click.ClickException(problem[0] % problem[1])
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise click.ClickException(f"A user with e-mail address {email} already exists.")
    name = _one_line(name or "") or _name_from_email(email)
    if len(name) > 200:
        raise click.ClickException("The name is longer than 200 characters.")
    generated = password is None
    if generated:
        password = secrets.token_urlsafe(15)
    user = User(email=email, name=name, organisation=org, role=role, provinces=chosen,
                password_hash=generate_password_hash(password))
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created user {email} ({role}, {org.name}).")
    if generated:
        click.echo(f"Password (shown only now): {password}")


def _logins_path() -> Path:
    return Path(current_app.instance_path) / LOGINS_FILE


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when the file existed with looser permissions
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def _table(rows: list[tuple]) -> str:
    header = ("E-mail", "Role", "Organisation", "Password")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*header), line, *(fmt.format(*r) for r in rows)]
    return "\n".join(line.rstrip() for line in lines) + "\n"


@crm.command("seed-demo")
@click.option("--if-empty", is_flag=True,
              help="Do nothing (successfully) when the database has organisations already.")
@click.option("--companies", default=400, show_default=True, type=click.IntRange(0, 100_000),
              help="How many demo companies to add.")
def seed_demo(if_empty, companies):
    """Fill an empty database with a demo network, users and companies."""
    from . import demo
    if db.session.scalar(select(func.count()).select_from(Organisation)):
        if if_empty:
            click.echo("The database has organisations already; no demo data added.")
            return
        raise click.ClickException("The database is not empty: seed-demo only fills an empty "
                                   "database (add --if-empty to skip quietly).")
    if db.session.scalar(select(func.count()).select_from(Province)) == 0:
        raise click.ClickException("No reference data: run `flask --app wsgi db upgrade` "
                                   "first.")
    try:
        logins = demo.seed(db.session, companies=companies)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        raise click.ClickException(f"Demo data could not be added: {_one_line(error)}")
    table = _table(logins)
    path = _logins_path()
    _write_private(path, "Volgende Deur demo logins (keep private)\n\n" + table)
    click.echo(f"Added {len(demo.ORGANISATIONS)} organisations, {len(logins)} users and "
               f"{demo.company_count(db.session)} companies.")
    click.echo(table, nl=False)
    click.echo(f"These logins are also in {path} (readable by you only).")


@crm.command("demo-logins")
def demo_logins():
    """Print the logins that seed-demo created."""
    path = _logins_path()
    if not path.exists():
        click.echo("No demo logins here: run `flask --app wsgi crm seed-demo` first.")
        return
    click.echo(path.read_text(encoding="utf-8"), nl=False)


def init_app(app) -> None:
    from .mail_commands import register as register_mail_commands
    register_mail_commands(crm)
    from .api.commands import register as register_api_commands
    register_api_commands(crm)
    from .imports.cli import register as register_import_commands
    register_import_commands(crm)
    from .backup import register as register_backup_commands
    register_backup_commands(crm)
    from .privacy_commands import register as register_privacy_commands
    register_privacy_commands(crm)
    from .merge_commands import register as register_merge_commands
    register_merge_commands(crm)
    app.cli.add_command(crm)
