"""The networks, as Keras models. `dense` is the classic first example of Deep Learning with Python."""

import keras
from keras import layers

from digitlab.config import IMAGE_SIZE, NUM_CLASSES


def build_dense() -> keras.Model:
    """784 pixels -> Dense(512, relu) -> Dense(10, softmax), compiled with rmsprop and cross-entropy."""
    model = keras.Sequential(
        [
            keras.Input(shape=(IMAGE_SIZE * IMAGE_SIZE,)),
            layers.Dense(512, activation="relu"),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="dense",
    )
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


BUILDERS = {"dense": build_dense}


def build(name: str) -> keras.Model:
    return BUILDERS[name]()
