"""URLs, mentions and hashtags as twitter-text finds them (X; Mastodon runs the same URL code).

A port of twitter-text 3's extractor (``extractUrlsWithIndices``,
``extractMentionsOrListsWithIndices``, ``extractHashtagsWithIndices``), checked against its
conformance suite (``extract.yml``, ``tlds.yml``, ``validate.yml``). Spans are ``(start,
end)`` offsets into the Python string (code points).

How it finds a URL, as twitter-text does: at a start that follows an allowed character, an
optional ``http(s)://``, then dot-separated labels whose last one starts with a top-level
domain from ``mediarules/text/data/tlds.txt`` (the TLD may be followed by a non-ASCII letter:
``example.comだよね`` holds ``example.com``). Without a protocol only the ASCII domains inside
that host count (``twitter.jp日本語it.so`` holds two). Then a port, a path and a query, with
trailing punctuation and unbalanced parentheses left out.

Only space-free runs that hold a dot are scanned: no URL contains a space or lacks a dot.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence
from importlib import resources
from typing import Final, NamedTuple

import regex

from mediarules.text import INVALID_CHARACTERS

__all__ = [
    "COUNTRY_TLDS",
    "GENERIC_TLDS",
    "INVALID_CHARACTERS",
    "counted_url_spans",
    "hashtag_spans",
    "mention_spans",
    "overlaps_any",
    "url_spans",
]

# --------------------------------------------------------------------------------------------
# Character classes (twitter-text's), spelled with escapes so no look-alike hides in the source.

LATIN_ACCENTS: Final = (
    r"\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259"
    r"\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = r"\u0400-\u04ff"
SPACES: Final = r"\t-\r \u0085\u00a0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_INVALID = r"\ufffe\ufeff\uffff"
_DIRECTIONAL = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# twitter-text's punctuation set, plus '"' and '`', which it forgets (so a quoted URL ends at
# the quote).
_PUNCT = r"!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~"
AT_SIGNS: Final = r"@\uff20"
_HASH_SIGNS = r"#\uff03"

# --------------------------------------------------------------------------------------------
# Top-level domains: data, with its source and date in the file's header.


def _load_tlds() -> tuple[frozenset[str], frozenset[str]]:
    text = resources.files("mediarules.text").joinpath("data", "tlds.txt").read_text("utf-8")
    kinds: dict[str, set[str]] = {"country": set(), "generic": set()}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            kind, _, tld = line.partition(" ")
            kinds[kind].add(tld)
    return frozenset(kinds["country"]), frozenset(kinds["generic"])


COUNTRY_TLDS, GENERIC_TLDS = _load_tlds()

# --------------------------------------------------------------------------------------------
# URLs

# DNS allows 127 labels; bounding the repetition keeps each attempt's cost bounded.
_MAX_LABELS = 127
_MAX_URL_LENGTH: Final = 4096
_MAX_TCO_SLUG_LENGTH: Final = 40
_MAX_LABEL_LENGTH: Final = 63
_DEFAULT_PROTOCOL: Final = "https://"

_DOMAIN_CHAR = f"[^{_PUNCT}{SPACES}{_INVALID}{_DIRECTIONAL}]"
_SUBDOMAIN_LABEL = rf"(?>{_DOMAIN_CHAR}(?:[_-]*+{_DOMAIN_CHAR})*+)"
_TLD_NAMES: Final = COUNTRY_TLDS | GENERIC_TLDS
_LONGEST_TLD: Final = max(map(len, _TLD_NAMES))
_NOT_AFTER_TLD: Final = frozenset(
    "0123456789@+-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
_TLD_LETTERS: Final = regex.compile(rf"[\p{{L}}\p{{M}}]{{1,{_LONGEST_TLD}}}")
_PUNYCODE_TLD: Final = regex.compile(r"xn--[\-0-9a-z]+", regex.IGNORECASE)

# An optional protocol and the labels after it, each with its dot (at most DNS's 127); the
# domain is the longest run of them whose last label has no underscore and whose dot a TLD
# follows (``_domain_end``: a set lookup per dot, where a regex alternation of 1,574 TLDs costs
# hundreds of microseconds).
_LABEL_CHAIN: Final = regex.compile(
    rf"(?P<protocol>https?://)?(?:{_SUBDOMAIN_LABEL}\.){{0,{_MAX_LABELS - 1}}}+",
    regex.IGNORECASE,
)
_LABEL: Final = regex.compile(_SUBDOMAIN_LABEL, regex.IGNORECASE)
_ASCII_LABEL_CHAIN: Final = regex.compile(rf"(?:[\-a-z0-9{LATIN_ACCENTS}]++\.)++", regex.IGNORECASE)
_URL_PRECEDING_BAD = f"0-9A-Za-z{AT_SIGNS}${_HASH_SIGNS}{_INVALID}"
_URL_START: Final = regex.compile(rf"(?<![{_URL_PRECEDING_BAD}]){_DOMAIN_CHAR}")
_NO_PROTOCOL_PRECEDING_BAD: Final = frozenset("-_./")
_URL_PRECEDING_CHARS_BAD: Final = frozenset(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz@\uff20$#\uff03"
    + INVALID_CHARACTERS
)

# After the host: port, path and query, as twitter-text's JavaScript and Java patterns are
# written (X). Their path-ending class is spliced into the path pattern without a group, so the
# balanced-parenthesis alternative of the ending stands as a path unit on its own: after
# ``/ok!`` a ``(3.14)`` is not taken (the path is ``/ok``), while ``/ok(3.14)`` is.
_PATH_CHARS = rf"a-zA-Z{_CYRILLIC}0-9!*';:=+,.$/%#\[\]\-\u2013_~@|&{LATIN_ACCENTS}"
_PATH_CHAR = f"[{_PATH_CHARS}]"
_BALANCED_PARENS = rf"\((?:{_PATH_CHAR}+|{_PATH_CHAR}*\({_PATH_CHAR}+\){_PATH_CHAR}*)\)"
_PATH_ENDING = rf"[+\-a-zA-Z{_CYRILLIC}0-9=_#/{LATIN_ACCENTS}]"
_PATH_UNIT = (
    rf"(?:{_PATH_CHAR}*(?:{_BALANCED_PARENS}{_PATH_CHAR}*)*{_PATH_ENDING}"
    rf"|{_BALANCED_PARENS}|@{_PATH_CHAR}+/)"
)
_QUERY_CHARS = r"a-zA-Z0-9!?*'@();:&=+$/%#\[\]\-_.,~|"
_QUERY = rf"\?[{_QUERY_CHARS}]*[a-zA-Z0-9\-_&=#/]"
_PORT: Final = regex.compile(r"(?::[0-9]+)?")
_TAIL: Final = regex.compile(rf"(?::[0-9]+)?(?P<path>/{_PATH_UNIT}*)?(?:{_QUERY})?")
_TCO_URL: Final = regex.compile(
    rf"https?://t\.co/(?P<slug>[a-z0-9]+)(?:{_QUERY})?",
    regex.IGNORECASE,
)
# The Ruby gem's (Mastodon, which only takes URLs with a protocol): its interpolated patterns
# are groups, so a path unit ends in an ending character or a parenthesis group alike; its
# path characters take every dash (\p{Pd}) and the Cyrillic script; its last path unit is any
# path characters and a slash; and a t.co URL loses its query.
_RUBY_PATH_CHAR = rf"[a-z\p{{Cyrillic}}0-9!*';:=+,.$/%#\[\]\p{{Pd}}_~&|@{LATIN_ACCENTS}]"
_RUBY_PARENS = (
    rf"\((?:{_RUBY_PATH_CHAR}+|{_RUBY_PATH_CHAR}*\({_RUBY_PATH_CHAR}+\){_RUBY_PATH_CHAR}*)\)"
)
_RUBY_PATH_ENDING = rf"(?:[a-z\p{{Cyrillic}}0-9=_#/+\-{LATIN_ACCENTS}]|{_RUBY_PARENS})"
_RUBY_PATH_UNIT = (
    rf"(?:{_RUBY_PATH_CHAR}*(?:{_RUBY_PARENS}{_RUBY_PATH_CHAR}*)*{_RUBY_PATH_ENDING}"
    rf"|{_RUBY_PATH_CHAR}+/)"
)
_RUBY_TAIL: Final = regex.compile(
    rf"(?::[0-9]+)?(?P<path>/{_RUBY_PATH_UNIT}*)?(?:{_QUERY})?", regex.IGNORECASE
)
_RUBY_TCO_URL: Final = regex.compile(r"https?://t\.co/(?P<slug>[a-z0-9]+)", regex.IGNORECASE)
# A run of non-space characters with a dot in it, matched from its first character only (the
# lookbehind), so a long run without a dot is scanned once. The standard ``re`` module runs
# this simple pattern ~6x faster than ``regex``.
_DOTTED_RUN: Final = re.compile(rf"(?<![^{SPACES}])[^{SPACES}.]*+\.[^{SPACES}]*+")

Span = tuple[int, int]
_Found = tuple[int, int, int]  # start, end, and where X's counter resumes (see ``_kept_spans``)


class _Scan(NamedTuple):
    spans: tuple[Span, ...]
    counted: tuple[Span, ...]  # the same object as ``spans`` when no URL differs


def url_spans(text: str, *, without_protocol: bool = True) -> tuple[Span, ...]:
    """Spans of the URLs twitter-text finds, cached: one check counts and searches the same
    caption several times per platform. The caches hold at most ~64 short texts and the last
    2 long ones, so a stream of huge captions cannot pin memory.

    ``without_protocol=False`` finds URLs as Mastodon does: twitter-text's Ruby gem with
    ``extract_url_without_protocol: false``, and so the gem's own path and t.co patterns."""
    return _scan(text, without_protocol).spans


