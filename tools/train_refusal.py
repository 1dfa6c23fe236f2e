"""Train the "digit or not" detector of digitlab.verdict and save it as model/digit_or_not.keras, .onnx and .json.

    nice -n 10 python -m tools.train_refusal --out runs/one [--data ../shared/data/mnist.npz] [--seed 0]  # a member
    nice -n 10 python -m tools.train_refusal --out runs/ten --digit-classes     # another, a class for each digit
    nice -n 10 python -m tools.train_refusal --out runs/four --seed 4           # a third, like the first
    python -m tools.train_refusal --join runs/one runs/ten runs/four [--out model]   # the app's detector: their average
    python -m tools.train_refusal --onnx-only [--out model]   # the .onnx the app reads, from the saved .keras

Digits: MNIST training images 0-49 999, half as MNIST has them and half redrawn by digitlab.augment
(slant, rotation, thickness, the styles MNIST lacks), since drawings on the canvas vary like that.
Not digits: digitlab.non_digits' kinds, made up with seed `seed` (the numbers from the same MNIST
digits). Nothing from the pen sets: they are for measuring only. The letters typed in fonts use the fonts
on the machine: install digitlab.non_digits.LETTER_FONT_PACKAGES first (apt-get install ...), as the
committed detector's members were trained (its report lists the fonts).

Digits also come written in strokes from templates (digitlab.non_digits.HAND_DIGITS), like the letters
and shapes: the pen's look alone must not say "not a digit".

The detector starts from the convnet (model/cnn.keras) up to its 512 features, with a new softmax on
top, and all of it is trained a few epochs with a small learning rate. Its classes are "digit" and
each non-digit kind, so that a refusal can say what it saw.

The app's detector is the average of several such detectors, each reading the drawing as it is and turned
by TURNS (digitlab.ensemble): together they tell the pen letters from the pen digits better than any
one of them (README, "Figures"). They differ most usefully when they learnt differently: one learns "digit"
as one class, another (--digit-classes) a class for each digit, whose ten probabilities are then summed.

The threshold on P(digit) is chosen on held-out digits (MNIST training images 50 000-59 999, redrawn
REDRAWS times by digitlab.augment like the training digits): the value that refuses REFUSED_DIGITS of them.

Run time: most of it goes to drawing the non-digits on the canvas and to training; "seconds" in the
report says how long the committed run took (the README gives it). --quick does a tenth of it.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from digitlab.config import MODEL_DIR, model_path, report_path
from digitlab.data import load_mnist
from digitlab.ensemble import TURNS, averaged, describe, member
from digitlab.model_files import save_network, sha256_of
from digitlab.non_digits import HERSHEY_FONTS, NON_DIGIT_KINDS, font_files, hand_digit_inputs, non_digit_inputs
from digitlab.onnx_export import add_onnx, export_onnx
from digitlab.verdict import DETECTOR_NAME, DIGIT, DigitJudge, load_judge

TRAIN_DIGITS = 50_000  # MNIST training images used as digits; the rest choose the threshold
PLAIN_DIGITS, AUGMENTED_DIGITS, STROKE_DIGITS = 15_000, 15_000, 9_000
NON_DIGITS_PER_KIND = 3_000
# Letters come in many more shapes than dots or crosses, and they are what a class draws most when it is not
# drawing digits: with half as many, the detector let more of the pen letters through (README, "Figures").
MORE_OF = {"letter": 12}
CHECK_NON_DIGITS_PER_KIND, CHECK_STROKE_DIGITS = 500, 2000  # drawn with another seed: refusal of unseen ones
REFUSED_DIGITS = 0.003  # share of held-out (redrawn) MNIST digits the threshold refuses
# The held-out digits are redrawn this many times, so that the threshold rests on eight times as many digits:
# from a single redrawing it moved with the redrawing's seed by several points of pen letters (README, "Figures").
REDRAWS = 8
EPOCHS, BATCH, LEARNING_RATE = 5, 128, 3e-4
CLASSES = (DIGIT, *NON_DIGIT_KINDS)
CHECK_SEED_OFFSET = 1000
MEMBER_FACTS = ("network", "seed", "digit_classes", "hershey_fonts", "fonts", "weights_sha256", "seconds", "held_out")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/mnist.npz", help="MNIST .npz (Keras keys)")
    parser.add_argument("--out", default=str(MODEL_DIR), help="folder for digit_or_not.keras, .onnx and .json")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a tenth of the images (to try the script)")
    parser.add_argument(
        "--digit-classes", action="store_true", help="learn a class for each digit (summed into one when saved)"
    )
    parser.add_argument("--join", nargs="+", metavar="DIR", help="do not train: average the detectors saved in these")
    parser.add_argument(
        "--onnx-only", action="store_true", help="do not train: export the saved detector to .onnx, its report updated"
    )
    return parser.parse_args(argv)


def redrawn_digits(images: np.ndarray, labels: np.ndarray, seed: int) -> np.ndarray:
    """MNIST digits redrawn by digitlab.augment, float32 (N, 28, 28) in [0, 1]."""
    import tensorflow as tf

    from digitlab.augment import augment

    tf.random.set_seed(seed)
    out = []
    for start in range(0, len(images), 1024):
        batch = tf.constant(images[start : start + 1024, ..., None].astype(np.float32) / 255)
        out.append(augment(batch, tf.constant(labels[start : start + 1024])).numpy()[..., 0])
    return np.concatenate(out)


def training_set(mnist, seed: int, scale: float) -> tuple[np.ndarray, np.ndarray, dict, np.ndarray]:
    """(inputs, class indices, counts, digit labels): digits (MNIST plain and redrawn, and written in strokes),
    then each non-digit kind; the digit labels are 0-9 for the digits and -1 for the rest."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(TRAIN_DIGITS)
    plain_n, bent_n = int(PLAIN_DIGITS * scale), int(AUGMENTED_DIGITS * scale)
    plain = mnist.x_train[order[:plain_n]].astype(np.float32) / 255
    bent_index = order[plain_n : plain_n + bent_n]
    bent = redrawn_digits(mnist.x_train[bent_index], mnist.y_train[bent_index], seed)
    stroked, stroked_digits = hand_digit_inputs(int(STROKE_DIGITS * scale), seed)
    digits = np.concatenate([plain, bent, stroked])
    parts, labels, counts = [digits], [np.zeros(len(digits), np.int64)], {DIGIT: len(digits)}
    digit_labels = [mnist.y_train[order[:plain_n]], mnist.y_train[bent_index], stroked_digits]
    for k, kind in enumerate(NON_DIGIT_KINDS, start=1):
        count = int(NON_DIGITS_PER_KIND * MORE_OF.get(kind, 1) * scale)
        made = non_digit_inputs(kind, count, seed, mnist.x_train[:TRAIN_DIGITS])
        parts.append(made)
        labels.append(np.full(len(made), k))
        digit_labels.append(np.full(len(made), -1))
        counts[kind] = len(made)
        print(f"  {kind}: {len(made)}", flush=True)
    return np.concatenate(parts), np.concatenate(labels), counts, np.concatenate(digit_labels).astype(np.int64)


