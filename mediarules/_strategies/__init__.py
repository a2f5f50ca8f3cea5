"""The implementation behind :mod:`mediarules.strategies` (private: import from there).

Modules: ``text`` (captions and titles in each platform's unit), ``media`` (``MediaFacts``
near every image and video limit, from the ranges in ``plans``), ``posts`` (whole posts,
valid or breaking one code), ``files`` (real image and video files), and their helpers
``numbers`` (values crowding limits), ``geometry`` (sizes under several limits at once) and
``_args`` (argument checks).
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401
except ImportError as exc:  # hypothesis is an optional extra
    raise ImportError(
        "mediarules.strategies needs hypothesis: pip install 'mediarules[testing]'"
    ) from exc
