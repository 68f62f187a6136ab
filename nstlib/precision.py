"""Which arithmetic to run in: bf16 autocast where the hardware has it natively, fp32 elsewhere.

Mixed precision halves the bytes moved and, on hardware with bf16 units, doubles the arithmetic
rate. It only pays where those units exist: on a CPU without them, bf16 is emulated and *slower*
than fp32. So ``"auto"`` chooses per machine:

==========================================  =====================================================
hardware                                    ``"auto"`` runs
==========================================  =====================================================
CUDA GPU with bf16 (Ampere and newer)       ``bf16`` autocast
older CUDA GPU                              ``fp16`` autocast with a gradient scaler
CPU with AVX512-BF16 or AMX (recent Xeons)  ``bf16`` autocast
any other CPU, Apple MPS                    ``fp32``
==========================================  =====================================================

Autocast keeps the weights and the optimiser in fp32 and runs only convolutions and matrix
products in the low precision, so losses are still reported in fp32. Every command prints which
precision ran.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import torch

from nstlib.errors import NstlibError

PRECISIONS = ("auto", "bf16", "fp16", "fp32")
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": None}


@dataclass(frozen=True)
class Precision:
    """A chosen precision: its ``name`` ("bf16", "fp16" or "fp32") and the device type it runs on.

    ``with precision.autocast():`` wraps a forward pass; ``needs_grad_scaler`` says whether the
    backward pass needs ``torch.amp.GradScaler`` (fp16 only: its small range underflows gradients).
    """

    name: str
    device_type: str

    @property
    def dtype(self) -> torch.dtype | None:
        """The autocast dtype, or ``None`` for plain fp32."""
        return _DTYPES[self.name]

    @property
    def needs_grad_scaler(self) -> bool:
        return self.name == "fp16"

    def autocast(self) -> contextlib.AbstractContextManager:
        """``torch.autocast`` for this precision, or a no-op for fp32."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)


def cpu_has_native_bf16() -> bool:
    """Whether this CPU has bf16 arithmetic units (AVX512-BF16 or AMX), read from the OS.

    On Linux the answer is the ``flags`` line of ``/proc/cpuinfo``; elsewhere it is ``False`` (Apple
    and most laptop CPUs have no such units, and a wrong "yes" would make everything slower).
    """
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.is_file():
        return False
    flags = next((line for line in cpuinfo.read_text().splitlines() if line.startswith("flags")), "")
    return any(flag in flags.split() for flag in ("avx512_bf16", "amx_bf16"))


def choose_precision(device: torch.device | str, requested: str = "auto") -> Precision:
    """The precision to run on ``device``: ``requested`` if it is not ``"auto"``, else the table.

    Args:
        device: where the networks run (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``).
        requested: one of ``PRECISIONS``. An explicit ``"bf16"`` on a CPU without bf16 units is
            honoured (it is correct, only slow); ``"fp16"`` needs a CUDA GPU.
    """
    if requested not in PRECISIONS:
        raise NstlibError(
            f"precision={requested!r} is not one of {', '.join(PRECISIONS)} (--precision)."
        )
    device_type = torch.device(device).type
    if requested == "fp16" and device_type != "cuda":
        raise NstlibError(
            f"precision='fp16' needs a CUDA GPU; this run is on {device_type}. Use bf16 or fp32."
        )
    if requested != "auto":
        return Precision(requested, device_type)
    if device_type == "cuda":
        return Precision("bf16" if torch.cuda.is_bf16_supported() else "fp16", device_type)
    if device_type == "cpu" and cpu_has_native_bf16():
        return Precision("bf16", device_type)
    return Precision("fp32", device_type)
