"""Call liftcomp's emitted CUDA kernels from Python (ctypes; PyTorch tensors or CuPy arrays).

    import torch, launcher
    k = launcher.Kernel("./libmatmul_gemm1.sm_90a.so", "matmul_gemm1")
    k([a, b, d], dims=[M, N, K, 1])            # buffers in kernels.h order, dims as the kind wants

Build the libraries first with ./build.sh (the commands of compile_commands.json). Every call
checks the kernel's return code and raises with its message.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _ptr(x: Any) -> int:
    if hasattr(x, "data_ptr"):  # torch
        return int(x.data_ptr())
    if hasattr(x, "data") and hasattr(x.data, "ptr"):  # cupy
        return int(x.data.ptr)
    raise TypeError(f"not a device array: {type(x).__name__}")


def _stream(x: Any) -> int:
    try:
        import torch  # pyright: ignore[reportMissingImports]

        if isinstance(x, torch.Tensor):
            return int(torch.cuda.current_stream().cuda_stream)
    except ImportError:
        pass
    try:
        import cupy  # pyright: ignore[reportMissingImports]

        return int(cupy.cuda.get_current_stream().ptr)
    except ImportError:
        return 0


class Kernel:
    def __init__(self, library: str | Path, name: str):
        self.lib = ctypes.CDLL(str(Path(library).resolve()))
        self.name = name
        self.fn = getattr(self.lib, f"lc_{name}")
        self.fn.restype = ctypes.c_int
        self.err = getattr(self.lib, f"lc_{name}_error")
        self.err.restype = ctypes.c_char_p

    def __call__(self, buffers: Sequence[Any], dims: Sequence[int], scalars: Sequence[float] = (),
                 stream: int | None = None) -> None:
        bufs = (ctypes.c_void_p * len(buffers))(*[_ptr(b) for b in buffers])
        d = (ctypes.c_int64 * 4)(*(list(dims) + [0] * (4 - len(dims))))
        s = (ctypes.c_double * max(1, len(scalars)))(*scalars)
        st = _stream(buffers[0]) if stream is None else stream
        rc = self.fn(bufs, d, s, ctypes.c_void_p(st))
        if rc != 0:
            raise RuntimeError(f"lc_{self.name} failed ({rc}): {self.err().decode()}")
