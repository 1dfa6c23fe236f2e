"""One BLAS thread per process, for a server that answers many people at once.

NumPy's OpenBLAS splits a product as small as one drawing's convolution (196 x 288 by 288 x 64) over
every core, and its helper threads then spin, waiting for more work: on a 2-core server each stroke
cost 64 ms of CPU instead of 19, and a classroom of strokes queued behind the spinning. Many requests
at once are the parallelism a server needs; each product on one thread is the fastest way to answer
it. (What threadpoolctl does, for the one library NumPy bundles, without another dependency.)
"""

import ctypes
import importlib
from pathlib import Path

SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads64_",
           "openblas_set_num_threads")


def use_one_blas_thread() -> int:
    """Sets every OpenBLAS loaded in this process to one thread; returns how many libraries were set."""
    importlib.import_module("numpy")  # loads NumPy's OpenBLAS, if it was not loaded yet

    done = 0
    for library in _loaded_openblas():
        handle = ctypes.CDLL(library)  # the library already loaded: dlopen returns the same handle
        setter = next((getattr(handle, name) for name in SETTERS if hasattr(handle, name)), None)
        if setter is not None:
            setter(1)
            done += 1
    return done


def _loaded_openblas() -> list[str]:
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:  # not Linux: leave the defaults
        return []
    paths = {line.split()[-1] for line in maps.splitlines() if "openblas" in line.lower() and "/" in line}
    return sorted(paths)
