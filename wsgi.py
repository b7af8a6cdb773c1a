"""WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi …``."""
import gc

from crm import create_app

app = create_app()

# What start-up made (the app, its models and metadata, translations, forms) lives as long as
# the process: frozen, the garbage collector's full passes no longer walk it, which otherwise
# shows as the slowest requests under load.
gc.freeze()
