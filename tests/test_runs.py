"""Runs kept side by side: two smoke runs of Q1 with different epochs are both kept, listed, compared,
chosen for an experiment report, and garbage-collected correctly."""

import json
import re
import subprocess

import pytest

from conftest import ROOT, run_cli
from vaereport import errors
from vaereport.runs import RunMismatchError, RunNotFoundError

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The profile's own smoke run of Q1 and an epochs=3 run kept beside it: (build, env, own id, other id)."""
    build = tmp_path_factory.mktemp("runs-build")
    env = {"VAEREPORT_BUILD_DIR": str(build)}
    own = run_cli("run", "q1", "--profile", "smoke", env=env)
    assert own.returncode == 0, own.stderr[-2000:]
    other = run_cli("run", "q1", "--profile", "smoke", "-p", "epochs=3", env=env)
    assert other.returncode == 0, other.stderr[-2000:]
    runs = sorted((build / "smoke" / "runs" / "q1_vae_mnist").iterdir(), key=lambda p: p.stat().st_mtime)
    assert len(runs) == 2, "both runs are kept"
    return build, env, runs[0].name, runs[1].name


def test_an_override_run_never_replaces_the_profiles_run(two_runs):
    build, env, own, other = two_runs
    link = build / "smoke" / "q1_vae_mnist"
    assert link.is_symlink() and link.resolve().name == own
    assert json.loads((build / "smoke" / "runs" / "q1_vae_mnist" / other / "metadata.json").read_text())["params"]["epochs"] == 3


def test_runs_lists_both_with_what_differs(two_runs):
    build, env, own, other = two_runs
    table = run_cli("runs", "q1", "--profile", "smoke", env=env)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].startswith("id") and "test −ELBO (bernoulli)" in lines[0] and "wall s" in lines[0]
    assert any(line.startswith(own[:8]) and "(profile's parameters)" in line for line in lines)
    assert any(line.startswith(other[:8]) and "epochs=3" in line for line in lines)
    rows = json.loads(run_cli("runs", "q1", "--profile", "smoke", "--json", env=env).stdout)
    assert {r["id"] for r in rows} == {own[:8], other[:8]}
    assert [r["profile run"] for r in rows if r["id"] == own[:8]] == [True]


def test_diff_shows_the_parameter_and_the_elbo_change(two_runs, tmp_path):
    build, env, own, other = two_runs
    md = tmp_path / "diff.md"
    result = run_cli("diff", other[:6], "profile", "--profile", "smoke", "--md", str(md), "--figure", "latent_grid",
                     env=env)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert re.search(r"^epochs\s+3\s+2\s*$", text, flags=re.M), text[:500]
    elbo = [line for line in text.splitlines() if line.startswith("models.bernoulli.test_neg_elbo")]
    a_meta = json.loads((build / "smoke" / "runs" / "q1_vae_mnist" / other / "metrics.json").read_text())
    b_meta = json.loads((build / "smoke" / "runs" / "q1_vae_mnist" / own / "metrics.json").read_text())
    change = b_meta["models"]["bernoulli"]["test_neg_elbo"] - a_meta["models"]["bernoulli"]["test_neg_elbo"]
    assert len(elbo) == 1 and f"{change:.4g}" in elbo[0]
    assert md.read_text().startswith("# q1_vae_mnist: run A") and "| epochs | 3 | 2 |" in md.read_text()
    figure = build / "smoke" / "diffs" / f"latent_grid-{other[:8]}-{own[:8]}.png"
    assert figure.stat().st_size > 1000


