"""The one cache policy: entries checked on read, marked when used, evicted when unused."""

from __future__ import annotations

import os
import time

from literate.cache import Cache, evict_caches

DAY = 86400


def test_an_entry_reads_back_and_a_damaged_one_is_a_miss(tmp_path):
    cache = Cache(tmp_path / "math", ".html")
    path = cache.write("k1", "<span>x²</span>")
    assert cache.read_text("k1") == "<span>x²</span>"
    path.write_bytes(path.read_bytes()[:-3])  # torn, as by a crash in an older writer
    assert cache.read_text("k1") is None
    assert not path.exists(), "a bad entry is removed, so the build writes it again"
    assert cache.read("never-written") is None


def test_reading_marks_an_entry_used_and_eviction_takes_only_what_no_build_used(tmp_path):
    cache = Cache(tmp_path / "execution", ".json")
    old, used, fresh = (cache.write(k, k) for k in ("old", "used", "fresh"))
    for path in (old, used):
        os.utime(path, (time.time() - 40 * DAY, time.time() - 40 * DAY))
    assert cache.read_text("used") == "used"
    assert cache.evict(keep_days=30) == 1
    assert not old.exists() and used.exists() and fresh.exists()


def test_a_folder_entry_is_named_by_its_content_and_repaired_when_edited(tmp_path):
    cache = Cache(tmp_path / "files")
    folder = cache.files({"notebooks/a.ipynb": "{}", "downloads/a.ipynb": "{}"})
    assert cache.files({"downloads/a.ipynb": "{}", "notebooks/a.ipynb": "{}"}) == folder
    assert cache.files({"notebooks/a.ipynb": "[]", "downloads/a.ipynb": "[]"}) != folder
    (folder / "notebooks/a.ipynb").write_text("{broken")
    cache.files({"notebooks/a.ipynb": "{}", "downloads/a.ipynb": "{}"})
    assert (folder / "notebooks/a.ipynb").read_text() == "{}"


def test_every_cache_under_the_root_is_evicted_but_locks_and_skipped_ones(tmp_path):
    stale = [Cache(tmp_path / name).write("k", "v") for name in ("execution", "math", "diagrams", "mkdocs-jupyter")]
    legacy, lock = tmp_path / "0123.json", tmp_path / "execution.lock"  # a file of the older flat layout
    legacy.write_text("{}")
    lock.write_text("")
    for path in [*stale, legacy, lock]:
        os.utime(path, (time.time() - 40 * DAY, time.time() - 40 * DAY))
    assert evict_caches(tmp_path, keep_days=30, skip={"mkdocs-jupyter"}) == 4
    assert stale[-1].exists() and lock.exists() and not legacy.exists()
    assert evict_caches(tmp_path / "absent") == 0
