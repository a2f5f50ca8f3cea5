"""``mediarules.plain_records`` against pydantic itself: the same records, errors and dumps.

``init_plain`` must store exactly what validation stores (values, their types, field order,
``model_fields_set``) or decline, and ``to_jsonable`` must give exactly
``model_dump(mode="json")`` or raise ``NotPlainError``. The reference is pydantic's own
validator and serializer, asked directly.
"""

from __future__ import annotations

import math
import warnings
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from mediarules import requirements
from mediarules.models import (
    Applicability,
    Fix,
    FixStep,
    MediaFacts,
    Report,
    Severity,
    Violation,
    construct_trusted,
)
from mediarules.outputs.render import json_text, report_json
from mediarules.plain_records import NotPlainError, init_plain, to_jsonable
from mediarules.strategies import Post, media_facts

REQUIREMENTS: list[type[BaseModel]] = [
    requirements.Bound,
    requirements.OneOf,
    requirements.ConstantRate,
    requirements.Named,
    requirements.Shorter,
    requirements.Without,
    requirements.Spread,
    requirements.Dropped,
    requirements.SetField,
    requirements.ByHand,
]
FAST_MODELS = [MediaFacts, *REQUIREMENTS]

# Values of every kind a field might be handed: right types, near misses, the edges of bounds.
ODD_VALUES: list[Any] = [
    None, True, False, 0, 1, -1, 8, 2**63, 0.0, 1.5, -2.5, math.inf, -math.inf, math.nan,
    Fraction(30000, 1001), Fraction(0), Fraction(-30), Fraction(10**12), Decimal("1.5"),
    "", "jpeg", "image", "video", "bound", "format", "width", "caption", "truncate", "12",
    "30000/1001", "1e30", "h264", Severity.ERROR, [], ["png"], ["png", 44100], [1.5],
    ("note",), ("a", 1), {"k": 1}, b"bytes",
]  # fmt: skip


