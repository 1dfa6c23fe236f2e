"""The committed corpus of broken and odd model files (tests/data/bad_models/), each named for what is wrong.

    python -m tools.make_bad_models

Every page and the command line must answer each with one clear message, never a traceback; the Lambda
file carries Python code that must never run (it would create $DIGITLAB_LAMBDA_MARKER). The .keras files
are what the Inside page loads into Keras; the .onnx files, in bad_models/onnx/, what every page reads
drawings with (a folder or an unreadable file in their place are made by the tests themselves).
"""

import io
import json
import zipfile
from pathlib import Path

from digitlab.backend import import_keras
from digitlab.onnx_export import export_onnx

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "bad_models"
ONNX_OUT = OUT / "onnx"


def tiny(keras, inputs: int = 784, outputs: int = 10):
    """The smallest network of the seed network's form: pixels -> Dense(10, softmax)."""
    return keras.Sequential([keras.Input((inputs,)), keras.layers.Dense(outputs, activation="softmax")])


def two_headed(keras):
    """Pixels -> ten probabilities and a second answer beside them."""
    pixels = keras.Input((784,))
    return keras.Model(pixels, [keras.layers.Dense(10, activation="softmax")(pixels), keras.layers.Dense(1)(pixels)])


def saved(model, suffix: str = ".keras") -> bytes:
    path = OUT / f".tmp{suffix}"
    model.save(path) if suffix == ".keras" else export_onnx(model, path)
    data = path.read_bytes()
    path.unlink()
    return data


def with_config(model_bytes: bytes, change) -> bytes:
    """The same .keras file with its config.json changed by `change` (a dict -> JSON-able function)."""
    source, out = zipfile.ZipFile(io.BytesIO(model_bytes)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "config.json":
                data = json.dumps(change(json.loads(data))).encode()
            target.writestr(item, data)
    return out.getvalue()


def renamed_layer(config: dict) -> dict:
    config["config"]["layers"][1]["class_name"] = "FancyLayer"
    return config


def without_layer_config(config: dict) -> dict:
    del config["config"]["layers"][1]["config"]
    return config


def main() -> None:
    keras = import_keras()
    OUT.mkdir(parents=True, exist_ok=True)
    good = saved(tiny(keras))
    code = keras.layers.Lambda(
        lambda x: (
            __import__("pathlib").Path(__import__("os").environ.get("DIGITLAB_LAMBDA_MARKER", "/dev/null")).touch(),
            x,
        )[1]
    )
    files = {
        "truncated.keras": good[: len(good) // 2],
        "not_a_zip.keras": b"This is a text file that someone renamed to .keras.\n",
        "unknown_layer.keras": with_config(good, renamed_layer),
        "missing_keys.keras": with_config(good, without_layer_config),
        "list_config.keras": with_config(good, lambda config: [config]),
        "wrong_input_shape.keras": saved(tiny(keras, inputs=100)),
        "lambda.keras": saved(
            keras.Sequential([keras.Input((784,)), code, keras.layers.Dense(10, activation="softmax")])
        ),
    }
    good_graph = saved(tiny(keras), ".onnx")
    graphs = {
        "truncated.onnx": good_graph[: len(good_graph) // 2],
        "not_onnx.onnx": b"This is a text file that someone renamed to .onnx.\n",
        "wrong_input_shape.onnx": saved(tiny(keras, inputs=100), ".onnx"),
        "five_outputs.onnx": saved(tiny(keras, outputs=5), ".onnx"),
        "two_outputs.onnx": saved(two_headed(keras), ".onnx"),
    }
    ONNX_OUT.mkdir(exist_ok=True)
    for folder, made in ((OUT, files), (ONNX_OUT, graphs)):
        for name, data in made.items():
            (folder / name).write_bytes(data)
            print(f"{name}: {len(data):,} bytes")


if __name__ == "__main__":
    main()
