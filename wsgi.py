"""The WSGI entry point: ``gunicorn wsgi:app``."""

from bridgefund import create_app

app = create_app()
