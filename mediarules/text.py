"""Counting engines: how each platform measures a caption, and what it finds in one.

Pure functions over ``str``; they import only the standard library and ``regex`` (extended
grapheme clusters and Unicode emoji properties), plus the ``Counting`` literal.

The units (``Counting``):

- ``code_points``: Python's ``len``.
- ``graphemes``: extended grapheme clusters, what a reader sees as one character (Bluesky,
  Mastodon). A flag, a ZWJ family, a skin-toned emoji or a letter with its accents is 1.
- ``utf16``: UTF-16 code units, JavaScript's ``length`` (Telegram, TikTok, Instagram). An
  emoji outside the Basic Multilingual Plane is 2.
- ``utf8_bytes``: bytes on the wire (YouTube description, Bluesky's ``maxLength``).
- ``weighted``: X's twitter-text v3. The text is NFC-normalised; code points in 0-4351,
  8192-8205, 8208-8223 and 8242-8247 weigh 1, all others 2; an emoji sequence (ZWJ family,
  skin tone, flag, keycap, tag flag) weighs 2 as a whole.

``url_length`` and ``mention_domains_free`` rewrite the text the way the platform does before
it measures (``countable_text``): every URL becomes ``url_length`` placeholder characters and
``@user@domain`` becomes ``@user``. So a URL counts ``url_length`` in any unit.

URL detection follows twitter-text's extractor (which Mastodon also uses): ``http(s)://`` links
with any domain, and bare domains (``example.com/path``) whose top-level domain is on a list
of common ones.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Final, get_args

import regex

from mediarules.ruleset import Counting

__all__ = [
    "COUNTINGS",
    "ELLIPSIS",
    "count",
    "countable_text",
    "entity_interiors",
    "find_emoji",
    "find_hashtags",
    "find_mentions",
    "find_urls",
    "forbidden_found",
    "grapheme_count",
    "graphemes",
    "truncate",
    "utf8_length",
    "utf16_length",
    "weighted_length",
]

COUNTINGS: Final[tuple[Counting, ...]] = get_args(Counting)
"""Every counting unit, in the order the ``Counting`` literal lists them."""

ELLIPSIS: Final = "\u2026"
"""What ``truncate`` appends by default: one character, weighing 2 on X."""

# --------------------------------------------------------------------------------------------
# Character classes, spelled with escapes so no look-alike character hides in the source.

_LATIN_ACCENTS = (
    r"\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259"
    r"\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = r"\u0400-\u04ff"
_SPACES = r"\t-\r \u0085\u00a0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_INVALID = r"\ufffe\ufeff\uffff"
_DIRECTIONAL = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# twitter-text's punctuation set, plus '"' and '`', which it forgets.
_PUNCT = r"!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~"
_AT_SIGNS = r"@\uff20"
_HASH_SIGNS = r"#\uff03"

# --------------------------------------------------------------------------------------------
# Top-level domains for bare domains (``example.com`` without ``https://``). twitter-text keeps
# all of IANA's list; this is the common part of it. ``zip`` and ``mov`` are left out on
# purpose: they are file names far more often than links.

_GENERIC_TLD_NAMES = """
    academy agency app art asia bar beer bid bike bio biz blog blue boo book build business
    buzz cafe camera cam capital care careers cash casa cat center chat cheap church city click
    clinic cloud club coach codes coffee college com community company computer consulting
    cool coop credit dad dating day deals delivery design dev diet digital direct directory
    domains earth eco edu education email energy engineering esq estate events exchange expert
    express family fans farm fashion film finance fit fitness food football forum
    foundation free fun fund furniture gallery game games garden gay gift gifts global gmbh
    gold golf google gov graphics green group guide guru hair health help hiphop holdings
    holiday homes horse hospital host hosting house how icu inc info ink institute insure int
    international jobs kids kitchen land law lawyer legal life lighting limited link live
    llc loan loans lol london love ltd luxury management market marketing mba media meme
    menu miami mil mobi moe mom money movie museum music name navy net network new news
    ngo ninja nyc one online ooo org organic page paris partners party pet photo photography
    photos pics pink pizza place plus porn post press pro productions promo properties pub
    quest radio realestate realty recipes red rent repair report rest review reviews rich
    rocks run sale salon save school science sex shoes shop shopping show site ski skin soccer
    social software solar solutions space sport store stream studio study style support surf
    systems tattoo tax taxi team tech technology tel tennis theater tickets tips today tokyo
    tools top tours town toys trade training travel tube university vacations vegas ventures
    vet video vin vip vision vote voyage wang watch webcam website wedding wiki win wine work
    works world wtf xxx xyz yoga youtube zone
