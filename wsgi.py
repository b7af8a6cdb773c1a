"""WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi …``."""
import gc

from crm import create_app

app = create_app()

# What start-up made (the app, its models and metadata, translations, forms: ~150,000 objects)
# lives as long as the process: frozen, the garbage collector's full passes no longer walk it
# (about 50 ms each, paid by whichever request sets one off).
gc.freeze()