def _fields_of(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _validated(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    """What pydantic's validator alone makes of ``data`` (the models' own ``__init__`` may
    take the plain path: here it is passed by)."""
    record = model.__new__(model)
    BaseModel.__init__(record, **data)
    return record


def _errors(exc: ValidationError) -> list[dict[str, Any]]:
    """The errors, comparable (a validator's exception in ``ctx`` is compared by its text)."""
    found: list[dict[str, Any]] = [dict(error) for error in exc.errors(include_url=False)]
    for error in found:
        if "ctx" in error:
            error["ctx"] = {key: repr(value) for key, value in error["ctx"].items()}
    return found


def _outcome(model: type[BaseModel], data: dict[str, Any]) -> tuple[str, Any]:
    """What ``model(**data)`` gives: its state, its errors, or the exception it lets out."""
    try:
        made = model(**data)
    except ValidationError as exc:
        return "error", _errors(exc)
    except (TypeError, ArithmeticError) as exc:  # a validator's own failure, let out
        return "raised", type(exc)
    return "record", _state(made)


def _state(record: BaseModel) -> tuple[list[tuple[str, type, Any]], set[str]]:
    values = [(name, type(value), value) for name, value in vars(record).items()]
    return values, set(record.model_fields_set)


def _same_as_pydantic(model: type[BaseModel], data: dict[str, Any]) -> bool:
    """Assert that ``init_plain`` agrees with validation; return whether it took ``data``."""
    try:
        reference = _validated(model, data)
    except ValidationError as exc:
        expected: Any = ("error", _errors(exc))
    except (TypeError, ArithmeticError) as exc:  # a validator's own failure, as pydantic lets it
        expected = ("raised", type(exc))
    else:
        expected = ("record", _state(reference))
    record = model.__new__(model)
    taken = init_plain(record, dict(data))
    if taken:
        assert expected[0] == "record", (model.__name__, data, expected)
        assert _state(record) == expected[1], (model.__name__, data)
        assert record == reference
    assert _outcome(model, data) == expected, (model.__name__, data)
    return taken


@st.composite
def field_data(draw: st.DrawFn, model: type[BaseModel]) -> dict[str, Any]:
    names = _fields_of(model)
    chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    data = {name: draw(st.sampled_from(ODD_VALUES)) for name in chosen}
    if draw(st.integers(0, 9)) == 0:
        data["not_a_field"] = 1
    return data


@pytest.mark.parametrize("model", FAST_MODELS, ids=lambda m: m.__name__)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_plain_record_is_what_validation_makes(
    model: type[BaseModel], data: st.DataObject
) -> None:
    _same_as_pydantic(model, data.draw(field_data(model)))


@settings(max_examples=200, deadline=None)
@given(
    facts=st.sampled_from(["x", "tiktok", "youtube", "mastodon", "bluesky"]).flatmap(media_facts),
    keep=st.sets(st.sampled_from(list(MediaFacts.model_fields)), max_size=6),
)
def test_facts_as_a_reader_gives_them_take_the_plain_path(
    facts: MediaFacts, keep: set[str]
) -> None:
    """Generated metadata (every kind of fact, near every limit), with some fields left to
    their defaults: the same record as validation, made without a validator."""
    data = {name: value for name, value in vars(facts).items() if name not in keep}
    assert _same_as_pydantic(MediaFacts, data)


def test_what_the_readers_and_checks_make_takes_the_plain_path() -> None:
    """The records of a one-file check are made without a validator (else the first one
    builds pydantic's schema machinery: the point of the module)."""
    taken = [
        _same_as_pydantic(MediaFacts, {"path": "a.jpg", "kind": "image", "format": "jpeg",
                                       "size": 5429, "width": 640, "height": 480, "mode": "RGB",
                                       "frames": 1, "has_alpha": False, "orientation": None}),
        _same_as_pydantic(MediaFacts, {"path": "c.mp4", "kind": "video", "format": "mp4",
                                       "brand": "isom", "size": 14000, "width": 640,
                                       "height": 360, "fps": Fraction(30000, 1001),
                                       "variable_frame_rate": False, "duration_s": 5.0,
                                       "video_codec": "h264", "audio_codec": "aac",
                                       "bit_rate": 22400, "rotation": 0,
                                       "audio_sample_rate": 48000, "bit_depth": 8,
                                       "notes": ("Pillow: a note",)}),
        _same_as_pydantic(requirements.OneOf,
                          {"fact": "format", "values": ["png"], "prefer": "png"}),
        _same_as_pydantic(requirements.OneOf,
                          {"fact": "audio_sample_rate", "values": [44100, 48000]}),
        _same_as_pydantic(requirements.Bound, {"fact": "width", "at_most": Fraction(1080),
                                               "at_least": None, "exclusive": False}),
        _same_as_pydantic(requirements.Shorter, {"field": "caption", "limit": 280,
                                                 "unit": "weighted", "url_length": 23}),
        _same_as_pydantic(requirements.ByHand, {"task": "Write alt text"}),
    ]  # fmt: skip
    assert all(taken)
    shared = requirements.bound(fact="width", at_most=1080)
    assert shared == requirements.Bound(fact="width", at_most=1080)
    assert type(shared.at_most) is Fraction


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (MediaFacts, {"width": True}),  # a bool is not an int here
        (MediaFacts, {"duration_s": 5}),  # validation makes 5.0 of it
        (MediaFacts, {"fps": "30000/1001"}),
        (MediaFacts, {"fps": 30}),
        (MediaFacts, {"width": -1}),
        (MediaFacts, {"orientation": 9}),
        (MediaFacts, {"duration_s": math.nan}),
        (MediaFacts, {"notes": ["a list"]}),
        (MediaFacts, {"path": "a", "unknown": 1}),
        (requirements.Bound, {"fact": "width", "at_most": 1080}),  # made a Fraction
        (requirements.Bound, {"fact": "width", "at_most": 1.5}),
        (requirements.Shorter, {"field": "caption", "limit": -1, "unit": "x"}),
        (requirements.OneOf, {"fact": "format", "values": ("png",)}),
    ],
)
def test_values_validation_would_change_or_refuse_are_left_to_it(
    model: type[BaseModel], data: dict[str, Any]
) -> None:
    assert not _same_as_pydantic(model, data)


def test_models_with_validators_are_never_filled() -> None:
    record = Report.__new__(Report)
    assert not init_plain(record, {"ok": True, "violations": [], "media": []})


# -- dumps -----------------------------------------------------------------------------------


