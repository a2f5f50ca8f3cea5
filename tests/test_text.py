"""The counting engines (mediarules.text): units, twitter-text conformance, entities, truncation.

Expected values are worked out by hand from each platform's rule (see the module docstring);
the X cases follow twitter-text's conformance suite (validate.yml, v3 "discounted emoji" set).
"""

from __future__ import annotations

import unicodedata

import pytest
import regex
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mediarules import text as text_module
from mediarules.ruleset import Counting
from mediarules.text import (
    COUNTINGS,
    ELLIPSIS,
    count,
    countable_text,
    find_emoji,
    find_hashtags,
    find_mentions,
    find_urls,
    forbidden_found,
    grapheme_count,
    graphemes,
    truncate,
    twitter,
    units,
    utf8_length,
    utf16_length,
    weighted_length,
)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # man woman girl boy
FLAG_FR = "\U0001f1eb\U0001f1f7"
THUMBS_MEDIUM = "\U0001f44d\U0001f3fd"  # thumbs up, medium skin tone
FLAG_SCOTLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
KEYCAP_ONE = "1\ufe0f\u20e3"
GRINNING = "\U0001f600"
CAT = "\U0001f431"


# --------------------------------------------------------------------------------------------
# The five units on tricky strings


@pytest.mark.parametrize(
    ("text", "code_points", "graphemes_", "utf16", "utf8_bytes", "weighted"),
    [
        pytest.param("", 0, 0, 0, 0, 0, id="empty"),
        pytest.param("hello", 5, 5, 5, 5, 5, id="ascii"),
        pytest.param(FAMILY, 7, 1, 11, 25, 2, id="zwj-family"),
        pytest.param(FLAG_FR, 2, 1, 4, 8, 2, id="flag"),
        pytest.param(THUMBS_MEDIUM, 2, 1, 4, 8, 2, id="skin-tone"),
        pytest.param(FLAG_SCOTLAND, 7, 1, 14, 28, 2, id="tag-flag"),
        pytest.param(KEYCAP_ONE, 3, 1, 3, 7, 2, id="keycap"),
        pytest.param("\u00e9", 1, 1, 1, 2, 1, id="e-acute-composed"),
        pytest.param("e\u0301", 2, 1, 2, 3, 1, id="e-acute-decomposed-nfc-for-x"),
        pytest.param("\u65e5\u672c\u8a9e", 3, 3, 3, 9, 6, id="cjk-weighs-2"),
        pytest.param("\uc800\ucc40\ucfff\ucfff", 4, 4, 4, 12, 8, id="hangul"),
        pytest.param("\u00a9", 1, 1, 1, 2, 1, id="copyright-is-text"),
        pytest.param("\u00a9\ufe0f", 2, 1, 2, 5, 2, id="copyright-emoji"),
        pytest.param("\u2764\ufe0f", 2, 1, 2, 6, 2, id="red-heart-vs16"),
        pytest.param("\u0915\u094d\u0937", 3, 1, 3, 9, 3, id="devanagari-conjunct"),
        pytest.param("\U00010000\U0010ffff", 2, 2, 4, 8, 4, id="astral-non-emoji"),
        pytest.param("\u2014\u201c\u2032", 3, 3, 3, 9, 3, id="punctuation-weighs-1"),
        pytest.param("\u2026\u2122", 2, 2, 2, 6, 4, id="ellipsis-and-tm-weigh-2"),
    ],
)
def test_units(
    text: str, code_points: int, graphemes_: int, utf16: int, utf8_bytes: int, weighted: int
) -> None:
    assert count(text, "code_points") == code_points
    assert count(text, "graphemes") == graphemes_ == grapheme_count(text)
    assert count(text, "utf16") == utf16 == utf16_length(text)
    assert count(text, "utf8_bytes") == utf8_bytes == utf8_length(text)
    assert count(text, "weighted") == weighted == weighted_length(text)


def test_public_names_exist() -> None:
    assert all(hasattr(text_module, name) for name in text_module.__all__)


