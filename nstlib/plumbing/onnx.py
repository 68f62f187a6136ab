"""Reading the weight tensors out of an ``.onnx`` file, without the onnx package.

An ``.onnx`` file is one protocol-buffer message (a ``ModelProto``). Its weights are the graph's
``initializer`` tensors. Protobuf's wire format is simple enough to read by hand: a stream of
``(field number, wire type)`` keys, each followed by a varint, a fixed-size value or a
length-prefixed blob. This module reads just the fields that hold float32 tensors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from nstlib.errors import NstlibError

# ONNX TensorProto data types used here → NumPy dtypes (onnx.proto: FLOAT = 1).
_ONNX_DTYPES = {1: np.float32}


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """Decode one protobuf varint at ``pos``; return ``(value, next position)``."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def _fields(data: bytes):
    """Yield ``(field number, value)`` for each field of a protobuf message (wire format)."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:  # varint
            value, pos = _varint(data, pos)
        elif wire_type == 2:  # length-delimited: bytes, strings, sub-messages, packed arrays
            length, pos = _varint(data, pos)
            value, pos = data[pos : pos + length], pos + length
        elif wire_type in (1, 5):  # fixed 64 / 32 bits
            size = 8 if wire_type == 1 else 4
            value, pos = data[pos : pos + size], pos + size
        else:
            raise NstlibError(f"unsupported protobuf wire type {wire_type}: not an ONNX file?")
        yield number, value


def _tensor(message: bytes) -> tuple[str, np.ndarray]:
    """Decode an ONNX ``TensorProto`` (dims = 1, data_type = 2, float_data = 4, name = 8, raw_data = 9)."""
    dims, name, dtype, raw, floats = [], "", None, None, b""
    for number, value in _fields(message):
        if number == 1:
            if isinstance(value, int):
                dims.append(value)
            else:  # packed repeated int64
                pos = 0
                while pos < len(value):
                    dim, pos = _varint(value, pos)
                    dims.append(dim)
        elif number == 2:
            dtype = value
        elif number == 4:
            floats += value  # bytes either way: packed (wire type 2) or one fixed32 (type 5)
        elif number == 8:
            name = value.decode()
        elif number == 9:
            raw = value
    if dtype not in _ONNX_DTYPES:
        raise NstlibError(f"ONNX tensor {name!r} has data type {dtype}; only float32 is read.")
    array = np.frombuffer(raw if raw is not None else floats, dtype=_ONNX_DTYPES[dtype])
    return name, array.reshape(dims).copy()


def read_onnx_initializers(path: str | Path) -> dict[str, torch.Tensor]:
    """The named weights (graph initializers) stored in an ``.onnx`` file, as tensors.

    ``ModelProto.graph`` is field 7 and ``GraphProto.initializer`` is field 5 (see ``onnx.proto``).
    """
    path = Path(path)
    if not path.is_file():
        raise NstlibError(f"ONNX file not found: {path}.")
    graph = next((v for n, v in _fields(path.read_bytes()) if n == 7), None)
    if graph is None:
        raise NstlibError(f"{path} holds no ONNX graph; is it really an .onnx model?")
    return {
        name: torch.from_numpy(array)
        for name, array in (_tensor(v) for n, v in _fields(graph) if n == 5)
    }
