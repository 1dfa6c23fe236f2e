"""Timing the canvas -> probabilities path on real drawings, against Keras's model.predict."""

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


def percentiles(seconds: list[float]) -> dict:
    ms = np.asarray(seconds) * 1000
    return {"p50": round(float(np.percentile(ms, 50)), 4), "p95": round(float(np.percentile(ms, 95)), 4)}


def canvas_drawings(count: int = 200) -> list[np.ndarray]:
    """Real pen-drawn digits rendered as 280 x 280 RGBA canvas images, the app's input."""
    pen = load_pen_digits(PEN_SAMPLE)
    return [render_strokes(pen.strokes(i % len(pen))) for i in range(count)]


def bench_network(name: str, drawings: list[np.ndarray], predict_calls: int = 30) -> dict:
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
    keras_predict = []
    inputs = [as_network_input(network.model, to_mnist(d)[None]) for d in drawings[: predict_calls + 1]]
    network.model.predict(inputs[0], verbose=0)
    for x in inputs[1:]:
        started = time.perf_counter()
        network.model.predict(x, verbose=0)
        keras_predict.append(time.perf_counter() - started)
    result = {
        "preprocess_ms": percentiles(preprocess),
        "inference_ms": percentiles(inference),
        "total_ms": percentiles(total),
        "keras_predict_ms": percentiles(keras_predict),
    }
    result["speedup_vs_keras_predict_p50"] = round(result["keras_predict_ms"]["p50"] / result["total_ms"]["p50"], 1)
    return result


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


def run(count: int = 200) -> dict:
    use_one_blas_thread()  # as the app's server does (digitlab.blas)
    drawings = canvas_drawings(count)
    results = {name: bench_network(name, drawings) for name in available_networks()}
    results["canvas_png_decode_ms"] = png_decode_ms(drawings[:50])
    return results
