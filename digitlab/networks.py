"""The networks, as Keras models. `dense` is the classic first example of Deep Learning with Python;
`cnn` is a small convolutional network, trained on augmented digits (digitlab.augment) to read drawings."""

import keras
from keras import layers

from digitlab.config import IMAGE_SIZE, NUM_CLASSES


def build_dense(units: int = 512, dropout: float = 0.0, name: str = "dense") -> keras.Model:
    """784 pixels -> Dense(units, relu) [-> Dropout] -> Dense(10, softmax), compiled with rmsprop and cross-entropy.

    The defaults are the seed network; the Train page's variants change the width or add dropout. The
    layers are named: Keras's automatic names come from a per-thread counter, which a model built in a
    fresh training thread could repeat.
    """
    model = keras.Sequential(
        [
            keras.Input(shape=(IMAGE_SIZE * IMAGE_SIZE,)),
            layers.Dense(units, activation="relu", name="hidden"),
            *([layers.Dropout(dropout, name="dropout")] if dropout else []),
            layers.Dense(NUM_CLASSES, activation="softmax", name="digits"),
        ],
        name=name,
    )
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


LEARNING_RATE = 2e-3  # the convnet's, at the start of its cosine decay
WEIGHT_AVERAGE_STEPS = 1000  # the convnet's averaged weights span about two epochs of batches


def build_cnn(training_steps: int = 4000) -> keras.Model:
    """Three convolution + max-pooling stages (32 filters 5x5, then 64 and 128 filters 3x3) -> Dropout(0.25)
    -> Dense(512) -> Dense(10, softmax).

    The first convolution is unpadded: MNIST's digits keep a 4-pixel empty border, so it loses nothing.
    Its 5x5 window sees more of a stroke at once than 3x3, and its smaller maps (24 x 24, 12 x 12 once
    pooled) make the second convolution cheaper: training takes about 5 % less CPU than with 3x3, and the
    network reads as well (compared over several seeds, on MNIST and on pen-drawn digits).

    Compiled with Adam, its learning rate falling along a cosine to zero over `training_steps` batches:
    a short run then still ends with small, careful steps. Adam also keeps a running average of the
    weights (over about the last WEIGHT_AVERAGE_STEPS batches), which fit puts into the model at its
    end: an average of nearby solutions reads new digits a little better than the last one. Few layers
    keep a direct call fast; the convolutions cost the training time, the wide Dense layer little.
    """
    model = keras.Sequential(
        [
            keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 1)),
            layers.Conv2D(32, 5, activation="relu"),  # unpadded: 24 x 24, then 12, 6 and 3 after the poolings
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(128, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(0.25),
            layers.Dense(512, activation="relu"),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="cnn",
    )
    rate = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay_steps=training_steps)
    adam = keras.optimizers.Adam(rate, use_ema=True, ema_momentum=1 - 1 / WEIGHT_AVERAGE_STEPS)
    model.compile(optimizer=adam, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


BUILDERS = {"dense": build_dense, "cnn": build_cnn}


def build(name: str, **options) -> keras.Model:
    return BUILDERS[name](**options)