def test_counting_names_match_the_literal() -> None:
    assert COUNTINGS == (
        "code_points",
        "graphemes",
        "utf16",
        "utf8_bytes",
        "weighted",
        "emoji_utf8",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("caf\u00e9 \u65e5\u672c", 7, id="no-emoji-code-points"),
        pytest.param("\U0001f642", 4, id="emoji-4-bytes"),
        pytest.param("\u2764\ufe0f", 6, id="heart-with-vs16"),
        pytest.param("\u00a9", 1, id="copyright-as-text"),
        pytest.param("1\ufe0f\u20e3 x", 9, id="keycap-7-bytes"),
        pytest.param("\U0001f1eb\U0001f1f7\U0001f1eb", 12, id="flag-then-lone-indicator"),
    ],
)
def test_emoji_utf8_counts_emoji_as_their_bytes(text: str, expected: int) -> None:
    assert count(text, "emoji_utf8") == expected


def test_unknown_counting_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown counting 'bytes'"):
        count("hi", "bytes")  # type: ignore[arg-type]


def test_negative_url_length_is_an_error() -> None:
    with pytest.raises(ValueError, match="url_length"):
        count("see https://example.com", "graphemes", url_length=-1)


def test_lone_surrogate_is_counted_not_raised() -> None:
    assert utf16_length("a\ud800") == 2
    assert utf8_length("a\ud800") == 4


# --------------------------------------------------------------------------------------------
# Platform scenarios


def test_telegram_caption_of_emoji_is_half_as_long() -> None:
    """1,024 UTF-16 units hold only 512 emoji outside the BMP."""
    assert count(GRINNING * 512, "utf16") == 1024
    assert count(GRINNING * 513, "utf16") == 1026
    assert count(GRINNING * 513, "code_points") == 513


def test_bluesky_graphemes_and_bytes_disagree() -> None:
    """300 families are 300 graphemes (fine) but 7,500 bytes (over the 3,000-byte limit)."""
    text = FAMILY * 300
    assert count(text, "graphemes") == 300
    assert count(text, "utf8_bytes") == 7500
    assert count("a" * 300, "utf8_bytes") == 300


def test_youtube_description_counts_bytes() -> None:
    assert count("\u00e9" * 2500, "utf8_bytes") == 5000
    assert count("\u00e9" * 2500, "code_points") == 2500


def test_mastodon_urls_count_23_and_mention_domains_are_free() -> None:
    text = "Read https://example.com/a/long/path/to/an/article-about-it by @alice@example.social"
    expected = len("Read ") + 23 + len(" by @alice")
    assert count(text, "graphemes", url_length=23, mention_domains_free=True) == expected
    # Mastodon shortens only http(s) links: a bare domain counts as written.
    assert count("see example.com", "graphemes", url_length=23) == 15
    assert count("see example.com", "graphemes", url_length=23, urls_without_protocol=True) == 27


def test_x_counts_bare_domains_as_urls() -> None:
    assert count("see example.com", "weighted", url_length=23) == 4 + 23
    assert count("see example.com", "weighted") == 15  # no url_length: counted as written


def test_url_length_applies_in_any_unit() -> None:
    text = f"{GRINNING} https://example.com/{'x' * 40}"
    for counting in ("code_points", "utf16", "utf8_bytes"):
        single = count(GRINNING + " ", counting)
        assert count(text, counting, url_length=23) == single + 23


# --------------------------------------------------------------------------------------------
# twitter-text conformance (validate.yml, WeightedTweetsWithDiscountedEmojiCounterTest and the
# lengths sections): X's weighted length with transformedURLLength 23.