def counted_url_spans(text: str, *, without_protocol: bool = True) -> tuple[Span, ...]:
    """The stretches X's counter (``parseTweet``) counts as one URL each: the URL spans,
    except that a protocol-less URL whose host goes on past its ASCII domain and that has a
    path (``readme.md.☃.co/a``, the URL ``readme.md/a``) covers only as many characters as
    the URL ``twitter-text`` reports has (11 here), and the rest of its span is counted as
    text."""
    return _scan(text, without_protocol).counted


def _scan(text: str, without_protocol: bool) -> _Scan:
    if len(text) <= _SHORT_TEXT:
        return _short_text_url_spans(text, without_protocol=without_protocol)
    return _long_text_url_spans(text, without_protocol=without_protocol)


_SHORT_TEXT: Final = 65_536
_SHORT_RUN: Final = 512


def _scan_url_spans(text: str, *, without_protocol: bool) -> _Scan:
    """What ``_run_url_spans`` finds in a run depends only on the run and on whether it opens
    the text (a space before it is an allowed character before a URL; at the very start,
    twitter-text first takes the first character as that one), so a short run's answer is
    cached by its content: long captions repeat their links, and X's NFC copy of a caption
    has the same runs."""
    if "." not in text:
        return _Scan((), ())
    spans: list[Span] = []
    counted: list[Span] | None = None
    for run in _DOTTED_RUN.finditer(text):
        offset, found = run.start(), run.group()
        scan = _short_run_url_spans if len(found) <= _SHORT_RUN else _run_url_spans
        for start, end, counted_end in scan(
            found, without_protocol=without_protocol, opens_text=offset == 0
        ):
            if counted_end != end and counted is None:
                counted = spans.copy()
            spans.append((offset + start, offset + end))
            if counted is not None:
                counted.append((offset + start, offset + counted_end))
    found_spans = tuple(spans)
    return _Scan(found_spans, found_spans if counted is None else tuple(counted))


