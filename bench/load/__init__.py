"""Load benchmark: the national-network dataset on PostgreSQL, gunicorn on 127.0.0.1, and a
load generator replaying a realistic mix of signed-in users for a bounded time.

    python -m bench.load --database-url postgresql+psycopg://postgres@127.0.0.1/crm_load \
        [--companies 2000000 --events 20000000] [--duration 60] [--workers 4]

See ``bench/load/__main__.py`` for the options and the README (*Load benchmark*) for what it
prints and the targets.
"""