CJK_160 = "\u6545\u4eba\u897f\u8f9e\u9ec4\u9e64\u697c\uff0c" * 20  # 8 ideographs/punct, x20
KANA_10 = "\u3042\u3044\u3046\u3048\u304a\u304b\u304d\u304f\u3051\u3053"
X_CONFORMANCE = [
    ("plain text", "This is a test.", 15),
    ("regular tweet with url", "Hi http://test.co", 26),
    ("just url", "http://test.co", 23),
    ("https url", "https://test.com", 23),
    ("url without protocol", "test.com", 23),
    ("multiple urls", "Test https://test.com test https://test.com test.com test", 86),
    ("long tweet", "285 chars-" + "xxxxxxxxxx-" * 25, 285),
    (
        "url in the middle",
        "285 chars- http://www.twitter.com/jack " + "xxxxxxxxxx-" * 24,
        299,
    ),
    ("url at the end", "xxxxxxxxxx-" * 24 + " http://www.twitter.com/jack ", 289),
    ("10 urls", "https://www.twitter.com/aloha " * 10, 240),
    ("160 cjk", CJK_160, 320),
    ("160 emoji", "\U0001f637" * 160, 320),
    ("3 latin + 160 cjk", "the" + CJK_160, 323),
    ("decomposed A-acute is normalised", "A\u0301B", 2),
    ("shin with dagesh and shin dot normalises to 3 chars", "A\ufb2c", 4),
    (
        "282 chars with a normalised character",
        "282 chars-" + "xxxxxxxxxx-" * 24 + "xxxxxA\u0301x",
        281,
    ),
    ("mix of single and double", f"H{CAT}\u263a{FAMILY}", 7),
    ("emoji", "\U0001f637\U0001f47e\U0001f621\U0001f525\U0001f4a9", 10),
    ("skin tone and zwj", "\U0001f64b\U0001f3fd\U0001f468\u200d\U0001f3a4", 4),
    (
        "general punctuation",
        "This is a tweet with general punctuation characters: "
        "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b "
        "\u2010 \u2011 \u2012 \u2013 \u2014 \u2015 \u2016  \u2017 \u2018 \u2019 \u201a \u201b "
        "\u201c \u201d \u201e \u201f \u2032 \u2033 \u2034 \u2035 \u2036 \u2037",
        110,
    ),
    ("64-char label is not a url", "randomurl" * 7 + "s.com", 68),
    (
        "punycode label over 63 is not a url",
        KANA_10 * 12 + " http://" + KANA_10 * 5 + KANA_10[:3] + ".com",
        358,
    ),
    (
        "punycode label of 63 is a url",
        KANA_10 * 12 + " http://" + KANA_10 * 5 + KANA_10[:2] + ".com",
        264,
    ),
    (
        "long invalid label counts as written, the valid url 23",
        "url: https://" + "somesuperlongurl" * 5 + ".com/foo https://validurl.com",
        len("url: https://") + 16 * 5 + len(".com/foo ") + 23,
    ),
    ("140 families", FAMILY * 140, 280),
    (
        "unicode 10 emoji",
        "Unicode 10.0 emoji: \U0001f92a; \U0001f9d5; \U0001f9d5\U0001f3fe; "
        "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
        34,
    ),
    ("unicode 9 emoji", "Unicode 9.0 emoji: \U0001f920; \U0001f483; \U0001f483\U0001f3fe", 29),
    ("invalid characters", "ABC\u202a\uffffABC\ufffe", 12),
    (
        "directional marks around a url",
        "\u2066\u202ahttp://foobar.\u067e\u0627\u06a9\u0633\u062a\u0627\u0646/\u202c\u2069",
        31,
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [pytest.param(text, expected, id=name) for name, text, expected in X_CONFORMANCE],
)
def test_twitter_text_weighted_length(text: str, expected: int) -> None:
    assert count(text, "weighted", url_length=23) == expected


def test_weighted_emoji_sequences() -> None:
    assert find_emoji(f"a{FAMILY}b{FLAG_FR}{KEYCAP_ONE}\u00a9") == [FAMILY, FLAG_FR, KEYCAP_ONE]
    # A ZWJ sequence is one emoji; a trailing ZWJ is a character of its own (weight 1).
    assert count(f"{GRINNING}\u200d", "weighted") == 3
    # (c) weighs 1 as text, 2 as an emoji; a digit only becomes an emoji as a keycap.
    assert count("\u00a9 2024", "weighted") == 6
    assert count("1\ufe0f", "weighted") == 3


# --------------------------------------------------------------------------------------------
# URLs (twitter-text extract.yml "urls" cases, and a few of ours)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("text http://google.com", ["http://google.com"]),
        ("text http://foobar.com/#", ["http://foobar.com/#"]),
        ("text http://somehost.com:3000", ["http://somehost.com:3000"]),
        ("text http://xo.com/~matthew+%ff-,.;x", ["http://xo.com/~matthew+%ff-,.;x"]),
        (
            "text http://en.wikipedia.org/wiki/Primer_(film)",
            ["http://en.wikipedia.org/wiki/Primer_(film)"],
        ),
        (
            "(see http://en.wikipedia.org/wiki/Foo_(bar)).",
            ["http://en.wikipedia.org/wiki/Foo_(bar)"],
        ),
        (
            "http://msdn.microsoft.com/ja-jp/library/system.net.httpwebrequest(v=VS.100).aspx",
            ["http://msdn.microsoft.com/ja-jp/library/system.net.httpwebrequest(v=VS.100).aspx"],
        ),
        ("text http://\u272adf.ws/ejp", ["http://\u272adf.ws/ejp"]),
        ("text http://chilp.it/?77e8fd", ["http://chilp.it/?77e8fd"]),
        ("text http://foo.com?#foo text", ["http://foo.com?#foo"]),
        (
            "Go to http://example.com/a+ or http://example.com/a-",
            ["http://example.com/a+", "http://example.com/a-"],
        ),
        (
            "http://example.com/view/slug-url-?foo=bar",
            ["http://example.com/view/slug-url-?foo=bar"],
        ),
        ("test http://twitter.com/.", ["http://twitter.com/"]),
        ("periods http://example.com/path..........", ["http://example.com/path"]),
        ("commas http://example.com/,,,,,,,,", ["http://example.com/"]),
        ("bangs http://example.com/path/!!!!!!", ["http://example.com/path/"]),
        ("Wow! https://example.com/x?a=1, (really)", ["https://example.com/x?a=1"]),
        ("'https://example.com'", ["https://example.com"]),
        ('"https://example.com/q"!', ["https://example.com/q"]),
        ("(http://twitter.com", ["http://twitter.com"]),
        ("HTTPS://www.ExaMPLE.COM/index.html", ["HTTPS://www.ExaMPLE.COM/index.html"]),
        ("test http://sub_domain-dash.twitter.com", ["http://sub_domain-dash.twitter.com"]),
        ("test http://a.b.cd http://a_b.c-d.com", ["http://a.b.cd", "http://a_b.c-d.com"]),
        ("Go to http://twitter.com/\u0420\u0443\u0441", ["http://twitter.com/\u0420\u0443\u0441"]),
        ("test http://foobar.\u307f\u3093\u306a/ x", ["http://foobar.\u307f\u3093\u306a/"]),
        ("test http://xn--ls8h.XN--ls8h.la/", ["http://xn--ls8h.XN--ls8h.la/"]),
        # t.co links end after their slug
        ("I like http://t.co/pbY2NfTZ's site", ["http://t.co/pbY2NfTZ"]),
        ("http://t.co/FNkPfmii- it's great", ["http://t.co/FNkPfmii"]),
        ("http://t.co http://t.co", ["http://t.co", "http://t.co"]),
        # not URLs
        ("text http://no-tld http://tld-too-short.x ftp://example.org", []),
        ("test http://-leadingdash.twitter.com http://trailingdash-.twitter.com", []),
        ("test http://_lead.twitter.com http://twitter_underscore.com http://twitter.c_o_m", []),
        ("#test.com @test.com #http://test.com @http://test.com #t.co/abcde @t.co/abcde", []),
        ("$http://twitter.com $twitter.com $t.co $TVI.CA", []),
        ("long.test.tar.bz2 test.tar.bz2 john.doe.gov@mail.com john.doe.jp@mail.com", []),
        ("xhttp://example.com", []),
    ],
)
def test_find_urls_with_protocol(text: str, expected: list[str]) -> None:
    assert find_urls(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "foo.com foo.net foo.org foo.edu foo.gov",
            ["foo.com", "foo.net", "foo.org", "foo.edu", "foo.gov"],
        ),
        ("example.io/docs and my.app and go.dev", ["example.io/docs", "my.app", "go.dev"]),
        (
            "foo.baz foo.co.jp www.xxxxxxx.baz www.foo.co.uk wwwww.xxxxxxx foo.comm foo.jp",
            ["foo.co.jp", "www.foo.co.uk", "foo.jp"],
        ),
        ("t.co/abcde bit.ly/abcde", ["t.co/abcde", "bit.ly/abcde"]),
        ("MLB.tv vine.co twitch.tv t.co", ["MLB.tv", "vine.co", "twitch.tv", "t.co"]),
        # twitter-text links a bare name.cctld (extract.yml: "foo.jp", "it.so"), so X counts
        # these file names as 23 each
        ("see readme.md, fig.in and script.sh", ["readme.md", "fig.in", "script.sh"]),
        ("example.com.", ["example.com"]),
        ("test ELPA\u00cdS.com", ["ELPA\u00cdS.com"]),
        ("@user Try http:// example.com/path", ["example.com/path"]),
        (
            "\u3053\u308c\u306f\u3002example.com/path/index.html\u4e2d\u56fdexample.com/path\ud55c",
            ["example.com/path/index.html", "example.com/path"],
        ),
        (
            "twitter.com\u3053\u308c\u3002example.com\u4e2d\u56fdt.co/abcde\ud55ctwitter.com"
            " example2.com\u30c6twitter.com/abcde",
            [
                "twitter.com",
                "example.com",
                "t.co/abcde",
                "twitter.com",
                "example2.com",
                "twitter.com/abcde",
            ],
        ),
        ("email me at jane@example.com", []),
        ("node.js and e.g. and 3.14 and U.S.A.", []),
    ],
)
def test_find_urls_without_protocol(text: str, expected: list[str]) -> None:
    assert find_urls(text) == expected


