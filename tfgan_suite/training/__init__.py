"""A training run: data, strategy, model, `fit` with its callbacks (checkpoints, resume, history,
sample pictures, TensorBoard), and the 2-D toy recipes the loss-family tests train with. The
command line's `train` and `demo` are thin layers over `train`."""

from tfgan_suite.training.run import PRECISIONS, TrainingDiverged, run_status, train

__all__ = ["PRECISIONS", "TrainingDiverged", "run_status", "train"]
