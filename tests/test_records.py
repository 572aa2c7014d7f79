"""records.dataclass behaves as dataclasses.dataclass for the subset the package uses:
each class body below is built by both, and every observable answer compared."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from git_claude_sync import records
from git_claude_sync.records import FrozenInstanceError


def both(body: Callable[[Callable[..., Any], Callable[..., Any]], type]) -> tuple[type, type]:
    """The class ``body(decorator, field)`` makes, once with each implementation."""
    return body(dataclasses.dataclass, dataclasses.field), body(records.dataclass, records.field)


def plain(dc: Callable[..., Any], field: Callable[..., Any]) -> type:
    @dc
    class Plain:
        a: int
        b: str = "x"
        c: list[int] = field(default_factory=list)
        d: int | None = field(default=None, compare=False, repr=False)

        def total(self) -> int:
            return self.a + len(self.c)

    return Plain


def frozen(dc: Callable[..., Any], field: Callable[..., Any]) -> type:
    @dc(frozen=True)
    class Frozen:
        path: bytes
        n: int = 0
        tags: tuple[str, ...] = ()
        seen: set[str] = field(default_factory=set, compare=False, repr=False)

    return Frozen


def empty(dc: Callable[..., Any], field: Callable[..., Any]) -> type:
    @dc(frozen=True)
    class Empty:
        pass

    return Empty


def own_methods(dc: Callable[..., Any], field: Callable[..., Any]) -> type:
    @dc(frozen=True)
    class Own:
        a: int

        def __repr__(self) -> str:
            return "own"

        def __hash__(self) -> int:
            return 7

    return Own


def test_plain_records_match_dataclasses() -> None:
    real, ours = both(plain)
    for args, kwargs in [((1,), {}), ((1, "y", [2, 3], 4), {}), ((), {"a": 5, "d": 9})]:
        r, o = real(*args, **kwargs), ours(*args, **kwargs)
        assert repr(r).replace("test_plain_records_match_dataclasses.<locals>.", "") == repr(
            o
        ).replace("test_plain_records_match_dataclasses.<locals>.", "")
        assert vars(r) == vars(o)
        assert o == ours(*args, **kwargs) and o.total() == r.total()
    assert ours(1, d=1) == ours(1, d=2)  # compare=False
    assert ours(1) != ours(2) and ours(1) != real(1)
    assert ours(1).c is not ours(1).c  # a new list each time
    assert ours.__hash__ is None and real.__hash__ is None
    o = ours(1)
    o.a = 3
    assert o.a == 3
    assert ours.__match_args__ == real.__match_args__ == ("a", "b", "c", "d")
    assert ours.b == real.b == "x" and ours.d is None and not hasattr(ours, "c")
    with pytest.raises(TypeError):
        ours()
    with pytest.raises(TypeError):
        ours(1, e=2)


def test_frozen_records_match_dataclasses() -> None:
    real, ours = both(frozen)
    r, o = real(b"p", 2, ("t",)), ours(b"p", 2, ("t",))
    assert repr(o).endswith("Frozen(path=b'p', n=2, tags=('t',))")
    assert repr(o).split("Frozen")[1] == repr(r).split("Frozen")[1]
    assert hash(o) == hash(r) == hash((b"p", 2, ("t",)))
    assert o == ours(b"p", 2, ("t",), {"other"}) and {o: 1}[ours(b"p", 2, ("t",))] == 1
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'n'"):
        o.n = 3
    with pytest.raises(AttributeError):
        o.other = 1  # type: ignore[attr-defined]
    with pytest.raises(FrozenInstanceError, match="cannot delete field 'n'"):
        del o.n
    assert records.replace(o, n=5) == ours(b"p", 5, ("t",))
    assert records.replace(o, n=5).tags is o.tags
    assert records.asdict(o) == dataclasses.asdict(r)
    assert copy.copy(o) == o and copy.deepcopy(o) == o


def test_empty_and_own_methods_match_dataclasses() -> None:
    real, ours = both(empty)
    assert ours() == ours() and hash(ours()) == hash(real()) == hash(())
    assert repr(ours()).endswith("Empty()")
    real, ours = both(own_methods)
    assert repr(ours(1)) == repr(real(1)) == "own"
    assert hash(ours(1)) == hash(real(1)) == 7
    assert ours(1) == ours(1) and ours(1) != ours(2)


def one_field(dc: Callable[..., Any], field: Callable[..., Any]) -> type:
    @dc(frozen=True)
    class One:
        a: str
        b: int = field(default=0, compare=False)

    return One


def test_one_compared_field_hashes_as_dataclasses() -> None:
    real, ours = both(one_field)
    assert hash(ours("x")) == hash(real("x")) == hash(("x",))
    assert ours("x", 1) == ours("x", 2) and ours("x") != ours("y")


def test_recursive_repr_says_dots() -> None:
    _, ours = both(plain)
    o = ours(1)
    o.c = [o]
    assert repr(o).endswith("Plain(a=1, b='x', c=[...])")


def test_mutable_default_refused() -> None:
    with pytest.raises(ValueError, match="mutable default"):

        @records.dataclass
        class Bad:
            a: list[int] = []  # noqa: RUF012


def test_init_compiled_at_first_instance_says_what_dataclasses_says() -> None:
    real, ours = both(frozen)
    placeholder = ours.__init__
    for attempt in range(2):  # the first call compiles, the second is the real __init__
        for args in [(), (b"p", 1, (), set(), "extra")]:
            with pytest.raises(TypeError) as theirs:
                real(*args)
            with pytest.raises(TypeError) as mine:
                ours(*args)
            assert str(mine.value).split("__init__")[1] == str(theirs.value).split("__init__")[1]
        assert ours(b"p") == ours(b"p")
        assert (ours.__init__ is placeholder) == (attempt == -1)
    assert ours.__init__.__qualname__.endswith("Frozen.__init__")

    class Sub(ours):  # type: ignore[valid-type,misc]
        pass

    _, fresh = both(plain)

    class Child(fresh):  # type: ignore[valid-type,misc]
        pass

    assert Child(1).a == 1 and fresh(2).a == 2  # a subclass's first instance compiles it too
    assert Sub(b"q").path == b"q"


def test_what_records_do_not_do_is_refused_not_done_otherwise() -> None:
    """A ClassVar, an InitVar, __post_init__ or a record inheriting one: dataclasses would
    treat each otherwise than records could, so a class using one fails to build."""
    from typing import ClassVar

    with pytest.raises(TypeError, match="ClassVar"):

        @records.dataclass
        class Counted:
            a: int
            count: ClassVar[int] = 0

    with pytest.raises(TypeError, match="__post_init__"):

        @records.dataclass
        class Checked:
            a: int

            def __post_init__(self) -> None:
                pass

    @records.dataclass
    class Base:
        a: int

    with pytest.raises(TypeError, match="inherits"):

        @records.dataclass
        class Child(Base):
            b: int
