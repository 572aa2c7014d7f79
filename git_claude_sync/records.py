"""``@dataclass`` as this package uses it, without the ``dataclasses`` module (issue 14).

Every push, pull and status imported ``dataclasses`` (with ``inspect``, ``ast``, ``dis``,
``tokenize``: ~8 ms) and built ~30 classes with it before the sync began (~14 ms: an
``exec`` for each method, ``inspect.signature`` for each class's ``__doc__``).  This
builds the same methods as closures, and compiles only ``__init__`` (its signature names
the fields), at the class's first instance: a third of the records a push defines never
make one.  For the subset used here:
``@dataclass`` and ``@dataclass(frozen=True)``; ``field(default=, default_factory=,
repr=, compare=)``; every annotation a field (no ``ClassVar``, ``InitVar``,
``__post_init__``, inheritance between records or ``slots``).

What a class gets is what ``dataclasses`` gives it: ``__init__`` (defaults, factories),
``__repr__`` (``Name(a=1, b=2)``, recursion-safe), ``__eq__`` (same class, fields as
a tuple), ``__hash__`` (of the fields when frozen, None otherwise, unless the class
defines one), ``__match_args__``, and when frozen ``__setattr__``/``__delattr__`` that
raise ``FrozenInstanceError`` (an ``AttributeError``).  Methods a class defines itself
are kept.  Not given: ``__dataclass_fields__`` (so ``dataclasses.replace`` and
``asdict`` do not apply: use ``replace`` and ``asdict`` here) and the ``__doc__`` made
from the signature.
"""

from __future__ import annotations

from _thread import get_ident
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")

#: What a record class keeps of its fields (``replace``, ``asdict``).
FIELDS = "__record_fields__"


