"""The sequence judge (generators/judge.py): it separates what differs, seeded and repeatable."""

from __future__ import annotations

import numpy as np
import pytest

from qneuro.generators.corpus import Corpus
from qneuro.generators.judge import (
    JudgeConfig,
    SequenceJudge,
    judge_generated,
    qubit_matched_weights,
    split_generated,
)

FAST = JudgeConfig(epochs=15, seed=0)


@pytest.fixture(scope="module")
def sets(tiny_corpus):
    """The tiny corpus's real and random circuits, every split, halved by position."""
    corpus = Corpus.load(tiny_corpus)
    real, rand = corpus.programs("mqt.bench"), corpus.programs("random")
    return {
        "real_train": real[0::2],
        "random_train": rand[0::2],
        "real_held": real[1::2],
        "random_held": rand[1::2],
        "random_all": rand,
    }


def test_judge_separates_real_from_random_and_is_seeded(sets):
    judge = SequenceJudge(FAST).fit(sets["real_train"], sets["random_train"])
    real = judge.judged_real(sets["real_held"])
    rand = judge.judged_real(sets["random_held"])
    accuracy = 0.5 * (real.mean() + 1 - rand.mean())
    assert len(sets["real_held"]) >= 12 and accuracy >= 0.8  # chance is 0.5
    again = SequenceJudge(FAST).fit(sets["real_train"], sets["random_train"])
    probs = again.probabilities(sets["real_held"] + sets["random_held"])
    np.testing.assert_array_equal(
        probs, judge.probabilities(sets["real_held"] + sets["random_held"])
    )
    other = SequenceJudge(JudgeConfig(epochs=15, seed=1)).fit(
        sets["real_train"], sets["random_train"]
    )
    assert not np.array_equal(
        other.probabilities(sets["real_held"]), probs[: len(sets["real_held"])]
    )


def test_judge_generated_trains_and_evaluates_on_disjoint_halves(sets):
    generated = sets["random_all"]  # stand-ins for generated circuits, in corpus order
    trained, held_out = split_generated(generated)
    assert trained == generated[0::2] and held_out == generated[1::2]
    assert not {id(p) for p in trained} & {id(p) for p in held_out}
    report = judge_generated(
        sets["real_train"],
        sets["real_held"],
        generated,
        sets["random_train"],
        sets["random_held"],
        FAST,
    )
    assert report["trained_on"] == {
        "real_train": len(sets["real_train"]),
        "generated_even_positions": len(trained),
    }
    assert report["evaluated_on"]["generated_odd_positions"] == len(held_out)
    # "generated" here are random circuits: the judge sees through them
    assert report["judged_real_held_out_real"] - report["judged_real_generated"] >= 0.5
    assert report["gap"] == pytest.approx(
        report["judged_real_held_out_real"] - report["judged_real_generated"]
    )
    assert report["real_vs_random_accuracy"] >= 0.8
    assert judge_generated(sets["real_train"], sets["real_held"], generated[:1])["skipped"]


def test_qubit_matched_weights_copy_the_target_histogram(sets):
    programs, target = sets["random_train"], sets["real_held"]
    weights = qubit_matched_weights(programs, target)
    for n in {p.num_qubits for p in programs}:
        mass = sum(w for w, p in zip(weights, programs, strict=True) if p.num_qubits == n)
        assert mass == pytest.approx(sum(p.num_qubits == n for p in target))


def test_config_is_checked():
    with pytest.raises(ValueError, match="kernel"):
        JudgeConfig(kernel=4)
    with pytest.raises(ValueError, match="seed"):
        JudgeConfig(seed=-1)
