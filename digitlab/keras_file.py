"""Reading a saved .keras network's layers and weights without importing TensorFlow.

A .keras file is a zip of config.json (the layers, in order, with their settings) and model.weights.h5
(each layer's variables under layers/<class, numbered>/vars/<i>, in the layer's own order). Reading them takes
milliseconds; importing TensorFlow to load the same network takes seconds. The Draw page reads its
drawings with these weights in NumPy (digitlab.numpy_forward), so it never waits for TensorFlow.
"""

import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WEIGHTED = ("Dense", "Conv2D", "BatchNormalization")  # the layer kinds that cannot be without weights


@dataclass(frozen=True)
class LayerSpec:
    """One layer: its Keras class name, its config, and its weights as Keras's get_weights() gives them."""

    kind: str
    config: dict
    weights: list[np.ndarray]


@dataclass(frozen=True)
class SavedLayers:
    input_shape: tuple  # (None, ...) as keras.Model.input_shape
    layers: list[LayerSpec]


def read_keras_file(path: str | Path) -> SavedLayers:
    """The layers of the Sequential network saved at `path`. Raises ValueError if it is not one (or is damaged)."""
    import h5py  # Keras's own dependency; small beside TensorFlow

    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
            weights_file = io.BytesIO(archive.read("model.weights.h5"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError, EOFError) as error:
        raise ValueError(f"not a readable .keras file ({type(error).__name__}: {error})") from error
    try:
        return _layers(config, weights_file, h5py)
    except (KeyError, TypeError, AttributeError, IndexError) as error:  # a config of another shape
        raise ValueError(f"its config.json is not a Keras network's ({type(error).__name__}: {error})") from error
    except OSError as error:
        raise ValueError(f"its weights are unreadable ({error})") from error


def _layers(config: dict, weights_file, h5py) -> SavedLayers:
    if config.get("class_name") != "Sequential":
        raise ValueError(f"a {config.get('class_name')} network, not a Sequential one")
    layer_configs = config["config"]["layers"]
    first = layer_configs[0]["config"] if layer_configs and layer_configs[0]["class_name"] == "InputLayer" else None
    if first is None:
        raise ValueError("the network does not begin with its input shape")
    with h5py.File(weights_file, "r") as weights:
        used: dict[str, int] = {}
        layers = [
            LayerSpec(entry["class_name"], entry["config"], _variables(weights, _path(entry, used)))
            for entry in layer_configs[1:]
        ]
    missing = [layer.config.get("name") for layer in layers if layer.kind in WEIGHTED and not layer.weights]
    if missing:
        raise ValueError(f"no weights for its layers {missing}")
    return SavedLayers(input_shape=tuple(first["batch_shape"]), layers=layers)


def model_layers(model) -> SavedLayers:
    """The same description of a Keras model in memory (one just trained, say)."""
    return SavedLayers(
        input_shape=tuple(model.input_shape),
        layers=[LayerSpec(type(layer).__name__, layer.get_config(), layer.get_weights()) for layer in model.layers],
    )


def _path(entry: dict, used: dict[str, int]) -> str:
    """Where Keras saved a layer's variables: not under the layer's own name (names are often made up
    afresh in each process), but under its class name in snake case, numbered from the second of a kind
    on (dense, dense_1, ...), in the order of the layers (keras/src/saving/saving_lib.py)."""
    name = re.sub(r"\W+", "", entry["class_name"])
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _variables(weights, name: str) -> list[np.ndarray]:
    group = weights.get(f"layers/{name}/vars")
    if group is None:
        return []
    return [np.asarray(group[str(i)]) for i in range(len(group))]
