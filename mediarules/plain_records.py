"""Records made and dumped without pydantic's validator or serializer, where that is exact.

pydantic builds a model's validator and serializer the first time either is needed, and the
first one built in a process imports its plugin loader (and ``importlib.metadata`` with it):
tens of milliseconds, more than the rest of a one-file ``check``. Yet the records on the way
from a file to a JSON report mostly hold values that validation keeps as given (a ``str``, an
``int`` within its bounds, a ``Fraction``) and that serialize as themselves. For those, this
module does the same work from the fields' declarations:

- :func:`init_plain` stores a model's fields when every value is one its field accepts
  unchanged, and declines (returns False) for anything else, so that the caller validates:
  the same record, or the same error, either way.
- :func:`to_jsonable` is ``model_dump(mode="json")`` for a record whose every value it can
  place, and raises :class:`NotPlainError` for anything else (the caller then asks pydantic).

What "unchanged" means is decided conservatively, per union member: a member takes a value
as is only when its exact type is the member's type (``bool`` is not an ``int`` here, an
``int`` is not a ``float``), within the field's ``ge``/``gt``/``le``/``lt`` bounds. A union is
settled only when one member takes the value and every other one surely fails it in strict
mode: pydantic's "smart" unions try every member strictly first, and keep the only one that
succeeds. Models with validators, serializers, aliases, private attributes,
``model_post_init`` or any config beyond ``frozen``, ``extra`` and ``defer_build`` are never
handled here.
``tests/test_plain_records.py`` holds both functions to pydantic over generated values.
"""

from __future__ import annotations

import enum
import operator
import types
from collections.abc import Callable
from fractions import Fraction
from typing import Annotated, Any, Literal, Union, cast, get_args, get_origin

import annotated_types
from pydantic import BaseModel, BeforeValidator, PlainSerializer
from pydantic.fields import FieldInfo

__all__ = ["NotPlainError", "init_plain", "to_jsonable"]


class NotPlainError(Exception):
    """A value :func:`to_jsonable` cannot place exactly as pydantic would."""


_SIMPLE_CONFIG = frozenset({"frozen", "extra", "defer_build", "title"})
"""Config keys that change neither what validation stores nor what a dump gives."""

_NOT_NUMBERS = (str, bytes, bool, type(None), list, tuple, dict, set, frozenset)
"""What a ``float`` refuses in strict mode (it takes ints, Fractions and Decimals)."""

_NOT_SEQUENCES = (str, bytes, int, float, type(None), Fraction)

_ACCEPT, _STRICT_FAIL, _UNSURE = 0, 1, 2

_Outcome = tuple[int, Any]
_Member = Callable[[Any], _Outcome]
"""One union member's verdict on a value: takes it as is (with the value to store: a list is
copied), surely fails it in strict mode, or cannot say."""


# ---------------------------------------------------------------------------------------------
# making records


def init_plain(record: BaseModel, data: dict[str, Any]) -> bool:
    """Fill ``record`` (a new instance, from its ``__init__``) with ``data`` as validation
    would, if every value is one its field takes unchanged; otherwise do nothing and return
    False."""
    plan = _init_plan(type(record))
    if plan is None or not data.keys() <= plan.keys():
        return False  # a key that is no field: the validator says which
    values: dict[str, Any] = {}
    for name, (take, field, default) in plan.items():
        if name in data:
            verdict, value = take(data[name])
            if verdict != _ACCEPT:
                return False
            values[name] = value
        elif default is not _ASK:
            values[name] = default
        elif field.is_required():
            return False
        else:
            values[name] = field.get_default(call_default_factory=True, validated_data=values)
    _SET_DICT(record, values)
    _SET_FIELDS_SET(record, set(data))
    _SET_EXTRA(record, None)
    _SET_PRIVATE(record, None)
    return True


_ASK: Any = object()
"""A default the field must be asked for each time (a factory, or a value pydantic copies)."""

_IMMUTABLE = (type(None), bool, int, float, str, bytes, Fraction, enum.Enum)


def _fixed_default(field: FieldInfo) -> Any:
    """The field's default when it is one immutable value (what ``get_default`` would return
    every time, uncopied), else :data:`_ASK`."""
    if field.is_required() or field.default_factory is not None:
        return _ASK
    default = field.default
    if isinstance(default, _IMMUTABLE) or default == ():
        return default
    return _ASK