"""

_COUNTRY_TLD_NAMES = """
    ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br
    bs bt bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz
    ec ee eg er es et eu fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu
    gw gy hk hm hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr
    kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg mh mk ml mm mn mo mp mq mr ms mt
    mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps
    pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sk sl sm sn so sr ss st su sv sx sy sz
    tc td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf
    ws ye yt za zm zw
"""
_GENERIC_TLDS: Final = frozenset(_GENERIC_TLD_NAMES.split())
_COUNTRY_TLDS: Final = frozenset(_COUNTRY_TLD_NAMES.split())

# A bare ``name.cctld`` with no path is not a link (``readme.md``, ``fig.in``), except these.
_SHORT_DOMAIN_COUNTRY_TLDS: Final = frozenset({"co", "tv"})

_KNOWN_TLDS = "|".join(sorted(_GENERIC_TLDS | _COUNTRY_TLDS, key=lambda tld: (-len(tld), tld)))

# --------------------------------------------------------------------------------------------
# URLs: one pattern with a scheme branch (any domain, Unicode allowed) and a bare branch (ASCII
# and Latin letters, a known TLD). What follows the host is taken greedily here and trimmed in
# Python (``_trim_tail``), which keeps the pattern free of nested backtracking.

# DNS allows 127 labels; bounding the repetition keeps a run like "a.a.a.a..." linear.
_MAX_LABELS = 127
_DOMAIN_CHAR = f"[^{_PUNCT}{_SPACES}{_INVALID}{_DIRECTIONAL}]"
_SUBDOMAIN_LABEL = f"{_DOMAIN_CHAR}(?:(?:{_DOMAIN_CHAR}|[_-])*{_DOMAIN_CHAR})?"
_DOMAIN_LABEL = f"{_DOMAIN_CHAR}(?:(?:{_DOMAIN_CHAR}|-)*{_DOMAIN_CHAR})?"
_TLD_END = r"(?=[^0-9A-Za-z@+\-]|$)"
_ANY_TLD = r"(?:xn--[0-9a-z\-]+|[a-z]{2,63}|[^\W\d_a-zA-Z]{2,})"
_SCHEME_HOST = (
    rf"(?:{_SUBDOMAIN_LABEL}\.){{0,{_MAX_LABELS - 2}}}{_DOMAIN_LABEL}\.{_ANY_TLD}{_TLD_END}"
)

_BARE_CHAR = f"[a-z0-9{_LATIN_ACCENTS}]"
_BARE_LABEL = rf"{_BARE_CHAR}(?:[a-z0-9{_LATIN_ACCENTS}\-]*{_BARE_CHAR})?"
_BARE_HOST = (
    rf"(?:{_BARE_LABEL}\.){{1,{_MAX_LABELS - 1}}}(?:{_KNOWN_TLDS}|xn--[0-9a-z\-]+){_TLD_END}"
)

_URL_PRECEDING_BAD = f"0-9A-Za-z{_AT_SIGNS}${_HASH_SIGNS}{_INVALID}"
_BARE_PRECEDING_BAD = rf"{_URL_PRECEDING_BAD}{_LATIN_ACCENTS}\-_./"

_PATH_CHARS = rf"a-z{_CYRILLIC}0-9!*';:=+,.$/%#\[\]\-\u2013_~@|&{_LATIN_ACCENTS}"
_QUERY_CHARS = r"a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|"

_URL: Final = regex.compile(
    "(?:"
    rf"(?<![{_URL_PRECEDING_BAD}])(?P<scheme>https?://)(?P<host>{_SCHEME_HOST})"
    "|"
    rf"(?<![{_BARE_PRECEDING_BAD}])(?P<bare>{_BARE_HOST})"
    ")"
    r"(?::[0-9]+)?"
    rf"(?P<tail>(?:/[{_PATH_CHARS}()]*)?(?:\?[{_QUERY_CHARS}]*)?)",
    regex.IGNORECASE,
)
_PATH_END: Final = regex.compile(rf"[+\-a-z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS})]", regex.IGNORECASE)
_QUERY_END: Final = regex.compile(r"[a-z0-9\-_&=#/]", regex.IGNORECASE)
# A run of non-space characters with a dot in it, matched from its first character only (the
# lookbehind), so a long run without a dot is scanned once. The standard ``re`` module runs
# this simple pattern ~6x faster than ``regex``.
_DOTTED_RUN: Final = re.compile(rf"(?<![^{_SPACES}])[^{_SPACES}.]*+\.[^{_SPACES}]*+")
_TCO_URL: Final = regex.compile(r"https?://t\.co/([a-z0-9]+)", regex.IGNORECASE)
_MAX_URL_LENGTH: Final = 4096
_MAX_TCO_SLUG_LENGTH: Final = 40
_MAX_LABEL_LENGTH: Final = 63
_MAX_PAREN_DEPTH: Final = 2

# --------------------------------------------------------------------------------------------
# Hashtags (twitter-text's rules: a letter somewhere, a few joiners, not after a letter or '&').

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

# --------------------------------------------------------------------------------------------
# Mentions: ``@user`` (X) or ``@user@domain`` (Mastodon). Not an email (``a@b.com``), not
# ``@user@`` and not followed by ``://`` or a Latin accent (twitter-text's rules).

_MENTION: Final = regex.compile(
    rf"(?<![A-Za-z0-9_=/!#$%&*{_AT_SIGNS}])[{_AT_SIGNS}]"
    r"(?P<user>(?>[A-Za-z0-9_]+(?:[.\-]+[A-Za-z0-9_]+)*))"
    r"(?P<domain>(?>@\w+(?:[.\-]+\w+)*))?"
    rf"(?![{_AT_SIGNS}{_LATIN_ACCENTS}]|://)"
)

# --------------------------------------------------------------------------------------------
# Emoji and weights (twitter-text v3, ``emojiParsingEnabled: true``).

_SKIN_TONE = r"[\U0001f3fb-\U0001f3ff]"
# A pictographic emoji with its presentation selector or skin tone. (c) and (r), which weigh 1 as
# text, are emoji only with U+FE0F. Every match lies inside one grapheme cluster: what follows
# the pictograph (U+FE0F, skin tone, tags, ZWJ + pictograph) never starts a new cluster.
_EMOJI_ELEMENT = (
    r"(?:[\u00a9\u00ae]\ufe0f"
    rf"|(?![\u00a9\u00ae])\p{{Extended_Pictographic}}(?:\ufe0f|{_SKIN_TONE})?)"
)
_EMOJI: Final = regex.compile(
    r"[#*0-9]\ufe0f?\u20e3"  # keycap
    r"|\p{Regional_Indicator}\p{Regional_Indicator}"  # flag
    rf"|{_EMOJI_ELEMENT}(?:[\U000e0020-\U000e007e]+\U000e007f)?(?:\u200d{_EMOJI_ELEMENT})*"
)
_LIGHT_CHARS: Final = regex.compile(r"[\x00-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]+")
_EMOJI_WEIGHT: Final = 2

_GRAPHEME: Final = regex.compile(r"\X")
# Between two characters of Grapheme_Cluster_Break "Other" there is always a boundary (UAX #29:
# the emoji ZWJ and Indic conjunct rules need a joiner in between). So only "joining windows"
# need ``\\X``: a run of other characters (Extend, ZWJ, SpacingMark, Prepend, CR, LF, Control,
# regional indicators, Hangul jamo) with the character on each side; runs one character apart
# share it and make one window. Every character outside the windows is a cluster by itself.
# The pattern takes the character after a run; the one before is added by ``_joining_windows``.
# (A single-property class runs ~20x faster in ``regex`` than a union of properties.)
_JOINING_RUNS: Final = regex.compile(r"(?:\P{GCB=Other}++\p{GCB=Other}?)++")
_LONG_REGIONAL_INDICATOR_RUN: Final = regex.compile(r"\p{Regional_Indicator}{5,}")

_URL_PLACEHOLDER: Final = "x"
_WORD_BOUNDARY_WINDOW: Final = 0.2


# --------------------------------------------------------------------------------------------
# Measures


def utf8_length(text: str) -> int:
    """Bytes in UTF-8 (a lone surrogate, which no platform accepts, counts 3)."""
    return len(text.encode("utf-8", "surrogatepass"))


def utf16_length(text: str) -> int:
    """UTF-16 code units: 1 per BMP character, 2 per character beyond it."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def graphemes(text: str) -> list[str]:
    """The extended grapheme clusters of ``text``, in order."""
    clusters: list[str] = []
    position = 0
    for start, end in _joining_windows(text):
        clusters += text[position:start]  # characters outside windows: one cluster each
        clusters += _window_graphemes(text[start:end])
        position = end
    clusters += text[position:]
    return clusters


