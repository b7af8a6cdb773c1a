"""companies: cheaper to write — two unused indexes dropped, the KVK number out of the
substring-search text, one foreign key for municipality and province, checked by index

Measured with ``bench.import_companies`` on PostgreSQL (100,000 new companies): the single-column
indexes on ``sbi_section`` and ``size_class`` (created with the first tables, read by no query:
filters on sector and size are answered from the covering name-ordered indexes of migration
0019 and the monitor index of 0016) cost ~0.6 s of the write; the eight KVK digits at the end of
``search_text`` ~0.9 s of the trigram index (digit trigrams with long posting lists). KVK
numbers are found by the exact and prefix tiers of search, which read the KVK key; substring
search keeps names and trade names. Existing rows lose the trailing " <kvk>" their
``search_text`` was built with (on SQLite the FTS5 table follows through its update trigger).

PostgreSQL checks a company's municipality (its foreign key) with a query it plans like any
other; for the 342 municipalities on three pages the planner chose a sequential scan, ~10 µs
per company written (1.0 s of the 100,000-row import, and of every company saved). Kept at a
tenth of each page, the table takes ~31 pages and the check uses the primary key's index
(0.2 s); a list of all municipalities reads 31 pages instead of 3. The rewrite (CLUSTER) puts
the existing rows apart; later rows, a pg_dump restore included, follow the fill factor.

The province of a company is its municipality's. One foreign key on the pair
(municipality_id, province_id) → municipalities (id, province_id) says so, and replaces the two
single ones (one check per company written instead of two: −0.3 s per 100,000 on PostgreSQL);
a CHECK refuses a province without a municipality. Rows that disagree (none should: the code
always derived the province) get their municipality's province first. On SQLite the two tables
are rebuilt (with foreign keys off, see env.py) and the companies table's triggers re-created.

Revision ID: 0022
Revises: 0021
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

#: The rows whose search text still ends in " <kvk>" (portable SQL).
_ENDS_IN_KVK = ("kvk IS NOT NULL AND length(search_text) > length(kvk) "
                "AND substr(search_text, length(search_text) - length(kvk)) = ' ' || kvk")


#: Percentage of each page PostgreSQL fills with municipalities.
MUNICIPALITIES_FILLFACTOR = 10


_PAIR_FK = "fk_companies_municipality_id_municipalities"
_PAIR_UQ = "uq_municipalities_id_province_id"
_CHECK = op.f("ck_companies_province_follows_municipality")


def _company_triggers() -> list[str]:
    """SQLite: the companies table's triggers (a rebuilt table loses them)."""
    return op.get_bind().exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'companies'"
    ).scalars().all()


def _one_key_for_the_pair() -> None:
    province = "(SELECT m.province_id FROM municipalities m WHERE m.id = companies.municipality_id)"
    op.execute(f"UPDATE companies SET province_id = {province} WHERE municipality_id IS NOT NULL "
               f"AND (province_id IS NULL OR province_id <> {province})")
    op.execute("UPDATE companies SET province_id = NULL "
               "WHERE municipality_id IS NULL AND province_id IS NOT NULL")
    if op.get_bind().dialect.name == "postgresql":
        op.create_unique_constraint(_PAIR_UQ, "municipalities", ["id", "province_id"])
        op.drop_constraint(_PAIR_FK, "companies", type_="foreignkey")
        op.drop_constraint("fk_companies_province_id_provinces", "companies", type_="foreignkey")
        op.create_foreign_key(_PAIR_FK, "companies", "municipalities",
                              ["municipality_id", "province_id"], ["id", "province_id"])
        op.create_check_constraint(_CHECK, "companies",
                                   "municipality_id IS NOT NULL OR province_id IS NULL")
        return
    triggers = _company_triggers()
    with op.batch_alter_table("municipalities", recreate="always") as batch:
        batch.create_unique_constraint(_PAIR_UQ, ["id", "province_id"])
    with op.batch_alter_table("companies", recreate="always") as batch:
        batch.drop_constraint(_PAIR_FK, type_="foreignkey")
        batch.drop_constraint("fk_companies_province_id_provinces", type_="foreignkey")
        batch.create_foreign_key(_PAIR_FK, "municipalities",
                                 ["municipality_id", "province_id"], ["id", "province_id"])
        batch.create_check_constraint(_CHECK,
                                      "municipality_id IS NOT NULL OR province_id IS NULL")
    for sql in triggers:
        op.execute(sql)


def _two_keys() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(_CHECK, "companies", type_="check")
        op.drop_constraint(_PAIR_FK, "companies", type_="foreignkey")
        op.create_foreign_key(_PAIR_FK, "companies", "municipalities", ["municipality_id"],
                              ["id"])
        op.create_foreign_key("fk_companies_province_id_provinces", "companies", "provinces",
                              ["province_id"], ["id"])
        op.drop_constraint(_PAIR_UQ, "municipalities", type_="unique")
        return
    triggers = _company_triggers()
    with op.batch_alter_table("companies", recreate="always") as batch:
        batch.drop_constraint(_CHECK, type_="check")
        batch.drop_constraint(_PAIR_FK, type_="foreignkey")
        batch.create_foreign_key(_PAIR_FK, "municipalities", ["municipality_id"], ["id"])
        batch.create_foreign_key("fk_companies_province_id_provinces", "provinces",
                                 ["province_id"], ["id"])
    with op.batch_alter_table("municipalities", recreate="always") as batch:
        batch.drop_constraint(_PAIR_UQ, type_="unique")
    for sql in triggers:
        op.execute(sql)


def upgrade():
    _one_key_for_the_pair()
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE municipalities SET (fillfactor = {MUNICIPALITIES_FILLFACTOR})")
        op.execute("CLUSTER municipalities USING pk_municipalities")
        op.execute("ANALYZE municipalities")
    op.drop_index("ix_companies_sbi_section", table_name="companies")
    op.drop_index("ix_companies_size_class", table_name="companies")
    op.execute("UPDATE companies SET search_text = "
               f"substr(search_text, 1, length(search_text) - length(kvk) - 1) WHERE {_ENDS_IN_KVK}")


def downgrade():
    op.execute("UPDATE companies SET search_text = search_text || ' ' || kvk "
               "WHERE kvk IS NOT NULL")
    op.create_index("ix_companies_size_class", "companies", ["size_class"], unique=False)
    op.create_index("ix_companies_sbi_section", "companies", ["sbi_section"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE municipalities RESET (fillfactor)")
    _two_keys()