_short_text_url_spans = functools.lru_cache(maxsize=64)(_scan_url_spans)
_long_text_url_spans = functools.lru_cache(maxsize=2)(_scan_url_spans)


def _run_url_spans(
    run: str, *, without_protocol: bool, opens_text: bool = True
) -> tuple[_Found, ...]:
    """twitter-text's scan of one space-free run (``opens_text``: at the start of the text,
    else after a space): each start is tried in turn; a start whose host has no top-level
    domain fails and the next is tried; a match, kept or dropped by the checks after it,
    moves the scan past its end."""
    spans: list[_Found] = []
    lowest = 0  # the first start the next attempt may use (JavaScript's lastIndex, plus one)
    while (start := _next_start(run, lowest, opens_text)) is not None:
        found = _domain_at(run, start)
        if found is None and opens_text and lowest == 0 and start == 1 and _URL_START.match(run, 0):
            start, found = 0, _domain_at(run, 0)  # "^" is tried after the first character
            if found is None:
                start = 1
        if found is None:
            lowest = _after_failed_start(run, start)
            continue
        host_start, host_end = found
        end = _url_end(run, host_end, ruby=not without_protocol)
        lowest = end + 1
        spans += _kept_spans(run, start, host_start, host_end, end, without_protocol)
    return tuple(spans)


def _domain_at(run: str, start: int) -> tuple[int, int] | None:
    """(start, end) of the host of a URL starting at ``start``, or None."""
    chain = _LABEL_CHAIN.match(run, start)
    if chain is None:
        return None
    host_start = chain.end("protocol") if chain.group("protocol") else start
    dots = [index for index in range(host_start, chain.end()) if run[index] == "."]
    for number in range(len(dots) - 1, -1, -1):
        label_start = dots[number - 1] + 1 if number else host_start
        if "_" in run[label_start : dots[number]]:
            continue
        end = _domain_end(run, dots[number] + 1)
        if end is not None:
            return host_start, end
    return None


