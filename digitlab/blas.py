"""One BLAS thread per process, for a server that answers many people at once.

NumPy's OpenBLAS splits a product as small as one drawing's convolution (196 x 288 by 288 x 64) over
every core, and its helper threads then spin, waiting for more work: on a 2-core server each stroke
cost about three times the CPU, and a classroom of strokes queued behind the spinning. Many requests
at once are the parallelism a server needs; each product on one thread is the fastest way to answer it.
The networks now run in ONNX Runtime, set to one thread the same way (digitlab.onnx_reader); NumPy's
products that remain (preprocessing, the pages' pictures) keep this rule.
threadpoolctl finds the BLAS libraries loaded in the process, whichever build NumPy bundles, and sets them.
"""

import importlib

from threadpoolctl import threadpool_info, threadpool_limits


def use_one_blas_thread() -> int:
    """Sets every BLAS loaded in this process to one thread; returns how many libraries were set."""
    importlib.import_module("numpy")  # loads NumPy's BLAS, if it was not loaded yet: there is one to set
    threadpool_limits(limits=1, user_api="blas")
    return sum(1 for pool in threadpool_info() if pool["user_api"] == "blas" and pool["num_threads"] == 1)
