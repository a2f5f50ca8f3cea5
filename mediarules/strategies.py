"""Hypothesis strategies for testing code that builds or checks social-media posts.

Install the optional extra: ``pip install 'mediarules[testing]'`` (``video_files`` also needs
``'mediarules[video]'``). Every strategy derives its values from the rules table (the shipped
one, or ``rules=``), so a limit added to the table is exercised at once:

- ``captions(platform, ...)``: text measured in the platform's own unit, near its limit.
- ``media_facts(platform, ...)``: image and video metadata on and just past every limit.
- ``posts(platform, valid=..., violating=...)``: whole posts (``Post``), valid or breaking
  one chosen code; ``st.from_type(Post)`` draws posts for any platform.
- ``image_files(directory, ...)`` / ``video_files(directory, ...)``: real files, written into
  a directory you give (``tmp_path_factory.mktemp(...)``): hypothesis cannot use the
  function-scoped ``tmp_path`` fixture.
- ``supported_codes(platform)``: the codes ``violating=`` accepts there.

Options are keyword-only and named ``min_*`` / ``max_*``; impossible arguments raise
``hypothesis.errors.InvalidArgument`` when the strategy is built.
"""

from mediarules._strategies.files import image_files, video_files
from mediarules._strategies.media import media_facts
from mediarules._strategies.posts import Post, posts, supported_codes
from mediarules._strategies.text import captions

__all__ = [
    "Post",
    "captions",
    "image_files",
    "media_facts",
    "posts",
    "supported_codes",
    "video_files",
]