def _domain_end(text: str, position: int) -> int | None:
    """Where a top-level domain starting at ``position`` ends: one on the list, not followed
    by an ASCII letter or digit or ``@+-``; or a punycode one (``xn--...``)."""
    letters = _TLD_LETTERS.match(text, position)
    if letters is not None:
        candidate = letters.group()
        for length in range(len(candidate), 0, -1):
            end = position + length
            if end < len(text) and text[end] in _NOT_AFTER_TLD:
                continue
            if candidate[:length].lower() in _TLD_NAMES:
                return end
    punycode = _PUNYCODE_TLD.match(text, position)
    return punycode.end() if punycode is not None else None


def _ascii_domain_spans(domain: str) -> list[Span]:
    """The ASCII (and Latin-accented) domains inside a host, as twitter-text takes them from
    a protocol-less one."""
    spans: list[Span] = []
    for chain in _ASCII_LABEL_CHAIN.finditer(domain):
        dots = [index for index in range(chain.start(), chain.end()) if domain[index] == "."]
        for dot in reversed(dots):
            end = _domain_end(domain, dot + 1)
            if end is not None:
                spans.append((chain.start(), end))
                break
    return spans


_short_run_url_spans = functools.lru_cache(maxsize=4096)(_run_url_spans)


def _next_start(run: str, lowest: int, opens_text: bool) -> int | None:
    """The first start at or after ``lowest``. At the text's beginning twitter-text first
    takes the first character as the one before a URL (so the URL starts at 1), then tries
    a URL at 0; after a space, the space is that character and a URL at 0 comes first."""
    if lowest == 0 and not opens_text:
        if _URL_START.match(run, 0):
            return 0
        lowest = 1
    if lowest == 0:
        if run[:1] not in _URL_PRECEDING_CHARS_BAD and _URL_START.match(run, 1):
            return 1
        if _URL_START.match(run, 0):
            return 0
        lowest = 1
    found = _URL_START.search(run, lowest)
    return found.start() if found is not None else None


def _after_failed_start(run: str, start: int) -> int:
    """Where to look next after a start found no domain. A later start inside the labels it
    walked over sees the same labels and domains, so it fails too, unless it falls after an
    underscore (allowed in subdomains, not in the last label) in a label a TLD follows."""
    chain = _LABEL_CHAIN.match(run, start)
    end = chain.end() if chain is not None else start
    if end <= start + 1:
        return _past_label(run, start)
    label_start = start
    while (dot := run.find(".", label_start, end)) >= 0:
        underscore = run.rfind("_", label_start, dot)
        if underscore >= 0 and _domain_end(run, dot + 1) is not None:
            return underscore + 1
        label_start = dot + 1
    return end


def _past_label(run: str, start: int) -> int:
    """Where to look next after a start that walked over no label: no dot follows its label.
    Every later start inside that label sees the same label (the rest of it) with no dot after
    it, so it fails too, unless a protocol starts there (``…https://``: the label ends at the
    colon). Trying them one by one took time quadratic in the label's length (a caption of
    emoji after a link: seconds)."""
    label = _LABEL.match(run, start)
    end = label.end() if label is not None else start
    if run.startswith(":", end):
        end -= len("https")  # a protocol may start at one of the last five characters
    return max(end, start + 1)


def _url_end(run: str, host_end: int, *, ruby: bool) -> int:
    tail = (_RUBY_TAIL if ruby else _TAIL).match(run, host_end)
    assert tail is not None  # every part of the pattern is optional
    return tail.end()


def _kept_spans(
    run: str, start: int, host_start: int, host_end: int, end: int, without_protocol: bool
) -> list[_Found]:
    """The spans twitter-text keeps from one match (none, one, or the ASCII domains inside a
    protocol-less host), each with where X's counter resumes after it.

    A protocol-less host's last ASCII domain takes the path (``readme.md.☃.co/a`` gives the
    span ``readme.md.☃.co/a`` and the URL ``readme.md/a``); ``parseTweet`` skips as many
    UTF-16 units as the URL has, so the rest of the span counts as text."""
    has_protocol = host_start > start
    domain = run[host_start:host_end]
    url = run[start:end]
    if not _is_valid_url(url, run[start:host_start] or _DEFAULT_PROTOCOL, domain):
        return []
    if has_protocol:
        tco = (_TCO_URL if without_protocol else _RUBY_TCO_URL).match(url)
        if tco is None:
            return [(start, end, end)]
        if len(tco.group("slug")) > _MAX_TCO_SLUG_LENGTH:
            return []
        return [(start, start + tco.end(), start + tco.end())]
    if not without_protocol or (start and run[start - 1] in _NO_PROTOCOL_PRECEDING_BAD):
        return []
    spans = [(start + first, start + last) for first, last in _ascii_domain_spans(domain)]
    found = [(first, last, last) for first, last in spans]
    port = _PORT.match(run, host_end)
    if spans and port and run.startswith("/", port.end(), end):  # the path goes with the last one
        first, last = spans[-1]
        found[-1] = (first, end, _advance_utf16(run, first, (last - first) + (end - host_end)))
    return found