def grapheme_count(text: str) -> int:
    """Number of extended grapheme clusters (user-perceived characters)."""
    joined = 0
    for start, end in _joining_windows(text):
        joined += end - start - len(_window_graphemes(text[start:end]))
    return len(text) - joined


def _joining_windows(text: str) -> Iterator[tuple[int, int]]:
    for run in _JOINING_RUNS.finditer(text):
        yield max(run.start() - 1, 0), run.end()


def _window_graphemes(window: str) -> list[str]:
    """``\\X`` over one joining window, with long runs of regional indicators cut between
    their pairs: ``regex`` re-scans a run of them for each flag, quadratic in its length."""
    clusters: list[str] = []
    position = 0
    for run in _LONG_REGIONAL_INDICATOR_RUN.finditer(window):
        # Every second indicator from the start of a run begins a new flag; the first flag
        # may join what precedes the run and the last indicator what follows it.
        first_flag_end = run.start() + 2
        last_cut = run.start() + 2 * ((len(run.group()) - 1) // 2)
        clusters += _GRAPHEME.findall(window, position, first_flag_end)
        clusters += (window[cut : cut + 2] for cut in range(first_flag_end, last_cut, 2))
        position = last_cut
    clusters += _GRAPHEME.findall(window, position)
    return clusters


def find_emoji(text: str) -> list[str]:
    """The emoji sequences X weighs 2 each, in order (on the text as given, not normalised)."""
    return list(_EMOJI.findall(text))


def weighted_length(text: str) -> int:
    """X's weighted length of ``text`` with URLs counted as written (see ``count``)."""
    return _weighted(unicodedata.normalize("NFC", text))


def _weighted(text: str) -> int:
    """Characters weigh 1 or 2, except that an emoji sequence weighs 2 as a whole."""
    total = _character_weights(text)
    for match in _EMOJI.finditer(text):
        total += _EMOJI_WEIGHT - _character_weights(match.group())
    return total


def _character_weights(text: str) -> int:
    light = sum(map(len, _LIGHT_CHARS.findall(text)))
    return 2 * len(text) - light


_MEASURES: Final[dict[str, Callable[[str], int]]] = {
    "code_points": len,
    "graphemes": grapheme_count,
    "utf16": utf16_length,
    "utf8_bytes": utf8_length,
    "weighted": _weighted,
}


def count(
    text: str,
    counting: Counting,
    *,
    url_length: int | None = None,
    mention_domains_free: bool = False,
    urls_without_protocol: bool | None = None,
) -> int:
    """Length of ``text`` as a platform counts it.

    ``url_length``: every URL counts exactly this much (X: 23 weighted units, Mastodon: 23
    characters). ``mention_domains_free``: ``@user@domain`` counts as ``@user`` (Mastodon).
    ``urls_without_protocol``: whether a bare ``example.com`` is a URL for ``url_length``; by
    default only for ``weighted`` (X shortens bare domains, Mastodon only ``http(s)://``).
    """
    measure = _MEASURES.get(counting)
    if measure is None:
        raise ValueError(f"unknown counting {counting!r}; expected one of {', '.join(COUNTINGS)}")
    if counting == "weighted":
        text = unicodedata.normalize("NFC", text)
    if url_length is not None or mention_domains_free:
        if urls_without_protocol is None:
            urls_without_protocol = counting == "weighted"
        text = countable_text(
            text,
            url_length=url_length,
            mention_domains_free=mention_domains_free,
            urls_without_protocol=urls_without_protocol,
        )
    return measure(text)


def countable_text(
    text: str,
    *,
    url_length: int | None = None,
    mention_domains_free: bool = False,
    urls_without_protocol: bool = True,
) -> str:
    """``text`` as the platform measures it: URLs become ``url_length`` placeholder characters,
    ``@user@domain`` becomes ``@user``. With neither option it is ``text`` itself.

    This is Mastodon's ``countable_text``; counting it in any unit gives ``count``.
    """
    if url_length is not None and url_length < 0:
        raise ValueError(f"url_length must be >= 0, got {url_length}")
    replacements: list[tuple[int, int, str]] = []
    if url_length is not None:
        placeholder = _URL_PLACEHOLDER * url_length
        replacements += [
            (start, end, placeholder)
            for start, end in _url_spans(text, without_protocol=urls_without_protocol)
        ]
    if mention_domains_free:
        replacements += [
            (start, end, text[start:user_end])
            for start, end, user_end in _mention_spans(
                text, _url_spans(text, without_protocol=True)
            )
        ]
    if not replacements:
        return text
    replacements.sort()
    pieces: list[str] = []
    position = 0
    for start, end, replacement in replacements:
        if start < position:  # overlaps an entity already replaced
            continue
        pieces += [text[position:start], replacement]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


# --------------------------------------------------------------------------------------------
# Entities


def find_urls(text: str, *, without_protocol: bool = True) -> list[str]:
    """URLs as platforms detect them, in order: ``http(s)://`` links, and (unless
    ``without_protocol`` is false) bare domains with a common TLD such as ``example.com/a``.

    Trailing punctuation is not part of a URL; a bare ``name.cctld`` without a path
    (``readme.md``) is not a URL, except ``.co`` and ``.tv``.
    """
    return [text[start:end] for start, end in _url_spans(text, without_protocol=without_protocol)]


def find_hashtags(text: str) -> list[str]:
    """Hashtags with their ``#``, in order: at least one letter, not inside a URL, not after a
    letter, digit or ``&`` (so not ``&#39;``)."""
    urls = _url_spans(text, without_protocol=True)
    found: list[str] = []
    for match in _HASHTAG.finditer(text):
        if not _HASHTAG_LETTER.search(match.group()):
            continue
        if _overlaps_any(match.start(), match.start() + 1, urls):
            continue
        found.append(str(match.group()))
    return found


def find_mentions(text: str) -> list[str]:
    """Mentions in order: ``@user`` or ``@user@domain``; not emails, not inside URLs."""
    urls = _url_spans(text, without_protocol=True)
    return [text[start:end] for start, end, _ in _mention_spans(text, urls)]


def forbidden_found(text: str, forbidden: Iterable[str]) -> list[str]:
    """Which of ``forbidden`` occur in ``text``: in the order given, each once."""
    return [item for item in dict.fromkeys(forbidden) if item and item in text]


def _url_spans(text: str, *, without_protocol: bool) -> tuple[tuple[int, int], ...]:
    """URL spans, cached: one check counts and searches the same caption several times per
    platform. The caches hold at most ~64 short texts and the last 2 long ones, so a stream
    of huge captions cannot pin memory."""
    if len(text) <= _SHORT_TEXT:
        return _short_text_url_spans(text, without_protocol=without_protocol)
    return _long_text_url_spans(text, without_protocol=without_protocol)


_SHORT_TEXT: Final = 65_536
_SHORT_RUN: Final = 512


def _scan_url_spans(text: str, *, without_protocol: bool) -> tuple[tuple[int, int], ...]:
    """No URL contains a space or lacks a dot, so ``_URL`` runs only on the space-free runs of
    ``text`` that hold a ``.``: over a whole text it costs ~1 µs per character of prose. What
    it finds in a run does not depend on the text around it (a space, like the edge of the
    string, satisfies every lookaround of ``_URL``), so a short run's answer is cached by its
    content: long captions repeat their links, and X's NFC copy of a caption has the same
    runs.
    """
    if "." not in text:
        return ()
    spans: list[tuple[int, int]] = []
    for run in _DOTTED_RUN.finditer(text):
        offset, found = run.start(), run.group()
        run_spans = (
            _short_run_url_spans(found, without_protocol=without_protocol)
            if len(found) <= _SHORT_RUN
            else _run_url_spans(found, without_protocol=without_protocol)
        )
        spans += ((offset + start, offset + end) for start, end in run_spans)
    return tuple(spans)


_short_text_url_spans = functools.lru_cache(maxsize=64)(_scan_url_spans)
_long_text_url_spans = functools.lru_cache(maxsize=2)(_scan_url_spans)


def _run_url_spans(run: str, *, without_protocol: bool) -> tuple[tuple[int, int], ...]:
    spans = (_url_span(match, without_protocol=without_protocol) for match in _URL.finditer(run))
    return tuple(span for span in spans if span is not None)


_short_run_url_spans = functools.lru_cache(maxsize=4096)(_run_url_spans)


def _url_span(match: Any, *, without_protocol: bool) -> tuple[int, int] | None:
    """The span of one candidate URL, or None when twitter-text would drop it."""
    scheme: str | None = match.group("scheme")
    host: str = match.group("host") if scheme else match.group("bare")
    if not scheme and not without_protocol:
        return None
    if not _host_is_valid(host):
        return None
    start: int = match.start()
    tail = _trim_tail(match.group("tail"))
    end: int = match.start("tail") + len(tail)
    url: str = match.string[start:end]
    if scheme:
        tco = _TCO_URL.match(url)
        if tco:
            if len(tco.group(1)) > _MAX_TCO_SLUG_LENGTH:
                return None
            end = start + tco.end()
    elif not tail.startswith("/") and _is_short_domain(host):
        return None
    protocol_length = len(scheme) if scheme else len("https://")
    if protocol_length + len(url) + _punycode_growth(host) > _MAX_URL_LENGTH:
        return None
    return start, end


def _is_short_domain(host: str) -> bool:
    """``name.cctld``: a link only with a path, or for ``.co`` and ``.tv`` (``vine.co``)."""
    tld = host.lower().partition(".")[2]
    return "." not in tld and tld in _COUNTRY_TLDS and tld not in _SHORT_DOMAIN_COUNTRY_TLDS


def _trim_tail(tail: str) -> str:
    """Path and query as twitter-text keeps them: balanced parentheses (two levels), no
    trailing punctuation, and a query only after an untrimmed path."""
    path, question, query = tail.partition("?")
    if path:
        kept = _trim_path(path)
        if len(kept) < len(path):
            return kept
    if not question:
        return path
    end = len(query)
    while end and not _QUERY_END.match(query[end - 1]):
        end -= 1
    return f"{path}?{query[:end]}" if end else path


def _trim_path(path: str) -> str:
    opened: list[int] = []
    cut = len(path)
    for index, char in enumerate(path):
        if char == "(":
            if len(opened) == _MAX_PAREN_DEPTH:
                cut = index
                break
            opened.append(index)
        elif char == ")":
            if not opened:
                cut = index
                break
            opened.pop()
    if opened:
        cut = opened[0]
    end = cut
    while end > 1 and not _PATH_END.match(path[end - 1]):
        end -= 1
    return path[:end]


def _host_is_valid(host: str) -> bool:
    """Every label fits DNS's 63 characters once punycode-encoded."""
    return all(_ascii_length(label) <= _MAX_LABEL_LENGTH for label in host.split("."))


def _ascii_length(label: str) -> int:
    if label.isascii():
        return len(label)
    try:
        return len("xn--") + len(label.encode("punycode"))
    except UnicodeError:
        return _MAX_LABEL_LENGTH + 1


def _punycode_growth(host: str) -> int:
    return sum(_ascii_length(label) - len(label) for label in host.split("."))


def _mention_spans(text: str, urls: Sequence[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """(start, end, end of ``@user``) of each mention outside ``urls``."""
    if "@" not in text and "\uff20" not in text:
        return []
    spans = []
    for match in _MENTION.finditer(text):
        start: int = match.start()
        end: int = match.end()
        if not _overlaps_any(start, end, urls):
            spans.append((start, end, int(match.end("user"))))
    return spans


def _overlaps_any(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    """Whether [start, end) meets one of ``spans`` (sorted, not overlapping each other)."""
    index = bisect.bisect_left(spans, (end,))
    return index > 0 and spans[index - 1][1] > start


# --------------------------------------------------------------------------------------------
# Truncation


def truncate(
    text: str,
    limit: int,
    counting: Counting,
    *,
    url_length: int | None = None,
    mention_domains_free: bool = False,
    ellipsis: str = ELLIPSIS,
) -> str:
    """The longest prefix of ``text`` that fits ``limit`` with ``ellipsis`` appended.

    ``text`` is returned unchanged when it fits. The cut falls between grapheme clusters (never
    inside an emoji or a letter's accents) and never inside a URL or mention; it moves back to
    a space when one lies in the last fifth of the kept text. Trailing spaces are dropped
    before the ellipsis. When the ellipsis alone does not fit, none is added.
    """
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")

    def fits(candidate: str) -> bool:
        length = count(
            candidate, counting, url_length=url_length, mention_domains_free=mention_domains_free
        )
        return length <= limit

    if fits(text):
        return text
    if not fits(ellipsis):
        ellipsis = ""
    clusters = graphemes(text)
    offsets = [0]
    for cluster in clusters:
        offsets.append(offsets[-1] + len(cluster))
    blocked = entity_interiors(text)
    cuts = [index for index in range(len(clusters)) if offsets[index] not in blocked]

    def prefix(cut: int) -> str:
        while cut and clusters[cut - 1].isspace():
            cut -= 1
        return text[: offsets[cut]]

    # The count grows with the prefix, except where cutting makes a new URL appear; binary
    # search assumes it grows, and every answer is checked against the real count.
    low, high = 0, len(cuts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if fits(prefix(cuts[middle]) + ellipsis):
            low = middle
        else:
            high = middle - 1
    best = cuts[low]
    for cut in reversed(cuts[: low + 1]):
        if offsets[cut] < (1 - _WORD_BOUNDARY_WINDOW) * offsets[best]:
            break
        if cut and clusters[cut].isspace():
            if fits(prefix(cut) + ellipsis):
                best = cut
            break
    return prefix(best) + ellipsis


def entity_interiors(text: str) -> set[int]:
    """Offsets strictly inside a URL or mention: cutting there would break a link or tag
    someone else."""
    urls = _url_spans(text, without_protocol=True)
    spans = [*urls, *((start, end) for start, end, _ in _mention_spans(text, urls))]
    return {offset for start, end in spans for offset in range(start + 1, end)}
