"""Files written whole or not at all, and what a killed writer leaves behind is cleaned by its own host."""

import os
import socket
import subprocess
import sys

import pytest

from vaereport.execution import atomic, recovery


def test_written_replaces_the_target_only_when_the_block_succeeds(tmp_path):
    target = tmp_path / "table.csv"
    atomic.write_text(target, "old\n")
    with pytest.raises(RuntimeError):
        with atomic.written(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert target.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]
    with atomic.written(tmp_path / "link") as tmp:
        tmp.symlink_to("table.csv")
    assert (tmp_path / "link").read_text() == "old\n"


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_recover_removes_temp_folders_of_ended_processes_on_this_host_only(tmp_path):
    here, pid = socket.gethostname(), dead_pid()
    ended = tmp_path / f".tmp-q1_vae_mnist-abc~{pid}@{here}"
    older_form = tmp_path / f".tmp-q1_vae_mnist-abd-{pid}"
    alive = tmp_path / f".tmp-q1_vae_mnist-abe~{os.getpid()}@{here}"
    elsewhere = tmp_path / f".tmp-q1_vae_mnist-abf~{pid}@another-host.example"
    for folder in (ended, older_form, alive, elsewhere):
        folder.mkdir()
    (tmp_path / "runs" / "q1_vae_mnist").mkdir(parents=True)
    moved_aside = tmp_path / "runs" / "q1_vae_mnist" / f".old-abc~{pid}@{here}"
    moved_aside.mkdir()
    recovery.recover(tmp_path)
    assert not ended.exists() and not older_form.exists() and alive.exists() and elsewhere.exists()
    assert (tmp_path / "runs" / "q1_vae_mnist" / "abc").is_dir()  # the output moved aside by a killed run is back


def test_recover_removes_what_a_killed_atomic_write_left(tmp_path):
    here, pid = socket.gethostname(), dead_pid()
    (tmp_path / "cells" / "q1_vae_mnist").mkdir(parents=True)
    (tmp_path / "study" / "figures").mkdir(parents=True)
    left = [tmp_path / f".q1_vae_mnist~{pid}@{here}", tmp_path / "cells" / "q1_vae_mnist" / f".cells.csv~{pid}@{here}",
            tmp_path / "study" / "figures" / f".code_size.png~{pid}@{here}"]
    left[0].symlink_to("runs/q1_vae_mnist/abc")
    for path in left[1:]:
        path.write_text("half")
    mine = tmp_path / f".report.pdf~{os.getpid()}@{here}"
    mine.write_text("being written")
    recovery.recover(tmp_path)
    assert not any(p.is_symlink() or p.exists() for p in left) and mine.exists()


def test_unheld_lock_files_are_removed_and_held_ones_kept(tmp_path):
    from vaereport.execution.lock import build_lock, remove_unheld

    with build_lock(tmp_path, name="q1-held"):
        with build_lock(tmp_path, name="q1-done"):
            pass
        assert remove_unheld(tmp_path) == 1
        assert sorted(p.name for p in tmp_path.iterdir()) == ["q1-held"]
    with build_lock(tmp_path, name="q1-held"):  # the lock is taken again after its file went
        pass
    assert remove_unheld(tmp_path) == 1 and not list(tmp_path.iterdir())