def test_find_urls_can_skip_bare_domains() -> None:
    assert find_urls("example.com and https://example.org", without_protocol=False) == [
        "https://example.org"
    ]


# --------------------------------------------------------------------------------------------
# Hashtags and mentions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a #hashtag here", ["#hashtag"]),
        ("#1hashtag is this, #hashtag1", ["#1hashtag", "#hashtag1"]),
        ("On the #16 bus #0 #_ #1_2", []),
        (
            "(#hashtag1 )#hashtag2 [#hashtag3 ]#hashtag4 \u2019#hashtag5\u2019#hashtag6",
            ["#hashtag1", "#hashtag2", "#hashtag3", "#hashtag4", "#hashtag5", "#hashtag6"],
        ),
        ("#ma\u00f1ana #caf\u00e9 #m\u00fcnchen", ["#ma\u00f1ana", "#caf\u00e9", "#m\u00fcnchen"]),
        (
            "What is #\ud2b8\uc704\ud130 anyway? #\u0430\u0448\u043e\u043a!",
            ["#\ud2b8\uc704\ud130", "#\u0430\u0448\u043e\u043a"],
        ),
        ("\u65e5\u672c\u8a9e#\u65e5\u672c", []),  # no boundary before '#'
        ("\u3002#\u30b5\u30c3\u30ab\u30fc", ["#\u30b5\u30c3\u30ab\u30fc"]),
        ("full width \uff03\uff48\uff41\uff53\uff48", ["\uff03\uff48\uff41\uff53\uff48"]),
        ("#hashtag: #hashtag; #hashtag. #hashtag!", ["#hashtag"] * 4),
        ("#http://twitter.com #https://twitter.com", []),
        ("http://twitter.com/#hashtag twitter.com/#hashtag example.com/#anchor", []),
        ("it&#39;s &#amp; x#y", []),
        ("#foo#bar", []),
        ("\u2764\ufe0f#love \U0001f525#fire", ["#love", "#fire"]),
        ("#\ufe0f\u20e3 is a keycap", []),
        ("#il\u00b7lusi\u00f3", ["#il\u00b7lusi\u00f3"]),
        (
            "#\u092e\u0939\u093e\u0924\u094d\u092e\u093e_\u0967\u0968 #\u0967\u0968",
            ["#\u092e\u0939\u093e\u0924\u094d\u092e\u093e_\u0967\u0968"],
        ),
    ],
)
def test_find_hashtags(text: str, expected: list[str]) -> None:
    assert find_hashtags(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@username reply", ["@username"]),
        ("mention @user_name and @12345", ["@user_name", "@12345"]),
        ("\u306e@username\u306b", ["@username"]),
        ("Current Status: @_@ (cc: @username)", ["@username"]),
        ("@alice\u00ecnheiro something", []),
        ("@http://twitter.com", []),
        ("f!@kn f@@kn f#@kn f$@kn f%@kn f&@kn f*@kn", []),
        ("mail jane@example.com or jane.doe@example.com", []),
        ("Hi @Gargron@mastodon.social.", ["@Gargron@mastodon.social"]),
        ("@alice@example.social @bob", ["@alice@example.social", "@bob"]),
        ("@user.name ok", ["@user.name"]),
        ("https://mastodon.social/@Gargron and https://example.com/?u=@x", []),
    ],
)
def test_find_mentions(text: str, expected: list[str]) -> None:
    assert find_mentions(text) == expected


