"""The shared Wilson interval: one definition serves `parley prefs stats` and the training evals."""

import doctest

from assistant import stats
from assistant.rate import prefs_stats
from rlhf import evalchat, winrate


def test_doctests_pass():
    result = doctest.testmod(stats)
    assert result.attempted == 3 and result.failed == 0


def test_one_wilson_for_ratings_and_evals():
    assert prefs_stats.wilson is winrate.wilson is evalchat.wilson is stats.wilson
