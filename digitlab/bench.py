"""Timing the canvas -> probabilities path on real drawings: ONNX Runtime (how the app reads a saved network),
against Keras's direct call `model(x)` (how it reads a network just trained) and `model.predict`."""

import base64
import io
import time

import numpy as np
from PIL import Image

from digitlab.blas import use_one_blas_thread
from digitlab.config import PEN_SAMPLE, available_networks, model_path
from digitlab.inference import as_network_input, load_network
from digitlab.pen import load_pen_digits, render_strokes
from digitlab.preprocess import to_mnist
from digitlab.verdict import load_judge


def percentiles(seconds: list[float]) -> dict:
    ms = np.asarray(seconds) * 1000
    return {"p50": round(float(np.percentile(ms, 50)), 4), "p95": round(float(np.percentile(ms, 95)), 4)}


def canvas_drawings(count: int = 200) -> list[np.ndarray]:
    """Real pen-drawn digits rendered as 280 x 280 RGBA canvas images, the app's input."""
    pen = load_pen_digits(PEN_SAMPLE)
    return [render_strokes(pen.strokes(i % len(pen))) for i in range(count)]


def bench_reading(name: str, drawings: list[np.ndarray]) -> dict:
    """Per drawing: to_mnist, then the saved network in ONNX Runtime, as the Draw page reads a stroke."""
    network = load_network(model_path(name), name)
    network.probabilities(to_mnist(drawings[0])[None])  # warm-up: first calls build graphs and caches
    preprocess, inference, total = [], [], []
    for drawing in drawings:
        started = time.perf_counter()
        x = to_mnist(drawing)
        prepared = time.perf_counter()
        network.probabilities(x[None])
        done = time.perf_counter()
        preprocess.append(prepared - started)
        inference.append(done - prepared)
        total.append(done - started)
    return {
        "preprocess_ms": percentiles(preprocess),
        "inference_ms": percentiles(inference),
        "total_ms": percentiles(total),
    }


def bench_keras(name: str, drawings: list[np.ndarray], reading: dict) -> dict:
    """The same network's Keras model on drawings, called directly (as a network just trained on the Train page
    is) and through predict; with how many times faster ONNX Runtime's `reading` is."""
    model = load_network(model_path(name), name).model
    inputs = [as_network_input(model, to_mnist(d)[None]) for d in drawings]
    result = {
        "keras_call_ms": percentiles(timed(lambda x: model(x, training=False), inputs)),
        "keras_predict_ms": percentiles(timed(lambda x: model.predict(x, verbose=0), inputs)),
    }
    for keras in ("keras_call", "keras_predict"):
        result[f"inference_speedup_vs_{keras}_p50"] = round(
            result[f"{keras}_ms"]["p50"] / reading["inference_ms"]["p50"], 1
        )
    return result


def timed(call, inputs: list) -> list[float]:
    """Seconds per call on each input, after one untimed call (the first builds graphs)."""
    call(inputs[0])
    times = []
    for x in inputs:
        started = time.perf_counter()
        call(x)
        times.append(time.perf_counter() - started)
    return times


def bench_judge(drawings: list[np.ndarray]) -> dict:
    """The digit-or-not detector's class probabilities for one drawing, as the Draw page asks at every stroke."""
    judge = load_judge()
    inputs = [to_mnist(drawing)[None] for drawing in drawings]
    return {"inference_ms": percentiles(timed(judge.class_probabilities, inputs))}


def png_decode_ms(drawings: list[np.ndarray]) -> dict:
    """What the canvas component itself spends turning its PNG data URL into image_data (before our code runs)."""
    urls = []
    for drawing in drawings:
        buffer = io.BytesIO()
        Image.fromarray(drawing).save(buffer, format="PNG")
        urls.append("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode())
    times = []
    for url in urls:
        started = time.perf_counter()
        np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(";base64,", 1)[1]))))
        times.append(time.perf_counter() - started)
    return percentiles(times)


def run(count: int = 200, keras_calls: int = 30) -> dict:
    """Every network read with ONNX Runtime first, then with Keras: TensorFlow, once imported, keeps threads
    that would share the processors with the reading (the Draw page never imports it)."""
    use_one_blas_thread()  # as the app's server does (digitlab.blas)
    drawings = canvas_drawings(count)
    results = {name: bench_reading(name, drawings) for name in available_networks()}
    results["digit_or_not"] = bench_judge(drawings)
    results["canvas_png_decode_ms"] = png_decode_ms(drawings[:50])
    for name in available_networks():
        results[name].update(bench_keras(name, drawings[:keras_calls], results[name]))
    return results
