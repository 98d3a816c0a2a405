"""The reading-group exercises: each one, run with the quick preset, shows the observation it promises."""
from __future__ import annotations

import pytest

from attnlib.plumbing.errors import ConfigError
from attnlib.teach.exercises import EXERCISES, get_exercise, run_exercise


def test_exercise_definitions_name_a_chapter_a_change_and_a_command():
    from attnlib.book import CHAPTERS

    assert len({e.key for e in EXERCISES}) == len(EXERCISES) >= 4
    for exercise in EXERCISES:
        assert exercise.chapter in CHAPTERS and exercise.direction in ("higher", "lower")
        assert any(old != new for old, new in exercise.change.values())
        for name, (old, new) in exercise.change.items():
            assert f"-p {name} {new}" in exercise.command()
    assert get_exercise("average-encoder").changed == ("sst", "average", "tanh")
    with pytest.raises(ConfigError, match="unknown exercise 'nope'; choose one of average-encoder"):
        get_exercise("nope")


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.key)
def test_exercise_holds_with_the_quick_preset(exercise, quick_setup):
    data_dir, runs = quick_setup
    answer = run_exercise(exercise, "quick", data_dir=data_dir, runs_dir=runs)
    assert answer["holds"], (f"{exercise.key}: {exercise.measure} went from {answer['before']:.3f} to "
                             f"{answer['after']:.3f}; expected {exercise.direction}")