def test_countable_text_rewrites_like_mastodon() -> None:
    text = "hi @alice@example.social see https://example.com/abc and @bob"
    assert countable_text(text, url_length=23, mention_domains_free=True) == (
        "hi @alice see " + "x" * 23 + " and @bob"
    )
    assert countable_text(text) == text


# --------------------------------------------------------------------------------------------
# Forbidden characters


def test_forbidden_found_keeps_the_given_order_once() -> None:
    assert forbidden_found("a <b> and <c>", [">", "<", "&", ">"]) == [">", "<"]
    assert forbidden_found("nothing bad", ["<", ">"]) == []
    assert forbidden_found("abc", ["", "b"]) == ["b"]


# --------------------------------------------------------------------------------------------
# Truncation


def test_truncate_returns_fitting_text_unchanged() -> None:
    assert truncate("short", 10, "code_points") == "short"
    assert truncate("", 0, "graphemes") == ""


def test_truncate_prefers_a_word_boundary() -> None:
    text = "The quick brown fox jumps over the lazy dog"
    assert truncate(text, 20, "code_points") == f"The quick brown fox{ELLIPSIS}"
    assert truncate(text, 12, "code_points") == f"The quick{ELLIPSIS}"


def test_truncate_cuts_inside_a_long_word_when_no_space_is_near() -> None:
    assert truncate("a " + "b" * 40, 21, "code_points") == "a " + "b" * 18 + ELLIPSIS


