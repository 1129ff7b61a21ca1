"""GAN evaluation: FID, KID, Inception score and precision/recall from an extractor's features.

    from tfgan_suite.metrics import EvaluationCallback, frechet_distance, get_extractor

Metric functions take features/logits (`functions`); extractors map images in [-1, 1] to them
(`extractors`: the shipped "mnist-classifier" / "fashion_mnist-classifier", and "inception");
`reference` caches real-data features; `EvaluationCallback` (`TranslationEvaluationCallback` for
image-to-image models, `SuperResolutionEvaluationCallback` for SRGAN) evaluates during `fit`; `cli` adds `tfgan-suite evaluate`.
"""

from tfgan_suite.metrics.callback import (EvaluationCallback, SuperResolutionEvaluationCallback,
                                          TranslationEvaluationCallback)
from tfgan_suite.metrics.evaluate import METRICS, compute_metrics, evaluate_images
from tfgan_suite.metrics.extractors import available_extractors, get_extractor
from tfgan_suite.metrics.functions import (
    frechet_distance,
    inception_score,
    kernel_inception_distance,
    precision_recall,
)
from tfgan_suite.metrics.reference import reference_features

__all__ = [
    "METRICS",
    "EvaluationCallback",
    "available_extractors",
    "compute_metrics",
    "evaluate_images",
    "frechet_distance",
    "get_extractor",
    "inception_score",
    "kernel_inception_distance",
    "precision_recall",
    "reference_features",
    "SuperResolutionEvaluationCallback",
    "TranslationEvaluationCallback",
]