class FrozenInstanceError(AttributeError):
    """A field of a frozen record assigned or deleted."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Field:
    """What ``field()`` says of one field."""

    __slots__ = ("name", "default", "default_factory", "repr", "compare")

    def __init__(self, default: Any, default_factory: Any, repr: bool, compare: bool) -> None:
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.repr = repr
        self.compare = compare


@overload
def field(*, default: T, repr: bool = True, compare: bool = True) -> T: ...
@overload
def field(*, default_factory: Callable[[], T], repr: bool = True, compare: bool = True) -> T: ...
def field(
    *,
    default: Any = MISSING,
    default_factory: Any = MISSING,
    repr: bool = True,
    compare: bool = True,
) -> Any:
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return Field(default, default_factory, repr, compare)


@overload
def dataclass(cls: type[T], /) -> type[T]: ...
@overload
def dataclass(*, frozen: bool = False) -> Callable[[type[T]], type[T]]: ...
@dataclass_transform(field_specifiers=(field, Field))
def dataclass(cls: type[T] | None = None, /, *, frozen: bool = False) -> Any:
    if cls is None:
        return lambda c: _process(c, frozen)
    return _process(cls, frozen)


def replace(obj: T, /, **changes: Any) -> T:
    """``dataclasses.replace`` for a record: a copy with ``changes``."""
    for f in getattr(type(obj), FIELDS):
        if f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    return type(obj)(**changes)


def asdict(obj: object) -> dict[str, Any]:
    """``dataclasses.asdict`` for a record whose fields hold immutable plain values
    (``asdict`` would copy them deeply: the same values)."""
    return {f.name: getattr(obj, f.name) for f in getattr(type(obj), FIELDS)}


def _recursive_repr(user_function: Callable[[Any], str]) -> Callable[[Any], str]:
    # As dataclasses' own: a record that holds itself shows "..." there.
    running: set[tuple[int, int]] = set()

    def wrapper(self: Any) -> str:
        key = id(self), get_ident()
        if key in running:
            return "..."
        running.add(key)
        try:
            return user_function(self)
        finally:
            running.discard(key)

    return wrapper


def _fields(cls: type) -> list[Field]:
    if any(hasattr(base, FIELDS) for base in cls.__mro__[1:]) or "__post_init__" in cls.__dict__:
        raise TypeError(f"{cls.__name__}: a record neither inherits one nor has __post_init__")
    fields = []
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if "ClassVar" in str(annotation) or "InitVar" in str(annotation):
            # dataclasses would leave it out of the fields: say so rather than differ.
            raise TypeError(f"{cls.__name__}.{name}: no ClassVar or InitVar in a record")
        value = cls.__dict__.get(name, MISSING)
        f = value if isinstance(value, Field) else Field(value, MISSING, True, True)
        f.name = name
        if isinstance(value, Field):
            if f.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, f.default)
        if f.default is not MISSING and type(f.default).__hash__ is None:
            raise ValueError(
                f"mutable default {type(f.default)} for field {name} is not allowed: "
                "use default_factory"
            )
        fields.append(f)
    return fields


def _process(cls: type[T], frozen: bool) -> type[T]:
    fields = _fields(cls)
    setattr(cls, FIELDS, tuple(fields))
    own = cls.__dict__
    methods = _methods(cls, fields, frozen)
    methods["__init__"] = _first_init(cls, fields, frozen)
    # dataclasses' rule for eq=True: a __hash__ the class defines stays; else frozen
    # records hash their compared fields and the others are unhashable.
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    if explicit_hash:
        del methods["__hash__"]
    elif not frozen:
        methods["__hash__"] = None
    if frozen and ("__setattr__" in own or "__delattr__" in own):
        raise TypeError(f"cannot overwrite attribute __setattr__ in class {cls.__name__}")
    for name, method in methods.items():
        # As dataclasses: methods the class defines stay, but the hash rule is applied.
        if name == "__hash__" or name not in own:
            if method is not None:
                method.__qualname__ = f"{cls.__qualname__}.{name}"
            setattr(cls, name, method)
    if "__match_args__" not in own:
        setattr(cls, "__match_args__", tuple(f.name for f in fields))  # noqa: B010 (type[T])
    return cls


def _first_init(cls: type, fields: list[Field], frozen: bool) -> Any:
    """An ``__init__`` that compiles the real one (~0.13 ms) at the first instance and
    puts it in its own place: every later instance calls the real one directly."""
    owner: Any = cls

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        real = _init(fields, frozen)
        real.__qualname__ = f"{owner.__qualname__}.__init__"
        owner.__init__ = real
        real(self, *args, **kwargs)

    return __init__


def _init(fields: list[Field], frozen: bool) -> Any:
    """``__init__``, compiled: its signature names the fields (the one ``exec`` a class;
    the other methods are closures, as compiling them cost ~0.3 ms a class)."""
    scope: dict[str, Any] = {"MISSING": MISSING, "__object_setattr": object.__setattr__}
    params, body = [], []
    for f in fields:
        value = f.name
        if f.default_factory is not MISSING:
            scope[f"_factory_{f.name}"] = f.default_factory
            params.append(f"{f.name}=MISSING")
            value = f"_factory_{f.name}() if {f.name} is MISSING else {f.name}"
        elif f.default is not MISSING:
            scope[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        else:
            params.append(f.name)
        if frozen:
            body.append(f" __object_setattr(__record_self__, {f.name!r}, {value})")
        else:
            body.append(f" __record_self__.{f.name} = {value}")
    source = [f"def __init__(__record_self__, {', '.join(params)}):", *(body or [" pass"])]
    exec("\n".join(source), scope)
    return scope["__init__"]


def _methods(cls: type, fields: list[Field], frozen: bool) -> dict[str, Any]:
    """``__repr__``, ``__eq__``, ``__hash__`` and a frozen record's ``__setattr__`` and
    ``__delattr__``, answering as dataclasses' compiled ones do."""
    names = tuple(f.name for f in fields)
    shown = tuple(f.name for f in fields if f.repr)
    values = _values([f.name for f in fields if f.compare])

    def __repr__(self: Any) -> str:
        inside = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{self.__class__.__qualname__}({inside})"

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(values(self))

    methods: dict[str, Any] = {
        "__repr__": _recursive_repr(__repr__),
        "__eq__": __eq__,
        "__hash__": __hash__,
    }
    if frozen:
        owner: Any = cls  # mypy takes a closure's type for an instance in super()

        def __setattr__(self: Any, name: str, value: Any) -> None:
            if type(self) is owner or name in names:
                raise FrozenInstanceError(f"cannot assign to field {name!r}")
            super(owner, self).__setattr__(name, value)

        def __delattr__(self: Any, name: str) -> None:
            if type(self) is owner or name in names:
                raise FrozenInstanceError(f"cannot delete field {name!r}")
            super(owner, self).__delattr__(name)

        methods["__setattr__"] = __setattr__
        methods["__delattr__"] = __delattr__
    return methods


def _values(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The tuple of these fields' values that dataclasses compares and hashes."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()
