"""Importing Keras (and TensorFlow behind it) without the C++ start-up chatter.

TensorFlow prints CUDA probes and CPU-feature notes to stderr from C++ before any Python logging is
set up, which buries the one line of ours that matters (an error about a file, say). TF_CPP_MIN_LOG_LEVEL
silences what comes later; the lines printed during the import itself can only be kept off stderr.
"""

import gc
import importlib
import os
import sys
import threading

_import_lock = threading.Lock()  # the app imports in a background thread while a page may ask too


def import_keras():
    """The keras module, imported once, quietly; import errors still raise as usual.

    Callers wait until the import has finished: a module still being imported by another thread is
    only half there."""
    with _import_lock:
        if "keras" not in sys.modules:
            _quiet_import()
            # TensorFlow's hundreds of thousands of objects live as long as the process: take them out of
            # the garbage collector's full passes (a Streamlit server runs one after every script run).
            gc.freeze()
        import keras
    return keras


def _quiet_import() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved_stderr = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            importlib.import_module("keras")
    finally:
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