def _dumped_as_pydantic(record: BaseModel) -> bool:
    """Assert that ``to_jsonable`` agrees with ``model_dump(mode="json")``; return whether it
    dumped the record."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydantic warns about values of undeclared types
        expected = record.model_dump(mode="json")
    try:
        dumped = to_jsonable(record)
    except NotPlainError:
        return False
    assert dumped == expected
    assert json_text(dumped) == json_text(expected)  # the same types: 1 is not 1.0 in JSON
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(post=st.from_type(Post))
def test_a_checked_post_dumps_as_pydantic_dumps_it(post: Post) -> None:
    report = post.check()
    assert _dumped_as_pydantic(report)
    assert report_json(report) == json_text(report.model_dump(mode="json"))


_PRIMITIVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.fractions(max_denominator=1000),
    st.lists(st.text(max_size=3), max_size=3),
    st.lists(st.integers(), max_size=2),
    st.sampled_from([Severity.INFO, Applicability.SAFE, Decimal("2.5"), (1, 2), {"a": 1}]),
)


@st.composite
def constructed_reports(draw: st.DrawFn) -> Report:
    """Reports built without validation, as the engine builds them, holding values of any
    type where the declarations allow a few (and some they do not)."""
    requires = [
        draw(
            st.sampled_from(
                [
                    requirements.bound(fact="width", at_most=1080),
                    requirements.Bound(fact="fps", at_most=Fraction(30000, 1001), exclusive=True),
                    requirements.Bound(fact="aspect_ratio", at_least=Fraction(1, 3)),
                    requirements.one_of(fact="format", values=("png", "jpeg"), prefer="png"),
                    requirements.OneOf(fact="audio_sample_rate", values=[44100, 48000]),
                    requirements.ConstantRate(),
                    requirements.Shorter(field="caption", limit=280, unit="weighted"),
                    requirements.Spread(max_items=4, mixing_allowed=False),
                    requirements.Dropped(),
                    requirements.ByHand(task="Write a title"),
                ]
            )
        )
        for _ in range(draw(st.integers(0, 3)))
    ]
    params = draw(st.dictionaries(st.text(max_size=4), _PRIMITIVES, max_size=3))
    fix = construct_trusted(
        Fix,
        {
            "title": draw(st.text(max_size=10)),
            "applicability": draw(st.sampled_from(list(Applicability))),
            "steps": [construct_trusted(FixStep, {"op": "convert_image", "params": params})],
            "loses": draw(st.lists(st.text(max_size=5), max_size=2)),
            "requires": requires,
        },
    )
    violation = construct_trusted(
        Violation,
        {
            "code": "image.too_large",
            "severity": draw(st.sampled_from(list(Severity))),
            "platform": "x",
            "media_index": draw(st.one_of(st.none(), st.integers(0, 3))),
            "path": draw(st.one_of(st.none(), st.text(max_size=6))),
            "message": draw(st.text(max_size=10)),
            "actual": draw(_PRIMITIVES),
            "limit": draw(_PRIMITIVES),
            "source": draw(st.one_of(st.none(), st.text(max_size=6))),
            "fix": draw(st.one_of(st.none(), st.just(fix))),
            "evidence": draw(st.sampled_from([None, "official", "third-party"])),
        },
    )
    facts = MediaFacts(
        path="a.mp4",
        kind="video",
        fps=draw(st.one_of(st.none(), st.fractions(min_value=1, max_value=240))),
        duration_s=draw(st.one_of(st.none(), st.floats(min_value=0, allow_infinity=True))),
        notes=tuple(draw(st.lists(st.text(max_size=4), max_size=2))),
    )
    media = [facts, construct_trusted(MediaFacts, {**vars(facts), "duration_s": 5})]
    return construct_trusted(
        Report,
        {"ok": False, "violations": [violation], "media": draw(st.sampled_from([[], media]))},
    )


@settings(max_examples=300, deadline=None)
@given(report=constructed_reports())
def test_a_constructed_report_dumps_as_pydantic_dumps_it_or_is_left_to_it(report: Report) -> None:
    _dumped_as_pydantic(report)


def test_values_pydantic_would_convert_are_left_to_it() -> None:
    """A Fraction, a Decimal or a tuple where a violation's ``actual`` is declared a str,
    int, float or bool: pydantic writes them its own way (with a warning)."""
    for odd in (Fraction(3, 2), Decimal("1.5"), (1, 2)):
        fields = {"code": "c", "severity": Severity.INFO, "platform": "x", "media_index": None,
                  "path": None, "message": "m", "actual": odd, "limit": None, "source": None,
                  "fix": None, "evidence": None}  # fmt: skip
        violation = construct_trusted(Violation, fields)
        report = construct_trusted(Report, {"ok": True, "media": [], "violations": [violation]})
        assert not _dumped_as_pydantic(report)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert report_json(report) == json_text(report.model_dump(mode="json"))
