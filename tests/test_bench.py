"""The scale benchmark's arithmetic and layout on fake timings (no benchmark runs here)."""

from __future__ import annotations

import json
import math
import sys

import pytest

from pact_analysis.paths import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import harness  # noqa: E402
import scale  # noqa: E402


def fake_stage(seconds: float, peak: float) -> dict:
    return {
        "seconds": seconds,
        "peak_memory_gb": peak / 2,
        "peak_tree_gb": peak,
        "cpu_seconds": seconds,
        "other_load_cores": 0.0,
        "exit_code": 0,
        "stopped_at_memory_limit": False,
        "work": {},
    }


def fake_entry(n: int) -> dict:
    """Stages whose seconds grow as n (link), n**1.5 (profiles), not at all (pilot)."""
    stages = {
        "link": fake_stage(2e-3 * n, 1.0),
        "profiles": fake_stage(1e-6 * n**1.5, 3.0),
        "pilot": fake_stage(5.0, 0.5),
        "report_overview": fake_stage(1e-3 * n, 0.8),
        "report_linkage": fake_stage(1e-3 * n, 0.9),
    }
    entry = {
        "n_persons": n,
        "complete": True,
        "machine": {"cores": 2, "ram_gb": 24.0, "python": "3.11"},
        "loadavg_before": [0.0, 0.0, 0.0],
        "loadavg_after": [1.0, 1.0, 1.0],
        "other_load_cores": 0.0,
        "other_load_present": False,
        "stages": stages,
    }
    entry |= scale.end_to_end(stages)
    entry["linkage_baseline"] = {
        "ours": {"seconds": stages["link"]["seconds"], "pairwise": {"f1": 0.99}},
        "recordlinkage": {"seconds": 10 * stages["link"]["seconds"], "peak_tree_gb": 2.0},
        "time_ratio": 10.0,
        "f1_ours": 0.99,
        "f1_recordlinkage": 0.9,
    }
    return entry


@pytest.fixture
def results() -> dict:
    return {"sizes": {str(n): fake_entry(n) for n in (20_000, 100_000, 500_000)}}


def test_fit_recovers_the_exponent_and_the_constant():
    sizes = [2e4, 1e5, 5e5, 1e6]
    fit = scale.fit_exponent(sizes, [3e-4 * n**1.2 for n in sizes])
    assert fit["b"] == pytest.approx(1.2, abs=1e-3)
    assert fit["a"] == pytest.approx(3e-4, rel=1e-6)
    assert fit["sizes"] == sizes


def test_fit_is_least_squares_on_log_log_over_every_size():
    # log10 sizes 0, 1, 3 and seconds 0, 2, 3: the least-squares slope is 39/42, the end points give 1.
    fit = scale.fit_exponent([1.0, 10.0, 1000.0], [1.0, 100.0, 1000.0])
    assert fit["b"] == pytest.approx(39 / 42, abs=1e-3)


def test_fit_needs_two_sizes():
    assert scale.fit_exponent([2e4], [10.0]) is None
    assert scale.fit_exponent([2e4, 2e4], [10.0, 11.0]) is None


def test_exponents_per_stage_group_and_end_to_end(results):
    fitted = scale.exponents(results)
    assert fitted["link"]["b"] == pytest.approx(1.0, abs=1e-3)
    assert fitted["profiles"]["b"] == pytest.approx(1.5, abs=1e-3)
    assert fitted["pilot"]["b"] == pytest.approx(0.0, abs=1e-3)
    assert fitted["reports"]["b"] == pytest.approx(1.0, abs=1e-3)  # the report stages summed
    assert fitted["end_to_end"]["sizes"] == [20_000, 100_000, 500_000]


def test_incomplete_sizes_are_not_fitted(results):
    results["sizes"]["500000"]["complete"] = False
    assert scale.exponents(results)["link"]["sizes"] == [20_000, 100_000]


def test_end_to_end_sums_times_and_takes_the_largest_peak():
    stages = {"a": fake_stage(10.0, 1.5), "b": fake_stage(20.5, 4.0)}
    figures = scale.end_to_end(stages)
    assert figures["end_to_end_seconds"] == 30.5
    assert figures["end_to_end_peak_gb"] == 4.0
    assert figures["end_to_end_peak_gb_one_process"] == 2.0


def test_json_layout_figure_and_appendix(results, tmp_path):
    out = tmp_path / "scale.json"
    scale.finish(results, out)
    written = json.loads(out.read_text())
    entry = written["sizes"]["500000"]
    for key in ("n_persons", "machine", "loadavg_before", "loadavg_after", "other_load_present", "stages"):
        assert key in entry
    assert {"end_to_end_seconds", "end_to_end_peak_gb"} <= set(entry)
    assert {"cores", "ram_gb"} <= set(entry["machine"])
    assert {"seconds", "peak_memory_gb", "peak_tree_gb", "work"} <= set(entry["stages"]["link"])
    assert written["exponents"]["link"]["b"] == pytest.approx(1.0, abs=1e-3)
    assert out.with_suffix(".png").stat().st_size > 0
    summary = json.loads((tmp_path / "scale_appendix.json").read_text())
    assert summary["sizes"] == [20_000, 100_000, 500_000]
    assert summary["exponents"]["profiles"] == pytest.approx(1.5, abs=1e-3)
    assert [row["time_ratio"] for row in summary["linkage_vs_recordlinkage"]] == [10.0] * 3
    assert summary["end_to_end"][-1]["seconds"] == entry["end_to_end_seconds"]


