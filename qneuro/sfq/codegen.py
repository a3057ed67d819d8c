"""brian2 code generation targets, chosen per object (no global preference is changed)."""

from __future__ import annotations

__all__ = ["CODEGEN_TARGETS", "code_object_class"]

#: Targets the SFQ models run on: ``numpy`` (no compiler) and ``cython`` (compiled,
#: cached in ``~/.cython``).
CODEGEN_TARGETS = ("numpy", "cython")


def code_object_class(target: str) -> type:
    """The brian2 code object class of ``target`` (``"numpy"`` or ``"cython"``)."""
    if target == "numpy":
        from brian2.codegen.runtime.numpy_rt import NumpyCodeObject

        return NumpyCodeObject
    if target == "cython":
        from brian2.codegen.runtime.cython_rt import CythonCodeObject

        return CythonCodeObject
    raise ValueError(f"target={target!r}; allowed: {', '.join(CODEGEN_TARGETS)}")
