"""Outputs: reports as people and programs read them.

``render`` (terminal text and JSON), ``ci_formats`` (SARIF and GitHub annotations) and
``html_report`` (one self-contained page; its style sheet is ``report.css``). Renderers take
finished ``Report`` records: they never import the engine or the checks.
"""
