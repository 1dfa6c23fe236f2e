"""The committed corpus of broken and odd model files (tests/data/bad_models/), each named for what is wrong.

    python -m tools.make_bad_models

Every page and the command line must answer each with one clear message, never a traceback; the Lambda
file carries Python code that must never run (it would create $DIGITLAB_LAMBDA_MARKER).
"""

import io
import json
import zipfile
from pathlib import Path

from digitlab.backend import import_keras

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "bad_models"


def tiny(keras, inputs: int = 784):
    """The smallest network of the seed network's form: pixels -> Dense(10, softmax)."""
    return keras.Sequential([keras.Input((inputs,)), keras.layers.Dense(10, activation="softmax")])


def saved(model) -> bytes:
    path = OUT / ".tmp.keras"
    model.save(path)
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
    for name, data in files.items():
        (OUT / name).write_bytes(data)
        print(f"{name}: {len(data):,} bytes")


if __name__ == "__main__":
    main()
