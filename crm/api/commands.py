"""``flask --app wsgi crm create-token EMAIL``: issue a personal API token (shown once)."""
import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..extensions import db
from ..models import User
from .tokens import create_token


@click.command("create-token")
@click.argument("email")
@with_appcontext
def create_token_command(email):
    """Create an API token acting as the user with EMAIL; prints it as the last line."""
    address = email.strip().lower()
    user = db.session.scalar(select(User).where(User.email == address))
    if user is None:
        raise click.ClickException(f"No user with e-mail address {address!r} (create one with "
                                   "`crm create-user` first).")
    if not user.is_active:
        raise click.ClickException(f"The account {address} or its organisation is inactive; "
                                   "its tokens would not work.")
    token = create_token(user)
    db.session.commit()
    click.echo(f"Created an API token for {user.email} ({user.organisation.name}). "
               "It is shown only now; keep it secret:")
    click.echo(token)


def register(group) -> None:
    group.add_command(create_token_command)
