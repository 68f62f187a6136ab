"""Plant one bug in nstlib for the duration of a ``with`` block.

Two kinds of patch cover every bug in the suite:

* :func:`edit_source`: replace one piece of text in a function's (or method's) source with another
  and swap the recompiled code into the *existing* function object. Every caller sees the bug, even
  a module that did ``from nstlib.style import gram_matrix`` before the patch: they all hold the
  same function object, and only its ``__code__`` (and defaults) changed.
* :func:`replace_constant`: give a module-level constant another value everywhere it was copied
  by reference: other modules' ``from ... import NAME``, function defaults and dataclass field
  defaults.

Both undo themselves on exit, so the rest of the test session runs the real library.
"""

from __future__ import annotations
import __future__

import dataclasses
import gc
import inspect
import textwrap
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _function(target: Any) -> types.FunctionType:
    """The plain function behind a function, method, staticmethod, classmethod or property getter."""
    if isinstance(target, property):
        target = target.fget
    target = getattr(target, "__func__", target)
    if not isinstance(target, types.FunctionType):
        raise TypeError(f"{target!r} is not a Python function")
    return target


def _recompile(function: types.FunctionType, source: str) -> types.FunctionType:
    """Compile ``source`` (one ``def``) so that its code can replace ``function.__code__``.

    The definition is nested in a factory whose parameters are ``function``'s free variables
    (``__class__`` for a method that calls ``super()``), so the new code expects the same closure.
    """
    freevars = function.__code__.co_freevars
    factory = (
        f"def __factory({', '.join(freevars)}):\n"
        f"{textwrap.indent(source, '    ')}\n"
        f"    return {function.__name__}\n"
    )
    flags = __future__.annotations.compiler_flag  # nstlib's modules postpone annotations
    code = compile(factory, f"<planted bug in {function.__qualname__}>", "exec", flags, True)
    namespace = dict(function.__globals__)
    exec(code, namespace)  # noqa: S102  (test-only: our own source, edited by our own table)
    return namespace["__factory"](*(cell.cell_contents for cell in function.__closure__ or ()))


@contextmanager
def edit_source(target: Any, old: str, new: str) -> Iterator[None]:
    """Within the block, ``target`` runs its source with ``old`` replaced by ``new`` (once).

    ``old`` must occur exactly once in the source, so a table entry cannot silently stop
    planting its bug when the library is edited.
    """
    function = _function(target)
    source = textwrap.dedent(inspect.getsource(function))
    # Drop decorators (@staticmethod...): only the def itself is recompiled and swapped in.
    source = source[source.index("def ") :]
    if source.count(old) != 1:
        raise AssertionError(
            f"{function.__qualname__}: expected the text {old!r} exactly once in its source, "
            f"found it {source.count(old)} times; update the known-bug table."
        )
    edited = _recompile(function, source.replace(old, new))
    saved = (function.__code__, function.__defaults__, function.__kwdefaults__)
    function.__code__ = edited.__code__
    function.__defaults__, function.__kwdefaults__ = edited.__defaults__, edited.__kwdefaults__
    try:
        yield
    finally:
        function.__code__, function.__defaults__, function.__kwdefaults__ = saved


@contextmanager
def replace_constant(module: types.ModuleType, name: str, value: Any) -> Iterator[None]:
    """Within the block, ``module.name`` and every reference to that same object become ``value``.

    References are found with :func:`gc.get_referrers`: module and class dictionaries (another
    module's ``from ... import``), function defaults and dataclass fields. Undone on exit.
    """
    old = getattr(module, name)
    undo: list = []
    for holder in gc.get_referrers(old):
        if isinstance(holder, dict):
            for key in [k for k, v in holder.items() if v is old]:
                holder[key] = value
                undo.append(lambda h=holder, k=key: h.__setitem__(k, old))
        elif isinstance(holder, dataclasses.Field) and holder.default is old:
            holder.default = value
            undo.append(lambda f=holder: setattr(f, "default", old))
        elif isinstance(holder, tuple):  # a function's __defaults__ holds the constant
            for function in gc.get_referrers(holder):
                if isinstance(function, types.FunctionType) and function.__defaults__ is holder:
                    function.__defaults__ = tuple(value if v is old else v for v in holder)
                    undo.append(lambda f=function, d=holder: setattr(f, "__defaults__", d))
    try:
        yield
    finally:
        for step in reversed(undo):
            step()