_InitPlan = dict[str, tuple[_Member, FieldInfo, Any]]
_init_plans: dict[type[BaseModel], _InitPlan | None] = {}


def _init_plan(model: type[BaseModel]) -> _InitPlan | None:
    """Each field's name, how it takes a value, and its declaration; None when the model is
    not one this module may fill."""
    if model in _init_plans:
        return _init_plans[model]
    plan: _InitPlan | None = None
    fields = model.__pydantic_fields__
    simple_fields = not any(
        field.alias or field.validation_alias or field.validate_default for field in fields.values()
    )
    if simple_fields and _simple_model(model, validators=True):
        try:
            plan = {
                name: (_field_member(field), field, _fixed_default(field))
                for name, field in fields.items()
            }
        except NotPlainError:
            plan = None
    _init_plans[model] = plan
    return plan


def _simple_model(model: type[BaseModel], *, validators: bool) -> bool:
    """A model whose fields are all there is to it (for making it too: no validator)."""
    decorators = model.__pydantic_decorators__
    hooks = [decorators.field_serializers, decorators.model_serializers, decorators.computed_fields]
    if validators:
        hooks += [
            decorators.validators,
            decorators.field_validators,
            decorators.root_validators,
            decorators.model_validators,
        ]
    return (
        not any(hooks)
        and getattr(model, "__pydantic_fields_complete__", True)
        and not model.__private_attributes__
        and getattr(model, "__pydantic_post_init__", None) is None
        and set(model.model_config) <= _SIMPLE_CONFIG
        and model.model_config.get("extra") in (None, "forbid", "ignore")
    )


def _field_member(field: FieldInfo) -> _Member:
    arms = _arms(field.annotation)
    members = [_member(arm) for arm in arms]
    bounds = _bounds(field.metadata)
    if bounds is not None and sum(arm is not type(None) for arm in arms) != 1:
        raise NotPlainError("bounds on a union")  # which member they bound is pydantic's business
    general = _union(members, bounds)
    exact = frozenset(arms)
    if not exact <= _SCALARS or {int, float} <= exact:
        return general
    # Every arm a plain scalar (an int and a float arm excepted: strict mode is unsure of an
    # int there): a value of exactly one of those types is taken by its own arm alone.

    def take(value: Any) -> _Outcome:
        if type(value) in exact and (value is None or bounds is None or bounds(value)):
            return _ACCEPT, value
        return general(value)

    return take


_SCALARS = frozenset({type(None), str, int, float, bool})


def _union(members: list[_Member], bounds: Callable[[Any], bool] | None) -> _Member:
    def take(value: Any) -> _Outcome:
        found: _Outcome | None = None
        for member in members:
            verdict, stored = member(value)
            if verdict == _UNSURE:
                return _UNSURE, None
            if verdict == _ACCEPT:
                if found is not None:
                    return _UNSURE, None  # two members take it: pydantic picks one
                found = (_ACCEPT, stored)
        if found is None:
            return _UNSURE, None  # no member takes it as is: lax mode may convert it
        if bounds is not None and value is not None and not bounds(found[1]):
            return _UNSURE, None  # out of bounds: the validator says so
        return found

    return take


def _arms(annotation: Any) -> list[Any]:
    if get_origin(annotation) in (Union, types.UnionType):
        return [arm for member in get_args(annotation) for arm in _arms(member)]
    return [annotation]


def _bounds(metadata: list[Any]) -> Callable[[Any], bool] | None:
    tests: list[tuple[Callable[[Any, Any], bool], Any]] = []
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            tests.append((operator.ge, item.ge))
        elif isinstance(item, annotated_types.Gt):
            tests.append((operator.gt, item.gt))
        elif isinstance(item, annotated_types.Le):
            tests.append((operator.le, item.le))
        elif isinstance(item, annotated_types.Lt):
            tests.append((operator.lt, item.lt))
        else:
            raise NotPlainError(f"constraint {item!r}")
    if not tests:
        return None
    return lambda value: all(compare(value, bound) for compare, bound in tests)