def build_detector(cnn_path: Path, steps: int, outputs: int):
    """The convnet's layers up to its 512 features (its trained weights as the start), then a softmax over
    `outputs` classes; all of it is trained on, with a small learning rate falling along a cosine."""
    import keras

    cnn = member(keras.saving.load_model(cnn_path, compile=False))  # the convnet's layers, not its turns
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            *cnn.layers[:-1],
            keras.layers.Dense(outputs, activation="softmax", name="verdict"),
        ],
        name=DETECTOR_NAME,
    )
    rate = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay_steps=steps)
    model.compile(optimizer=keras.optimizers.Adam(rate), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def fit_detector(inputs: np.ndarray, classes: np.ndarray, digit_classes: int, cnn_path: Path, seed: int):
    """The detector fitted on the inputs, whose first `digit_classes` classes are digits; classes weighted so
    that digits and non-digits weigh the same."""
    import keras

    keras.utils.set_random_seed(seed)
    outputs = int(classes.max()) + 1
    model = build_detector(cnn_path, EPOCHS * -(-len(inputs) // BATCH), outputs)
    digits = int((classes < digit_classes).sum())
    weights = {k: 0.5 * len(classes) / digits for k in range(digit_classes)}
    weights.update({k: 0.5 * len(classes) / (len(classes) - digits) for k in range(digit_classes, outputs)})
    model.fit(
        inputs[..., None], classes, epochs=EPOCHS, batch_size=BATCH, class_weight=weights, verbose=2, shuffle=True
    )
    return model


def digits_summed(model):
    """A detector trained with a class for each digit, its ten digits' probabilities summed into one: the
    same classes as every other detector (CLASSES), through a frozen 0/1 layer."""
    import keras

    merge = np.zeros((model.output_shape[-1], len(CLASSES)), np.float32)
    merge[:10, 0] = 1
    merge[10:, 1:] = np.eye(len(CLASSES) - 1)
    summed = keras.layers.Dense(len(CLASSES), use_bias=False, trainable=False, name="digits_summed")
    network = keras.Sequential([keras.Input(model.input_shape[1:]), *model.layers, summed], name=model.name)
    summed.set_weights([merge])
    return network


def without_optimizer(model):
    """The same layers in an uncompiled network: saved without Adam's two moments per weight (a third of the size)."""
    import keras

    return keras.Sequential([keras.Input(model.input_shape[1:]), *model.layers], name=model.name)


def redraws(scale: float) -> int:
    return max(1, round(REDRAWS * scale))


def held_out_figures(judge: DigitJudge, mnist, seed: int, scale: float) -> tuple[float, dict]:
    """The threshold (from held-out redrawn digits) and the refusal rates it gives on held-out inputs."""
    held = slice(TRAIN_DIGITS, None)
    redrawn = np.concatenate(
        [
            redrawn_digits(mnist.x_train[held], mnist.y_train[held], seed + CHECK_SEED_OFFSET + k)
            for k in range(redraws(scale))
        ]
    )
    redrawn_scores = judge.digit_scores(redrawn)  # the costliest pass here: made once, for both uses below
    threshold = float(np.quantile(redrawn_scores, REFUSED_DIGITS))
    judge.threshold = threshold
    stroked, _ = hand_digit_inputs(int(CHECK_STROKE_DIGITS * scale), seed + CHECK_SEED_OFFSET)
    figures = {
        "held_out_redrawn_digits_refused": float(judge.refuses(redrawn_scores).mean()),
        "unseen_stroke_digits_refused": float(judge.refused(stroked).mean()),
        "held_out_mnist_digits_refused": float(judge.refused(mnist.x_train[held] / 255.0).mean()),
        "mnist_test_refused": float(judge.refused(mnist.x_test / 255.0).mean()),
    }
    for kind in NON_DIGIT_KINDS:
        check = non_digit_inputs(kind, int(CHECK_NON_DIGITS_PER_KIND * scale), seed + CHECK_SEED_OFFSET, mnist.x_test)
        figures[f"unseen_{kind}_refused"] = float(judge.refused(check).mean())
    return threshold, figures


def join(folders: list[str], out: str, data: str) -> dict:
    """The detectors saved in `folders`, averaged over themselves and TURNS into one, saved in `out` with
    a threshold chosen anew (on the first one's held-out digits) and the held-out figures of the average."""
    import keras

    started = time.perf_counter()
    reports = [json.loads(report_path(DETECTOR_NAME, folder).read_text()) for folder in folders]
    checksums = [report["weights_sha256"] for report in reports]
    if any(report["classes"] != list(CLASSES) for report in reports) or len(set(checksums)) < len(checksums):
        raise SystemExit("the detectors to join must be different ones, with this script's classes")
    if any("members" in report for report in reports):
        raise SystemExit("a detector to join is itself an average: join its members instead")
    members = []
    for number, folder in enumerate(folders):
        saved = keras.saving.load_model(model_path(DETECTOR_NAME, folder), compile=False)
        members.append(keras.Sequential([keras.Input((28, 28, 1)), *saved.layers], name=f"member_{number}"))
    detector = averaged(members, TURNS, name=DETECTOR_NAME)
    return finish(
        detector,
        out,
        load_mnist(data),
        reports[0]["seed"],
        1.0,
        {
            "network": f"the average of {len(members)} detectors, each reading the drawing as it is, "
            f"{', '.join(describe(view) for view in TURNS)} (digitlab.ensemble)",
            "training": reports[0]["training"],
            "training_inputs": reports[0]["training_inputs"],
            "members": [{key: report[key] for key in MEMBER_FACTS if key in report} for report in reports],
            "seed": [report["seed"] for report in reports],
            "quick": any(report["quick"] for report in reports),
        },
        started,
        earlier_seconds=sum(report["seconds"] for report in reports),
    )


def finish(
    detector, out: str, mnist, seed: int, scale: float, facts: dict, started: float, earlier_seconds=0.0
) -> dict:
    """Saves the detector, chooses its threshold as the app reads it, and writes its report; its "seconds" count
    from `started`, plus `earlier_seconds` (the members' training, for a joined detector)."""
    # Saved with a provisional threshold first: the threshold is measured with the detector as the app reads it.
    report = save_network(
        out,
        DETECTOR_NAME,
        {"classes": list(CLASSES), "threshold": 0.5},
        keras=detector.save,
        onnx=lambda path: export_onnx(detector, path),
    )
    threshold, figures = held_out_figures(load_judge(out), mnist, seed, scale)
    report.update(
        {
            "threshold": threshold,
            "threshold_rule": f"refuses {REFUSED_DIGITS:.1%} of held-out MNIST training digits 50000-59999, each "
            f"redrawn {redraws(scale)} times by digitlab.augment",
            **facts,
            "held_out": figures,
            "seconds": round(time.perf_counter() - started + earlier_seconds, 1),
        }
    )
    return save_network(out, DETECTOR_NAME, report)  # the same files, the final report


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.onnx_only:
        print(f"Saved {add_onnx(args.out, DETECTOR_NAME)}")
        return
    if args.join:
        print(json.dumps(join(args.join, args.out, args.data), indent=2))
        return
    started = time.perf_counter()
    scale = 0.1 if args.quick else 1.0
    mnist = load_mnist(args.data)
    cnn_path = model_path("cnn", MODEL_DIR)
    print("drawing the training set", flush=True)
    inputs, classes, counts, digits = training_set(mnist, args.seed, scale)
    digit_classes = 10 if args.digit_classes else 1
    if args.digit_classes:
        classes = np.where(digits >= 0, digits, classes + 9)
    print(f"training on {len(inputs)} inputs ({time.perf_counter() - started:.0f} s)", flush=True)
    detector = without_optimizer(fit_detector(inputs, classes, digit_classes, cnn_path, args.seed))
    if args.digit_classes:
        detector = digits_summed(detector)
    head = "a class for each digit and each kind, the digits' probabilities then summed" if args.digit_classes else ""
    facts = {
        "network": "model/cnn.keras's layers up to its Dense(512) (its weights as the start, sha256 "
        f"{sha256_of(cnn_path)[:12]}...), then Dense({int(classes.max()) + 1}, softmax){', ' + head if head else ''}; "
        "all layers trained",
        "training": f"Adam {LEARNING_RATE:g} with cosine decay, {EPOCHS} epochs, batch {BATCH}, classes weighted: "
        "digits half, non-digits half",
        "training_inputs": counts,
        "seed": args.seed,
        "digit_classes": args.digit_classes,
        "hershey_fonts": list(HERSHEY_FONTS),
        "fonts": [path.name for path in font_files()],
        "quick": args.quick,
    }
    print(json.dumps(finish(detector, args.out, mnist, args.seed, scale, facts, started), indent=2))


if __name__ == "__main__":
    main()
