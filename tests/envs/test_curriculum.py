import pytest

from qneuro.envs import FixedThreshold, MovingThreshold, make_curriculum


def test_greedy_shift_every_k_episodes():
    c = MovingThreshold(initial=5e-3, ball=1e-3, shift_every=3, tighten_every=100)
    mu = -1.0
    c.update(mu + 0.02, mu, False)
    c.update(mu + 0.004, mu, False)
    assert c.threshold == 5e-3  # no shift before 3 episodes
    assert c.lowest_energy == pytest.approx(mu + 0.004)
    c.update(mu + 0.01, mu, False)
    assert c.threshold == pytest.approx(0.004 + 1e-3)  # |mu - lowest| + ball


def test_tightening_after_s_successes_at_most_max_times_and_not_below_best():
    c = MovingThreshold(
        initial=5e-3, ball=1e-3, shift_every=10_000, tighten_every=2, max_tightenings=3
    )
    mu = 0.0
    for _ in range(2):
        c.update(1e-3, mu, True)
    assert c.threshold == pytest.approx(4.9e-3)
    for _ in range(20):
        c.update(1e-3, mu, True)
    assert c.threshold == pytest.approx(4.7e-3) and c.tightenings == 3
    d = MovingThreshold(initial=1.15e-3, ball=1e-3, shift_every=10_000, tighten_every=1)
    d.update(1.1e-3, mu, True)  # 1.15e-3 - 1e-4 = 1.05e-3 is not above the best error 1.1e-3
    assert d.threshold == pytest.approx(1.15e-3)


def test_state_round_trip_and_factory():
    c = MovingThreshold(shift_every=2)
    c.update(-0.99, -1.0, True)
    c.update(-0.995, -1.0, False)
    d = make_curriculum(c.state_dict())
    assert d == c
    assert make_curriculum(2e-3) == FixedThreshold(2e-3)
    with pytest.raises(ValueError, match="state of a 'moving'"):
        FixedThreshold().load_state_dict(c.state_dict())
    with pytest.raises(ValueError, match="threshold=0"):
        FixedThreshold(0)


def test_first_shift_follows_the_best_energy_reached_even_above_the_initial_threshold():
    """Under noise the floor lies above the initial threshold; the shift must reach it."""
    c = MovingThreshold(initial=5e-3, ball=1e-3, shift_every=2)
    c.update(-1.0 + 0.050, -1.0, False)
    c.update(-1.0 + 0.045, -1.0, False)
    assert c.threshold == pytest.approx(0.045 + 1e-3)
