"""Fixes: pure planning (``plan``, ``planner``, ``constraints``, ``geometry``), executors that
write new files (``images``, ``video``, ``text_split``), and the public entry points in ``api``.

This package's ``__init__`` imports nothing: the checks use ``fixes.plan`` while the engine is
still loading, and ``fixes.api`` needs the engine.
"""
