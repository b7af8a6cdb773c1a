"""suggestions: a catalogue marker that database triggers renew on every change to offerings

The next-door suggestions keep the offerings in memory (reading and filtering 5,000 offerings
per suggestion took most of its time) and compare a token with this table's on every use. The
triggers renew the token on any insert, update, delete (and, on PostgreSQL, truncate) of
offerings and on a change of an organisation's active flag, so the copy can never be stale,
whatever makes the change. The token is random: a counter could come back to an earlier value
after a rollback.

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

_SQLITE_RENEW = ("INSERT OR REPLACE INTO catalogue_markers (name, token) "
                 "VALUES ('offerings', lower(hex(randomblob(16))))")
_SQLITE_TRIGGERS = {
    "catalogue_offerings_inserted": "AFTER INSERT ON offerings",
    "catalogue_offerings_updated": "AFTER UPDATE ON offerings",
    "catalogue_offerings_deleted": "AFTER DELETE ON offerings",
    "catalogue_organisations_updated": "AFTER UPDATE OF active ON organisations",
}


def upgrade():
    op.create_table(
        "catalogue_markers",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_catalogue_markers")),
    )
    # A first token, so the catalogue can be kept from the start.
    op.execute("INSERT INTO catalogue_markers (name, token) VALUES ('offerings', 'initial')")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION catalogue_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO catalogue_markers (name, token)
                VALUES ('offerings', md5(random()::text || clock_timestamp()::text))
                ON CONFLICT (name) DO UPDATE SET token = EXCLUDED.token;
                RETURN NULL;
            END $$""")
        op.execute("CREATE TRIGGER catalogue_offerings_changed AFTER INSERT OR UPDATE OR DELETE "
                   "OR TRUNCATE ON offerings FOR EACH STATEMENT "
                   "EXECUTE FUNCTION catalogue_changed()")
        op.execute("CREATE TRIGGER catalogue_organisations_changed AFTER UPDATE OF active "
                   "ON organisations FOR EACH STATEMENT EXECUTE FUNCTION catalogue_changed()")
    else:
        for name, when in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} BEGIN {_SQLITE_RENEW}; END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER catalogue_organisations_changed ON organisations")
        op.execute("DROP TRIGGER catalogue_offerings_changed ON offerings")
        op.execute("DROP FUNCTION catalogue_changed()")
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("catalogue_markers")
