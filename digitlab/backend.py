"""Importing Keras (and TensorFlow behind it) once per process, quietly but without hiding anything else.

TensorFlow's C++ start-up notes (CPU features, oneDNN) would bury the one line of ours that matters (an
error about a file, say): TF_CPP_MIN_LOG_LEVEL=3 keeps its C++ logging to fatal errors. Its CUDA stub
still prints two lines before that logging starts; they stay, because the only way to hide them is to
point the whole process's stderr at nothing while the import runs, and in a server other threads'
messages (a visitor's error, say) would be lost with them.
"""

import gc
import os
import sys
import threading

_import_lock = threading.Lock()  # the app imports in a background thread while a page may ask too


def import_keras():
    """The keras module, imported once; import errors still raise as usual.

    Callers wait until the import has finished: a module still being imported by another thread is
    only half there."""
    with _import_lock:
        first = "keras" not in sys.modules
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import keras

        if first:
            # TensorFlow's hundreds of thousands of objects live as long as the process: take them out of
            # the garbage collector's full passes (a Streamlit server runs one after every script run).
            gc.freeze()
    return keras