def test_diff_names_its_direction_filters_and_checks_the_figure_first(two_runs):
    build, env, own, other = two_runs
    only = run_cli("diff", other[:6], "profile", "--profile", "smoke", "--only", "test_neg_elbo", env=env)
    assert only.returncode == 0, only.stderr
    assert "run A" in only.stdout.splitlines()[0] and "→ run B" in only.stdout.splitlines()[0]
    assert "B − A" in only.stdout.splitlines()[0]
    metrics = only.stdout.split("metrics", 1)[1].split("\n\n")[0].splitlines()[2:]
    assert metrics and all("test_neg_elbo" in line for line in metrics), metrics
    assert "nan" not in only.stdout
    bad = run_cli("diff", other[:6], "profile", "--profile", "smoke", "--figure", "latent_gird", env=env)
    assert bad.returncode == RunNotFoundError.exit_code and bad.stdout == ""
    assert "did you mean 'latent_grid'" in bad.stderr


def test_diff_without_a_profile_works_in_the_profile_of_its_run(two_runs):
    build, env, own, other = two_runs
    result = run_cli("diff", other[:6], "profile", "--md", "d.md", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[0].startswith("vaereport diff: profile smoke, ")
    assert (build / "smoke" / "diffs" / "d.md").is_file() and not (ROOT / "d.md").exists()
    listed = run_cli("runs", "q1", env=env)  # the default profile (full) has none here
    assert "(no runs of q1_vae_mnist in profile full; runs of q1_vae_mnist are kept under profile(s) smoke" in listed.stdout


def test_bad_run_ids_give_one_clear_error(two_runs):
    build, env, own, other = two_runs
    for args, code, fragment in (
        (["diff", "ffff", "profile"], RunNotFoundError.exit_code, "no run 'ffff'"),
        (["diff", own[:2], other], RunNotFoundError.exit_code, "too short"),
        (["report", "--run", f"q2r={own}"], RunMismatchError.exit_code, "is a run of q1_vae_mnist, not of"),
    ):
        result = run_cli(*args, "--profile", "smoke", env=env)
        assert result.returncode == code, (args, result.stderr)
        assert fragment in result.stderr and "Traceback" not in result.stderr
    victim = build / "smoke" / "runs" / "q1_vae_mnist" / other / "tables" / "test_losses.csv"
    saved = victim.read_bytes()
    victim.write_bytes(saved + b"tampered\n")
    try:
        result = run_cli("render", "--profile", "smoke", "--run", f"q1={other}", env=env)
        assert result.returncode == errors.OutputsModifiedError.exit_code and "modified: tables/test_losses.csv" in result.stderr
    finally:
        victim.write_bytes(saved)


def test_default_report_uses_the_profiles_run_and_run_renders_the_other(two_runs):
    build, env, own, other = two_runs
    assert run_cli("render", "--profile", "smoke", env=env).returncode == 0
    experiment = run_cli("render", "--profile", "smoke", "--run", f"q1={other[:8]}", env=env)
    assert experiment.returncode == 0, experiment.stderr[-2000:]

    def text(pdf):
        return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout

    default = text(build / "smoke" / "report.pdf")
    chosen = text(build / "smoke" / f"report-experiment-q1-{other[:8]}.pdf")
    title = "Summary of conclusions"  # the title block above it names the profile
    assert "experiment" not in default.split(title)[0] and "Experiment:" not in default
    assert "smoke, experiment" in " ".join(chosen.split(title)[0].split())
    assert f"Experiment: this report uses run {other[:8]} of q1_vae_mnist" in " ".join(chosen.split())
    summary = " ".join(chosen.split("Summary of conclusions")[-1].split())[:600]  # [-1]: the heading, not the contents
    assert summary.startswith(f"Experiment report: it uses run {other[:8]} of q1_vae_mnist (epochs=3) instead of"), summary
    assert "built with the smoke profile" in summary  # the smoke banner stays
    assert f"cache key {own}" in " ".join(default.split()) and f"cache key {other}" in " ".join(chosen.split())


def test_gc_removes_only_unused_old_runs(two_runs):
    build, env, own, other = two_runs
    dry = run_cli("gc", "--profile", "smoke", "--keep", "0", "--dry-run", env=env)
    assert dry.returncode == 0 and f"would remove q1_vae_mnist run {other[:8]}" in dry.stdout
    assert (build / "smoke" / "runs" / "q1_vae_mnist" / other).is_dir()
    assert list((build / "smoke" / ".locks").iterdir())  # one lock file per run key the runs took
    kept = run_cli("gc", "--profile", "smoke", "--keep", "1", env=env)
    assert kept.returncode == 0 and "removed 0 run(s)" in kept.stdout  # the newest run is kept
    assert "unused lock file(s)" in kept.stdout and not list((build / "smoke" / ".locks").iterdir())
    gone = run_cli("gc", "--profile", "smoke", "--keep", "0", env=env)
    assert gone.returncode == 0 and f"removed q1_vae_mnist run {other[:8]}" in gone.stdout
    assert not (build / "smoke" / "runs" / "q1_vae_mnist" / other).exists()
    assert (build / "smoke" / "q1_vae_mnist" / "metrics.json").is_file()  # the profile's run stays


def test_an_analysis_without_a_headline_of_its_own_shows_its_top_level_numbers():
    from vaereport.config import analyses
    from vaereport.runs import headline_numbers

    metrics = {"accuracy": 0.91, "n": 10, "ok": True, "models": {"a": 1.0}, "loss": 3.5, "rate": 2, "more": 9.0}
    assert headline_numbers(metrics) == {"accuracy": 0.91, "n": 10, "loss": 3.5, "rate": 2}
    assert all(a.headline for a in analyses.existing())  # the study's three define their own


def test_a_removed_profile_link_reads_stale_and_render_refuses(two_runs):
    build, env, own, other = two_runs
    link = build / "smoke" / "q1_vae_mnist"
    moved = link.with_name("q1-link-aside")
    link.rename(moved)
    try:
        status = run_cli("status", "--profile", "smoke", env=env)
        assert "stale: the link smoke/q1_vae_mnist to the profile's run is missing" in status.stdout + status.stderr
        render = run_cli("render", "--profile", "smoke", env=env)
        assert render.returncode == 11 and "relinks it without re-running" in render.stderr
    finally:
        moved.rename(link)


def test_a_named_run_is_found_by_name_listed_and_plotted(two_runs):
    build, env, own, other = two_runs
    named = run_cli("run", "q1", "--profile", "smoke", "-p", "epochs=3", "--name", "three-epochs", "--note", "longer",
                    "--tag", "sweep", env=env)
    assert named.returncode == 0, named.stderr
    assert f"run {other[:8]} of q1_vae_mnist: name three-epochs; note longer; tags sweep" in named.stdout
    listing = run_cli("runs", "q1", "--profile", "smoke", env=env).stdout
    assert "three-epochs" in listing and "sweep" in listing and "longer" in listing
    taken = run_cli("run", "q1", "--profile", "smoke", "--name", "three-epochs", env=env)
    assert taken.returncode == 2 and f"already names run {other[:8]}" in taken.stderr
    diff = run_cli("diff", "three-epochs", "profile", "--profile", "smoke", "--only", "epochs", env=env)
    assert diff.returncode == 0 and f"run A {other[:8]}" in diff.stdout
    plot = run_cli("runs", "q1", "--profile", "smoke", "--plot", "test −ELBO (bernoulli)", env=env)
    png = build / "smoke" / "plots" / "q1_vae_mnist-test_ELBO_bernoulli.png"
    assert plot.returncode == 0 and str(png) in plot.stdout and png.stat().st_size > 5000
    bad = run_cli("runs", "q1", "--profile", "smoke", "--plot", "test −ELBO (bernouli)", env=env)
    assert bad.returncode == RunNotFoundError.exit_code and "did you mean 'test −ELBO (bernoulli)'" in bad.stderr
    leaf = run_cli("runs", "q1", "--profile", "smoke", "--plot", "test_neg_elbo", env=env)
    assert leaf.returncode == RunNotFoundError.exit_code
    assert "did you mean 'models.bernoulli.test_neg_elbo' or 'models.gaussian.test_neg_elbo'" in leaf.stderr
