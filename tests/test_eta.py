"""The study's ETA: predicted from similar kept runs, rescaled by the cells that ran."""

import json

import pytest

from vaereport.study.eta import StudyClock, differing_keys, kept_durations, similar_seconds


def keep(root, profile, analysis, key, params, seconds, finished="2026-01-01T00:00:00+0000", components=None):
    folder = root / profile / "runs" / analysis / key
    folder.mkdir(parents=True)
    (folder / "metadata.json").write_text(json.dumps({"params": params, "wall_seconds": seconds, "finished": finished,
                                                      "components": components or {"script": "s1", "modules": "m1"}}))


def test_similar_seconds_takes_the_run_with_the_fewest_differing_keys_then_the_latest(tmp_path):
    keep(tmp_path, "full", "a", "k1", {"epochs": 50, "sigma": 0.1, "arch": "mlp"}, 400.0)
    keep(tmp_path, "study", "a", "k2", {"epochs": 10, "sigma": 0.2, "arch": "conv"}, 300.0, "2026-01-01T00:00:00+0000")
    keep(tmp_path, "study", "a", "k3", {"epochs": 10, "sigma": 0.3, "arch": "conv"}, 310.0, "2026-01-02T00:00:00+0000")
    keep(tmp_path, "full", "b", "k4", {"epochs": 10, "sigma": 0.1, "arch": "conv"}, 1.0)  # another analysis
    (tmp_path / "full" / "runs" / "a" / "broken").mkdir()
    (tmp_path / "full" / "runs" / "a" / "broken" / "metadata.json").write_text("{not json")
    kept = kept_durations("a", tmp_path)
    assert sorted(r[1] for r in kept) == [300.0, 310.0, 400.0]
    assert differing_keys({"x": 1}, {"x": 1, "y": 2}) == 1
    assert similar_seconds({"epochs": 10, "sigma": 0.1, "arch": "conv"}, kept) == 310.0  # 1 key off, the latest
    assert similar_seconds({"epochs": 50, "sigma": 0.1, "arch": "mlp"}, kept) == 400.0
    assert similar_seconds({"epochs": 1}, []) is None


def test_cells_matching_kept_runs_with_kept_upstream_are_expected_free(tmp_path):
    keep(tmp_path, "full", "up", "k1", {"d": 16}, 200.0)
    keep(tmp_path, "full", "down", "k2", {"c": 1}, 100.0)
    clock = StudyClock.for_cells([("up/own", "up", {"d": 16}, []), ("up/d-4", "up", {"d": 4}, []),
                                  ("down/own", "down", {"c": 1}, ["up/own"]),
                                  ("down/d-4", "down", {"c": 1}, ["up/d-4"])], root=tmp_path)
    assert clock.predicted == {"up/own": 0.0, "up/d-4": 200.0, "down/own": 0.0, "down/d-4": 100.0}
    assert clock.remaining_seconds() == 300.0
    forced = StudyClock.for_cells([("up/own", "up", {"d": 16}, [])], root=tmp_path, force=True)
    assert forced.predicted == {"up/own": 200.0}  # --force runs it again


def test_remaining_time_is_rescaled_by_the_cells_that_ran_and_shared_by_the_workers():
    clock = StudyClock({"a": 100.0, "b": 200.0, "c": None, "d": 0.0}, parallel=2)
    assert clock.remaining_seconds() is None  # c has no prediction and nothing has run
    clock.finish("d", None)  # kept: costs nothing, says nothing about the scale
    clock.finish("a", 50.0)
    assert clock.scale() == pytest.approx(0.5)
    assert clock.remaining_seconds() == pytest.approx((200.0 * 0.5 + 50.0) / 2)  # c at the mean of the cells that ran
    clock.finish("b", 150.0)
    assert clock.scale() == pytest.approx(200.0 / 300.0)
    assert clock.remaining_seconds() == pytest.approx(100.0 / 2)
    clock.finish("c", 10.0)
    assert clock.remaining_seconds() == 0.0


def test_a_run_kept_under_other_code_predicts_the_cost_but_is_not_expected_kept(tmp_path):
    keep(tmp_path, "full", "up", "k1", {"d": 16}, 200.0, components={"script": "s1", "modules": "m-old"})
    now = {"up": {"script": "s1", "modules": "m-new"}}
    clock = StudyClock.for_cells([("up/own", "up", {"d": 16}, [])], root=tmp_path, code=now)
    assert clock.predicted == {"up/own": 200.0}  # the code changed since: the cell will run
    same = StudyClock.for_cells([("up/own", "up", {"d": 16}, [])], root=tmp_path,
                                code={"up": {"script": "s1", "modules": "m-old"}})
    assert same.predicted == {"up/own": 0.0}


def test_code_components_are_those_a_plan_keys_on():
    from vaereport.config import analyses
    from vaereport.execution import plan

    code = plan.code_components(analyses.get("q1"))
    assert set(code) == set(plan.CODE_COMPONENTS)
    full = plan.plan("q1", "smoke")
    assert all(full.components[k] == v for k, v in code.items())


def test_once_a_cell_of_an_analysis_ran_its_other_cells_are_predicted_from_it():
    """A study's cells are often far shorter than the profile run that predicted them, by a factor that differs
    per analysis: the first cell of each analysis that runs says more than the mean over all analyses."""
    cells = {"a1": ("a", {"x": 1}), "a2": ("a", {"x": 2}), "b1": ("b", {"y": 1}), "b2": ("b", {"y": 2}),
             "c1": ("c", {"z": 1}), "a3": ("a", {"x": 3})}
    clock = StudyClock({"a1": 100.0, "a2": 100.0, "b1": 100.0, "b2": 100.0, "c1": 100.0, "a3": 0.0}, cells=cells)
    clock.finish("a1", 10.0)
    clock.finish("b1", 100.0)
    assert clock.scale() == pytest.approx(0.55)
    # a2 from a1, b2 from b1, c1 (no cell of c ran) at the rescaled prediction; a3 is expected kept
    assert clock.remaining_seconds() == pytest.approx(10.0 + 100.0 + 55.0)