def _member(annotation: Any) -> _Member:
    """How one union member takes a value (raises NotPlainError for a member it cannot judge)."""
    if annotation is type(None):
        return lambda v: (_ACCEPT, None) if v is None else (_STRICT_FAIL, None)
    if annotation in (str, int, float, bool):
        return _scalar(annotation)
    origin = get_origin(annotation)
    if origin is Literal:
        return _literal(get_args(annotation))
    if origin is Annotated:
        return _annotated(annotation)
    if origin in (list, tuple):
        return _sequence(annotation)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return lambda v: (
            (_ACCEPT, v)
            if type(v) is annotation
            else (_UNSURE, None)
            if isinstance(v, annotation)
            else (_STRICT_FAIL, None)
        )
    raise NotPlainError(f"type {annotation!r}")


def _scalar(kind: type) -> _Member:
    """``str``, ``int``, ``float`` or ``bool``: strict mode takes a str subclass as a str, an
    int subclass as an int (never a bool), any real number as a float, only a bool as one."""

    def take(value: Any) -> _Outcome:
        if type(value) is kind:
            return _ACCEPT, value
        if kind is str:
            fails = not isinstance(value, str)
        elif kind is int:
            fails = not isinstance(value, int) or isinstance(value, bool)
        elif kind is float:
            fails = isinstance(value, _NOT_NUMBERS)
        else:
            fails = True
        return (_STRICT_FAIL, None) if fails else (_UNSURE, None)

    return take


def _literal(allowed: tuple[Any, ...]) -> _Member:
    if not all(type(choice) is str for choice in allowed):
        raise NotPlainError("a literal of other than strings")

    def take(value: Any) -> _Outcome:
        if type(value) is str:
            return (_ACCEPT, value) if value in allowed else (_STRICT_FAIL, None)
        if isinstance(value, str):
            return _UNSURE, None  # an enum member equal to one of them...
        return _STRICT_FAIL, None

    return take


def _annotated(annotation: Any) -> _Member:
    """``Annotated[Fraction, BeforeValidator(f), PlainSerializer(g)]``: a Fraction the
    validators hand back unchanged is taken as is."""
    base, *metadata = get_args(annotation)
    befores: list[Callable[[Any], Any]] = []
    for item in metadata:
        if isinstance(item, BeforeValidator):
            befores.append(cast(Callable[[Any], Any], item.func))
        elif not isinstance(item, PlainSerializer):
            raise NotPlainError(f"metadata {item!r}")
    if base is not Fraction:
        raise NotPlainError(f"annotated {base!r}")

    def take(value: Any) -> _Outcome:
        result = value
        try:
            for before in befores:
                result = before(result)
        except (ValueError, AssertionError):
            return _STRICT_FAIL, None  # refused by its own validator, strict or lax
        except Exception:
            return _UNSURE, None
        if type(result) is Fraction:
            return (_ACCEPT, result) if result is value else (_UNSURE, None)
        if not isinstance(result, Fraction):
            return _STRICT_FAIL, None  # strict mode takes only a Fraction
        return _UNSURE, None

    return take


def _sequence(annotation: Any) -> _Member:
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        raise NotPlainError("a fixed-length tuple")
    item = _union([_member(arm) for arm in _arms(args[0])], None)

    def take(value: Any) -> _Outcome:
        if type(value) is not origin:
            if isinstance(value, _NOT_SEQUENCES):
                return _STRICT_FAIL, None
            return _UNSURE, None
        stored = []
        for element in value:
            verdict, kept = item(element)
            if verdict != _ACCEPT:
                return _UNSURE, None
            stored.append(kept)
        return _ACCEPT, (stored if origin is list else tuple(stored))  # a record's own copy

    return take


def _slot_setter(name: str) -> Callable[[BaseModel, Any], None]:
    """The setter of one of ``BaseModel``'s ``__slots__`` (a frozen record refuses setattr)."""
    setter: Callable[[BaseModel, Any], None] = vars(BaseModel)[name].__set__
    return setter


def _SET_DICT(record: BaseModel, values: dict[str, Any]) -> None:  # noqa: N802
    object.__setattr__(record, "__dict__", values)


_SET_FIELDS_SET = _slot_setter("__pydantic_fields_set__")
_SET_EXTRA = _slot_setter("__pydantic_extra__")
_SET_PRIVATE = _slot_setter("__pydantic_private__")


# ---------------------------------------------------------------------------------------------
# dumping records


def to_jsonable(record: BaseModel) -> Any:
    """``record.model_dump(mode="json")``, for a record whose values :class:`NotPlainError` does
    not stop."""
    return _dump_model(record)