def test_pipeline_stages_follow_dvc_yaml_dependencies():
    order = [name for name, _ in harness.pipeline_stages()]
    args = dict(harness.pipeline_stages())
    assert order.index("link") < order.index("warehouse") < order.index("profiles") < order.index("spending")
    assert order.index("report_profiles") > order.index("profiles")
    assert order[-2:] == ["check", "index"]
    assert args["report_overview"] == ["report", "00_overview"]


def test_run_child_measures_a_process_and_its_children():
    code = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'x = bytearray(200 * 2**20)'])"
    figures = harness.run_child([sys.executable, "-c", code], poll=0.05)
    assert figures["exit_code"] == 0 and not figures["stopped_at_memory_limit"]
    assert figures["peak_memory_gb"] >= 0.19  # the grandchild's 200 MiB, through wait4
    assert figures["seconds"] > 0


def test_a_failed_baseline_is_run_again_but_not_one_stopped_by_its_memory_limit():
    args = scale.argparse.Namespace(baseline=True, baseline_max_persons=500_000)
    entry = fake_entry(100_000)
    assert not scale.baseline_due(entry, args)
    entry["linkage_baseline"]["recordlinkage"]["stopped"] = "stopped when its memory passed 16 GB"
    assert not scale.baseline_due(entry, args)
    entry["linkage_baseline"]["recordlinkage"]["stopped"] = "failed with exit code 1 (see bench.log)"
    assert scale.baseline_due(entry, args)
    assert not scale.baseline_due(fake_entry(1_000_000) | {"linkage_baseline": {}}, args)
    assert scale.baseline_due({"n_persons": 20_000}, args)


def curved_results() -> dict:
    """Three sizes whose times are not power laws (so each method of fitting gives its own answer),
    whose records per person change with the size and whose pairs grow as records**1.5."""
    sizes = {}
    for n in (20_000, 100_000, 500_000):
        per_person = 2.5 if n == 500_000 else 2.0
        stages = {
            "link": fake_stage(10 + 1e-3 * n, 1.0),
            "flat": fake_stage(4.9 if n == 500_000 else 5.0, 0.5),  # a little faster: exponent below 0
            "report_a": fake_stage(1 + 1e-5 * n, 0.5),
            "report_b": fake_stage(1 + 1e-5 * n, 0.5),
        }
        records = per_person * n
        stages["link"]["work"] = {"records": records, "pairs_compared": records**1.5}
        sizes[str(n)] = {"n_persons": n, "complete": True, "stages": stages} | scale.end_to_end(stages)
    return {"sizes": sizes}


def test_national_scale_extrapolates_each_stage_at_its_local_exponent():
    """From the two largest sizes, from the largest one, in persons at the largest size's records per
    person; the link's pairs at their own exponent in the records; an exponent below 0 floored."""
    found = scale.national(curved_results(), records=10_000_000)
    assert found["from_sizes"] == [100_000, 500_000]
    assert found["records_per_person"] == 2.5 and found["persons"] == 4_000_000
    rows = {r["stage"]: r for r in found["stages"]}
    b_link = math.log(510 / 110) / math.log(5)
    assert rows["link"]["b"] == round(b_link, 2)
    assert rows["link"]["b_before"] == round(math.log(110 / 30) / math.log(5), 2)
    assert rows["link"]["minutes"] == round(510 * 8**b_link / 60)
    b_reports = math.log(12 / 4) / math.log(5)
    assert rows["reports"]["minutes"] == round(12 * 8**b_reports / 60) and "report_a" not in rows
    assert rows["flat"]["b"] == 0.0 and rows["flat"]["minutes"] == 0
    assert [r["minutes"] for r in found["stages"]] == sorted(
        (r["minutes"] for r in found["stages"]), reverse=True
    )
    pairs = found["link_pairs"]
    assert pairs["b"] == 1.5 and pairs["pairs"] == round(1e7**1.5, -6)
    assert pairs["minutes"] == round(510 * 8**1.5 / 60)
    low = (510 * 8**b_link + 12 * 8**b_reports + 4.9) / 3600
    high = low + (510 * 8**1.5 - 510 * 8**b_link) / 3600
    assert found["total_hours"] == [round(low, 1), round(high, 1)]
    # link and reports steepen with the size, the flat stage does not; the link's time per pair fell
    assert (found["exponents_grew"], found["exponents_compared"]) == (2, 3)
    assert pairs["time_per_pair_fell"] is True


def test_national_scale_needs_two_sizes_and_the_link_records(results):
    assert scale.national({"sizes": {"500000": results["sizes"]["500000"]}}) is None
    assert scale.national(results) is None  # the fake link stage recorded no work counts