def test_truncate_never_splits_an_emoji() -> None:
    text = FAMILY * 10
    result = truncate(text, 30, "utf16")  # 2 families (22 units) + ellipsis (1 unit)
    assert result == FAMILY * 2 + ELLIPSIS
    assert truncate(f"ab{FLAG_FR}{FLAG_FR}", 5, "code_points") == f"ab{FLAG_FR}{ELLIPSIS}"


def test_truncate_keeps_accents_with_their_letter() -> None:
    text = "e\u0301" * 10
    assert truncate(text, 6, "code_points") == "e\u0301" * 2 + ELLIPSIS


def test_truncate_weighted_cjk() -> None:
    result = truncate("\u6f22" * 200, 280, "weighted")
    assert result == "\u6f22" * 139 + ELLIPSIS  # 278 + ellipsis (2) = 280
    assert count(result, "weighted") == 280


def test_truncate_never_cuts_a_url_or_mention() -> None:
    text = "Read this https://example.com/some/long/path today"
    assert truncate(text, 30, "code_points") == f"Read this{ELLIPSIS}"
    text = "Thanks to @alice@example.social for everything"
    assert truncate(text, 20, "code_points") == f"Thanks to{ELLIPSIS}"


def test_truncate_counts_urls_as_the_platform_does() -> None:
    text = "Read https://example.com/" + "p" * 100 + " and more words here"
    result = truncate(text, 35, "weighted", url_length=23)
    assert result == "Read https://example.com/" + "p" * 100 + f" and{ELLIPSIS}"
    assert count(result, "weighted", url_length=23) <= 35