_Dumper = Callable[[Any], Any]
_dump_plans: dict[type[BaseModel], list[tuple[str, _Dumper]]] = {}


def _dump_model(record: Any) -> dict[str, Any]:
    model = type(record)
    plan = _dump_plans.get(model)
    if plan is None:
        plan = _dump_plans[model] = _dump_plan(model)
    values = record.__dict__
    if record.__pydantic_extra__:
        raise NotPlainError("extra fields")
    return {name: dump(values[name]) for name, dump in plan}


def _dump_plan(model: type[BaseModel]) -> list[tuple[str, _Dumper]]:
    if not _simple_model(model, validators=False):
        raise NotPlainError(f"{model.__name__} is not a plain record")
    plan = []
    for name, field in model.__pydantic_fields__.items():
        if field.exclude or field.serialization_alias:
            raise NotPlainError(f"{model.__name__}.{name} is excluded or renamed")
        plan.append((name, _field_dumper(field.annotation)))
    return plan


def _field_dumper(annotation: Any) -> _Dumper:
    arms = _arms(annotation)
    exact: dict[type, _Dumper] = {}
    floats = float in arms and int not in arms  # an int in a float field is written 1.0
    for arm in arms:
        if arm is type(None):
            exact[type(None)] = _same
        elif arm in (str, int, float, bool):
            exact[arm] = _same
        elif get_origin(arm) is Literal:
            exact[str] = _same
        elif get_origin(arm) is Annotated:
            base, *metadata = get_args(arm)
            records = get_origin(base) in (Union, types.UnionType) or (
                isinstance(base, type) and issubclass(base, BaseModel)
            )
            if records:
                for inner in _arms(base):  # a discriminated union of records
                    exact[inner] = _dump_model
            else:
                exact[base] = _annotated_dumper(base, metadata)
        elif get_origin(arm) in (list, tuple):
            exact[get_origin(arm)] = _sequence_dumper(arm)
        elif get_origin(arm) is dict:
            exact[dict] = _dict_dumper(arm)
        elif isinstance(arm, type) and issubclass(arm, enum.Enum):
            exact[arm] = _enum_value
        elif isinstance(arm, type) and issubclass(arm, BaseModel):
            exact[arm] = _dump_model
        else:
            raise NotPlainError(f"type {arm!r}")

    def dump(value: Any) -> Any:
        found = exact.get(type(value))
        if found is not None:
            return found(value)
        if floats and type(value) is int:
            return float(value)
        raise NotPlainError(f"a {type(value).__name__} where {annotation!r} is declared")

    return dump


def _same(value: Any) -> Any:
    return value


def _enum_value(value: Any) -> Any:
    result = value.value
    if type(result) not in (str, int):
        raise NotPlainError("an enum of other values")
    return result


def _annotated_dumper(base: Any, metadata: list[Any]) -> _Dumper:
    serializers = [item for item in metadata if isinstance(item, PlainSerializer)]
    if base is not Fraction or len(serializers) != 1:
        raise NotPlainError(f"annotated {base!r}")
    serializer = serializers[0]
    if serializer.when_used not in ("always", "json", "unless-none", "json-unless-none"):
        raise NotPlainError(f"a serializer used {serializer.when_used}")
    as_float = serializer.return_type is float

    def dump(value: Any) -> Any:
        result = serializer.func(value)  # type: ignore[call-arg]
        if as_float and type(result) is int:
            return float(result)
        if type(result) not in (int, float, str) or (as_float and type(result) is not float):
            raise NotPlainError("a serializer's result")
        return result

    return dump


def _sequence_dumper(annotation: Any) -> _Dumper:
    args = get_args(annotation)
    if get_origin(annotation) is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        raise NotPlainError("a fixed-length tuple")
    item = _field_dumper(args[0])
    return lambda value: [item(element) for element in value]


def _dict_dumper(annotation: Any) -> _Dumper:
    key, value_type = get_args(annotation)
    if key is not str:
        raise NotPlainError("a dict with other keys than str")
    item = _field_dumper(value_type)

    def dump(value: dict[Any, Any]) -> dict[str, Any]:
        if not all(type(name) is str for name in value):
            raise NotPlainError("a key that is no str")
        return {name: item(element) for name, element in value.items()}

    return dump