def _advance_utf16(text: str, start: int, units: int) -> int:
    """Where ``units`` UTF-16 units from ``start`` end, not inside a character: a character
    cut in half counts as text, and so does the lone surrogate JavaScript sees there (both
    weigh 2)."""
    position = start
    while units > 0 and position < len(text):
        units -= 2 if ord(text[position]) > 0xFFFF else 1
        if units < 0:
            break
        position += 1
    return position


def _is_valid_url(url: str, protocol: str, domain: str) -> bool:
    """twitter-text's ``isValidUrl``: every label fits DNS's 63 characters once
    punycode-encoded, and the URL with its protocol fits 4,096."""
    if domain.startswith("xn--") and not _ascii_domain_spans(domain):
        return False
    growth = 0
    for label in domain.split("."):
        length = _ascii_length(label)
        if not 1 <= length <= _MAX_LABEL_LENGTH:
            return False
        growth += length - len(label)
    return len(protocol) + len(url) + growth <= _MAX_URL_LENGTH


def _ascii_length(label: str) -> int:
    if label.isascii():
        return len(label)
    try:
        return len("xn--") + len(label.encode("punycode"))
    except UnicodeError:
        return _MAX_LABEL_LENGTH + 1


# --------------------------------------------------------------------------------------------
# Mentions: ``@name`` (1-20 of [A-Za-z0-9_]) or ``@name/list``; after "RT" or "RT:" too; not
# after a letter, digit or one of ``_!#$%&*@``; dropped when ``@``, a Latin accent or ``://``
# follows.

_MENTION: Final = regex.compile(
    r"(?:(?<![a-zA-Z0-9_!#$%&*@\uff20])|(?<=(?:^|[^a-zA-Z0-9_+~.\-])[rR][tT]:?))"
    rf"[{AT_SIGNS}][a-zA-Z0-9_]{{1,20}}(?P<list>/[a-zA-Z][a-zA-Z0-9_\-]{{0,24}})?"
)
_END_MENTION: Final = regex.compile(rf"[{AT_SIGNS}{LATIN_ACCENTS}]|://")


def mention_spans(text: str, *, lists: bool = True) -> list[Span]:
    """Spans of ``@name`` (and, unless ``lists`` is false, ``@name/list``) mentions."""
    if "@" not in text and "\uff20" not in text:
        return []
    spans = []
    for match in _MENTION.finditer(text):
        if _END_MENTION.match(text, match.end()):
            continue
        if match.group("list") and not lists:
            continue
        spans.append((match.start(), match.end()))
    return spans


# --------------------------------------------------------------------------------------------
# Hashtags (a letter somewhere, a few joiners, not after a letter or '&', not in a URL).

_HASHTAG_CHARS = (
    r"\p{L}\p{M}\p{Nd}_\u200c\u200d\ua67e\u05be\u05f3\u05f4\uff5e\u301c\u309b\u309c\u30a0"
    r"\u30fb\u3003\u0f0b\u0f0c\u00b7"
)
_HASHTAG: Final = regex.compile(
    rf"(?:(?<=[\ufe0e\ufe0f])|(?<![{_HASHTAG_CHARS}&]))"
    rf"[{_HASH_SIGNS}](?![\ufe0f\u20e3])[{_HASHTAG_CHARS}]++"
    rf"(?![{_HASH_SIGNS}]|://)"
)
_HASHTAG_LETTER: Final = regex.compile(r"[\p{L}\p{M}]")


def hashtag_spans(text: str) -> list[Span]:
    """Spans of hashtags with their ``#``: at least one letter, not starting inside a URL."""
    if "#" not in text and "\uff03" not in text:
        return []
    urls = url_spans(text)
    spans = []
    for match in _HASHTAG.finditer(text):
        if not _HASHTAG_LETTER.search(match.group()):
            continue
        if overlaps_any(match.start(), match.start() + 1, urls):
            continue
        spans.append((match.start(), match.end()))
    return spans


def overlaps_any(start: int, end: int, spans: Sequence[Span]) -> bool:
    """Whether [start, end) meets one of ``spans`` (sorted, not overlapping each other)."""
    index = bisect.bisect_left(spans, (end,))
    return index > 0 and spans[index - 1][1] > start