def test_truncate_without_room_for_the_ellipsis() -> None:
    assert truncate("abcdef", 1, "weighted") == "a"  # the ellipsis weighs 2
    assert truncate("abcdef", 0, "code_points") == ""
    assert truncate("abcdef", 3, "code_points", ellipsis="...") == "..."


def test_truncate_rejects_a_negative_limit() -> None:
    with pytest.raises(ValueError, match="limit"):
        truncate("abc", -1, "code_points")


# --------------------------------------------------------------------------------------------
# Properties

EMOJI_HEAVY = st.lists(
    st.sampled_from(
        [
            "a",
            "b",
            " ",
            "\n",
            "e\u0301",
            "\u0301",
            "\u200d",
            "\ufe0f",
            "\U0001f3fd",
            "\U0001f1eb",
            "\U0001f1f7",
            GRINNING,
            FAMILY,
            THUMBS_MEDIUM,
            KEYCAP_ONE,
            "\u00a9",
            "\u6f22",
            "\uac00",
            "\u1100",
            "\u1161",
            "\u0915\u094d",
            "\u0600",
            "#tag",
            "@al",
            "@x.social",
            " https://example.com/a(b)",
            " example.org",
            ".",
        ]
    ),
    max_size=25,
).map("".join)
ANY_TEXT = st.text(max_size=60) | EMOJI_HEAVY


@settings(max_examples=200, deadline=None)
@given(a=ANY_TEXT, b=ANY_TEXT)
def test_byte_and_unit_counts_are_additive(a: str, b: str) -> None:
    for counting in ("code_points", "utf16", "utf8_bytes"):
        assert count(a + b, counting) == count(a, counting) + count(b, counting)


@settings(max_examples=200, deadline=None)
@given(text=ANY_TEXT)
def test_units_are_ordered(text: str) -> None:
    """graphemes <= code points <= UTF-16 units <= UTF-8 bytes: a cluster holds at least one
    code point; a code point is 1-2 UTF-16 units and 1-4 bytes, never fewer bytes than units."""
    assert (
        count(text, "graphemes")
        <= count(text, "code_points")
        <= count(text, "utf16")
        <= count(text, "utf8_bytes")
    )


@settings(max_examples=200, deadline=None)
@given(text=ANY_TEXT)
def test_weighted_lies_between_graphemes_and_twice_the_code_points(text: str) -> None:
    """Every emoji sequence lies inside one cluster and every cluster weighs at least 1."""
    normalised = unicodedata.normalize("NFC", text)
    assert grapheme_count(normalised) <= count(text, "weighted") <= 2 * len(normalised)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_weighted_ascii_is_its_length(text: str) -> None:
    assert count(text, "weighted") == len(text)


@settings(max_examples=200, deadline=None)
@given(text=ANY_TEXT)
def test_graphemes_rejoin_to_the_text(text: str) -> None:
    assert "".join(graphemes(text)) == text


