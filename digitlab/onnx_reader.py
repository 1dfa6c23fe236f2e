"""Reading drawings with a saved network's .onnx file, through ONNX Runtime: no TensorFlow, no layer code of ours.

A page reads every stroke, and TensorFlow takes seconds to import and milliseconds per call. ONNX Runtime
runs the graph that Keras exported (digitlab.onnx_export) in a fraction of a millisecond, on one thread:
a server answering a class has its parallelism in the many requests, not inside one product (as
digitlab.blas sets NumPy's BLAS). It is imported when the first graph is read, not with this module: a
page that only shows the canvas need not wait for it.

A graph is checked when it is read, so that a damaged or foreign file is refused then, with one reason,
and never fails in the middle of a page: it must take one float input of 28 x 28 values per image and
give one output of the expected size, finite on a blank picture.
"""

import math

import numpy as np

from digitlab.config import IMAGE_SIZE

BATCH = 256  # images through the graph at once: a convnet's activations grow with the batch


class OnnxGraph:
    """A saved network's graph in an ONNX Runtime session: (N, ...) float32 images in, (N, outputs) out.

    input_shape is the graph's, with None for the batch, as keras.Model.input_shape gives it ((None, 784)
    for a Dense network, (None, 28, 28, 1) for a convnet). Raises ValueError, saying why, for a graph that
    is not one of those (the bytes of a foreign or damaged file, the wrong shapes, more than one output).
    """

    def __init__(self, data: bytes, outputs: int):
        self._session = session = _session(data)  # kept: it owns the compiled session that _run calls
        inputs, results = session.get_inputs(), session.get_outputs()
        if len(inputs) != 1:
            raise ValueError(f"it takes {len(inputs)} inputs, not one picture")
        if len(results) != 1:
            raise ValueError(f"it gives {len(results)} outputs, not one")
        given = inputs[0]
        self._input_name, self.input_shape = given.name, _input_shape(given)
        # The session's run() checks the feed in Python before calling its compiled session: a measurable share
        # of a small network's reading (tools.reader_ab). This class builds the feed, so the checks cannot fail.
        self._run = session._sess.run
        self._outputs = [results[0].name]
        if given.type != "tensor(float)":
            raise ValueError(f"it takes {given.type}, not a picture of float32 pixels")
        try:
            probe = self.run(np.zeros((1, *self.input_shape[1:]), np.float32))
        except Exception as error:  # ONNX Runtime's own errors derive from Exception only
            raise ValueError(f"it does not run on a blank picture ({type(error).__name__}: {error})") from error
        if probe.shape != (1, outputs) or not np.isfinite(probe).all():
            raise ValueError(f"its output for one picture has the shape {list(probe.shape[1:])}, not [{outputs}]")

    def run(self, x: np.ndarray) -> np.ndarray:
        """(N, outputs) for x of shape (N, *input_shape[1:]), float32."""
        if len(x) <= BATCH:
            return self._run(self._outputs, {self._input_name: x}, None)[0]
        return np.concatenate([self.run(x[start : start + BATCH]) for start in range(0, len(x), BATCH)])


def _session(data: bytes):
    """An ONNX Runtime session on the CPU with one thread for the graph's operators, quiet but for errors."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: its warnings would fill a server's log
    try:
        return onnxruntime.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as error:  # a file that is not a graph, or one it cannot run: its errors derive from Exception
        raise ValueError(f"not a readable ONNX graph ({type(error).__name__}: {_first_line(error)})") from error


def _input_shape(given) -> tuple:
    """The graph's input shape with None for the batch; a ValueError unless it is one 28 x 28 picture per image."""
    shape = (None, *given.shape[1:])
    if len(given.shape) < 2 or not all(isinstance(size, int) for size in shape[1:]):
        raise ValueError(f"its input has the shape {given.shape}, not one of a batch of pictures")
    if math.prod(shape[1:]) != IMAGE_SIZE * IMAGE_SIZE:
        raise ValueError(f"it does not take a {IMAGE_SIZE} x {IMAGE_SIZE} picture (its input is {list(shape[1:])})")
    return shape


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else ""
