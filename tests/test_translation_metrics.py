"""Translation metrics: per direction, FID in the target domain beside the cycle error, as a
function, in `tfgan-suite evaluate` and in the evaluation callback."""


from tfgan_suite.translation import (IdentityTranslator, KnownStyleMap, TranslationEvaluator,
                                     evaluate_translation, style_pair_test_images)

FID = "FID[mnist-classifier]"


def test_fid_in_the_target_domain_ranks_the_truth_above_the_identity():
    a, b, _ = style_pair_test_images(1000)
    # Disjoint digits: the truth's translations are other digits than the real targets.
    evaluator = TranslationEvaluator(a[:500], b[500:], metrics="fid")
    identity, truth = evaluator(IdentityTranslator()), evaluator(KnownStyleMap())
    assert set(truth) == {f"{FID}_a2b", f"{FID}_b2a", "cycle_l1_a2b", "cycle_l1_b2a"}
    # Measured: identity 132 (a2b) and 219 (b2a), the truth 5.3 and 14.
    for direction in ("a2b", "b2a"):
        assert identity[f"{FID}_{direction}"] > 5 * truth[f"{FID}_{direction}"], direction
    assert truth["cycle_l1_a2b"] < 0.05 and truth["cycle_l1_b2a"] < 0.05


def test_labels_add_the_scores_against_the_known_style_map():
    a, b, labels = style_pair_test_images(200)
    scores = evaluate_translation(KnownStyleMap(), a, b, metrics="fid,kid", labels=labels,
                                  batch_size=100)
    assert {"KID[mnist-classifier]_a2b", "error_vs_truth_b2a", "class_accuracy_a2b"} <= set(scores)
    assert scores["error_vs_truth_a2b"] < 1e-6 and scores["class_accuracy_a2b"] > 0.9
