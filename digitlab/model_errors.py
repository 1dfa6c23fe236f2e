"""What can be wrong with a saved network's files, said twice: to whoever runs the app (the file and the
command that fixes it) and to a visitor of a page (the same, without the server's paths)."""

from pathlib import Path

from digitlab.config import NETWORKS, SEED_NETWORK


class ModelError(Exception):
    """A network that cannot be used. str(error) is for whoever runs the app: the file, what is wrong, and
    the command that fixes it. error.visitor says the same to a visitor of a page, without server paths."""

    def __init__(self, message: str, visitor: str):
        super().__init__(message)
        self.visitor = visitor


def missing_network(path: Path) -> ModelError:
    return ModelError(
        f"No trained network at {path}. Create it with: {train_command(path)}",
        "This network has not been trained on this server yet. "
        f"Whoever runs the app can create it with: {train_command(path, visitor=True)}",
    )


def unusable(path: Path, why: str) -> ModelError:
    return ModelError(
        f"{path} could not be loaded: {why}. Retrain it with: {train_command(path)}",
        "This network's file cannot be used on this server: it is damaged, or not a network this app "
        f"runs. Whoever runs the app can retrain it with: {train_command(path, visitor=True)}",
    )


def unreadable_report(path: Path, why: str) -> ModelError:
    network = path.with_suffix(".keras")
    return ModelError(
        f"{path} {why}. Retrain with: {train_command(network)}",
        "This network's training report cannot be read on this server. Whoever runs the app can retrain "
        f"it with: {train_command(network, visitor=True)}",
    )


def train_command(path: Path, visitor: bool = False, option: str = "") -> str:
    """train.py's command line (with `option`) that (re)makes the network saved at `path` (any of its files); a
    visitor is not told the folder."""
    model = f" --model {path.stem}" if path.stem in NETWORKS and path.stem != SEED_NETWORK else ""
    return f"python train.py{model}{option}" + ("" if visitor else f" --out {path.parent}")