JOINER_HEAVY = st.lists(
    st.sampled_from(
        # regional indicators, CR/LF, a control, combining marks, ZWJ, emoji, Hangul jamo
        # (L, V, T) and syllables (LV, LVT), Prepend, SpacingMark, a Devanagari consonant and
        # its virama (a conjunct linker), letters and spaces.
        [
            *"\U0001f1eb\U0001f1f7\r\n\x07\u0301\u200d\ufe0f\U0001f3fd\U0001f469\u1100\u1161",
            *"\u11a8\uac00\uac01\u0600\u0903\u0915\u094d\u0924a \u3000",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(text=ANY_TEXT | JOINER_HEAVY)
def test_graphemes_match_a_plain_extended_grapheme_scan(text: str) -> None:
    """The windowed segmentation (only joining characters and their neighbours go through
    ``\\X``, long flag runs are cut between pairs) gives what ``\\X`` over the whole text gives."""
    expected = regex.findall(r"\X", text)
    assert graphemes(text) == expected
    assert grapheme_count(text) == len(expected)


def test_a_long_run_of_flags_is_cut_between_flags() -> None:
    france, joiner = "\U0001f1eb\U0001f1f7", "\u0301"
    for flags in range(8):
        for extra in ("", "\U0001f1eb", "\U0001f1eb" + joiner, joiner):
            text = "\u0600" + france * flags + extra
            assert graphemes(text) == regex.findall(r"\X", text), (flags, extra)


URL_HEAVY = st.lists(
    st.sampled_from(
        [
            "a",
            "b",
            "1",
            ".",
            "/",
            ":",
            "(",
            ")",
            "-",
            "_",
            "@",
            "#",
            "?",
            "=",
            "\u00e9",
            "\u6f22",
            "https://",
            "http://",
            "www",
            "com",
            "co",
            "org",
            "t.co/",
            "xn--",
            " ",
            "\u2000",
            "\u3000",
            "\n",
            "\u200e",
            "\ufeff",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(text=ANY_TEXT | URL_HEAVY, without_protocol=st.booleans())
# A Latin letter is both a domain character and, at the text's very start only, the character
# before a URL: a run after a space must not be scanned as if it opened the text.
@example(text=" \u00c00.AL", without_protocol=True)
@example(text="\u00c00.AL x \u00c00.AL", without_protocol=True)
def test_urls_match_a_scan_of_the_whole_text(text: str, without_protocol: bool) -> None:
    """Scanning only the dotted, space-free runs finds what a scan of the whole text finds."""
    spans = twitter._run_url_spans(text, without_protocol=without_protocol)
    expected = [text[start:end] for start, end, _ in spans]
    assert find_urls(text, without_protocol=without_protocol) == expected


@settings(max_examples=300, deadline=None)
@given(text=ANY_TEXT | JOINER_HEAVY)
def test_weighted_length_is_the_sum_of_weights_outside_emoji_plus_two_per_emoji(
    text: str,
) -> None:
    text = unicodedata.normalize("NFC", text)
    expected, position = 0, 0
    for match in units._EMOJI.finditer(text):
        expected += sum(_x_weight(char) for char in text[position : match.start()]) + 2
        position = match.end()
    expected += sum(_x_weight(char) for char in text[position:])
    assert weighted_length(text) == expected


def _x_weight(char: str) -> int:
    """twitter-text v3: these code point ranges weigh 1, all others 2."""
    light = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
    return 1 if any(low <= ord(char) <= high for low, high in light) else 2


@settings(max_examples=200, deadline=None)
@given(text=ANY_TEXT)
def test_entities_are_substrings_in_order(text: str) -> None:
    for found in (find_urls(text), find_hashtags(text), find_mentions(text)):
        position = 0
        for item in found:
            index = text.find(item, position)
            assert index >= 0
            position = index + len(item)
    assert all(tag[0] in "#\uff03" for tag in find_hashtags(text))
    assert countable_text(text) == text


@settings(max_examples=200, deadline=None)
@given(
    text=ANY_TEXT,
    limit=st.integers(min_value=0, max_value=80),
    counting=st.sampled_from(COUNTINGS),
    url_length=st.sampled_from([None, 23]),
    mention_domains_free=st.booleans(),
    ellipsis=st.sampled_from([ELLIPSIS, "...", ""]),
)
def test_truncate_fits_keeps_a_prefix_and_whole_graphemes(
    text: str,
    limit: int,
    counting: Counting,
    url_length: int | None,
    mention_domains_free: bool,
    ellipsis: str,
) -> None:
    def measure(value: str) -> int:
        return count(
            value, counting, url_length=url_length, mention_domains_free=mention_domains_free
        )

    result = truncate(
        text,
        limit,
        counting,
        url_length=url_length,
        mention_domains_free=mention_domains_free,
        ellipsis=ellipsis,
    )
    if measure(text) <= limit:
        assert result == text
        return
    assert measure(result) <= limit
    kept = result[: len(result) - len(ellipsis)] if result.endswith(ellipsis) else result
    assert text.startswith(kept)
    kept_clusters = graphemes(kept)
    assert kept_clusters == graphemes(text)[: len(kept_clusters)]
