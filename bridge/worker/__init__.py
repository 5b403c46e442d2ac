"""Celery infrastructure: the app and its schedule (`app`), jobs sent after commit (`jobs`).

It imports no domain at import time: each domain owns its `tasks.py`, and `app` lists them.
"""
