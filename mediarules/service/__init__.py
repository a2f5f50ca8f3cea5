"""``mediarules serve``: the checks behind HTTP, for schedulers in any language, and a page.

Stateless: every request brings its post; files live in a private folder for the length of
their request. ``app.create_app`` builds the ASGI app, ``run.serve`` runs it on uvicorn,
``settings`` (standard library only) checks the flags and environment before either starts.
"""
