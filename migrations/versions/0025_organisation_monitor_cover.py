"""monitor: an organisation's own figures read its contacts and their companies from indexes alone

An organisation's dashboard (its own work) starts from its contacts of the period
(``ix_interventions_organisation_occurred``) and looks up each contact's company for the
figures' breakdowns. Both lookups read table rows: the contacts' company and kind, and the
companies' sector, size class, maturity and place. On PostgreSQL (where the load benchmark's
organisations' dashboards run) this migration lets both come from an index:

* ``ix_interventions_organisation_occurred`` carries ``company_id`` and ``kind_code`` as
  INCLUDE columns (no longer a heap fetch per contact);
* ``ix_pg_companies_monitor_id``: the companies by id with the attributes the monitor breaks
  its figures down by and filters on, as INCLUDE columns (an index probe per company instead of
  a probe and a table row; PostgreSQL only: SQLite's table is ordered by id already).

Measured on the monitor benchmark's database (PostgreSQL, 1,000,000 companies) for an
organisation with 21,897 contacts with 11,534 companies in 12 months: its reach statement
213–293 → 120–128 ms, its contacts per kind 64 → 47 ms. The models leave the companies index to
this migration (its name starts with ``ix_pg_``, see ``crm.database.managed_outside_models``).

Revision ID: 0025
Revises: 0024
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

COMPANY_COLUMNS = "province_id, sbi_section, size_class, digital_maturity, municipality_id, phase"


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_index('ix_interventions_organisation_occurred', table_name='interventions')
    op.create_index('ix_interventions_organisation_occurred', 'interventions',
                    ['organisation_id', 'occurred_on'], unique=False,
                    postgresql_include=['company_id', 'kind_code'])
    op.execute(f"CREATE INDEX ix_pg_companies_monitor_id ON companies (id) "
               f"INCLUDE ({COMPANY_COLUMNS})")


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("DROP INDEX IF EXISTS ix_pg_companies_monitor_id")
    op.drop_index('ix_interventions_organisation_occurred', table_name='interventions')
    op.create_index('ix_interventions_organisation_occurred', 'interventions',
                    ['organisation_id', 'occurred_on'], unique=False)
