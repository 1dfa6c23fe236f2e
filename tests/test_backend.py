"""Importing TensorFlow never silences the process's stderr: in a server, other threads write there meanwhile."""

import subprocess
import sys

from support import ROOT

# A thread writes numbered lines straight to file descriptor 2 while the main thread imports Keras.
SCRIPT = """
import os, threading, time
from digitlab.backend import import_keras
done = threading.Event()
def chatter():
    for i in range(200):
        os.write(2, f"other thread line {i}\\n".encode())
        time.sleep(0.01)
    done.set()
threading.Thread(target=chatter).start()
time.sleep(0.05)
import_keras()
done.wait()
"""


def test_other_threads_lines_survive_the_tensorflow_import():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("other thread line")]
    assert len(lines) == 200
    assert "cpu_feature_guard" not in result.stderr  # TensorFlow's own C++ notes are still kept quiet
