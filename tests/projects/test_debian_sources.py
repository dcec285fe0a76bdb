"""Fetching Debian sources when an index lists a version whose files are gone (issue 15).

The order and the error are checked on a fake `apt-cache showsrc` listing and a fake attempt; the
fallback itself on the machine's real apt, with an empty cache."""

from __future__ import annotations

import json

import pytest

from mirrorpass.projects import debian_sources as ds
from mirrorpass.system import can_be_root

# Shaped like `apt-cache showsrc --only-source zlib` on bookworm: the same version in two suites, a
# security revision, an epoch, and a stanza of another source package (a binary name that matches).
SHOWSRC = """\
Package: zlib
Binary: zlib1g, zlib1g-dev
Version: 1:1.2.13.dfsg-1
Checksums-Sha256:
 3fa1e6b2 2399 zlib_1.2.13.dfsg-1.dsc

Package: zlib
Version: 1:1.2.13.dfsg-1+deb12u1
Checksums-Sha256:
 6c230384 2878 zlib_1.2.13.dfsg-1+deb12u1.dsc

Package: zlib
Version: 1:1.2.13.dfsg-1

Package: zlib
Version: 1:1.2.11.dfsg-4

Package: zlib-ng
Version: 9:9.9-1
"""


def test_listed_versions_are_distinct_and_newest_first():
    assert ds._stanza_versions(SHOWSRC, "zlib") == ["1:1.2.13.dfsg-1+deb12u1", "1:1.2.13.dfsg-1", "1:1.2.11.dfsg-4"]
    assert ds._stanza_versions(SHOWSRC, "zlib-ng") == ["9:9.9-1"]
    assert ds._stanza_versions(SHOWSRC, "lua5.4") == []


def test_the_first_version_that_works_is_taken_and_the_failures_before_it_are_kept_in_order():
    tried = []

    def attempt(version):
        tried.append(version)
        if version != "1:1.2.11.dfsg-4":
            raise ds._VersionFailed(f"404 for {version}")
        return "tree"

    versions = ds._stanza_versions(SHOWSRC, "zlib")
    found, result, failed = ds.first_that_works(versions, attempt)
    assert (found, result) == ("1:1.2.11.dfsg-4", "tree")
    assert tried == versions  # newest first, each once, nothing after the one that worked
    assert failed == [{"version": "1:1.2.13.dfsg-1+deb12u1", "error": "404 for 1:1.2.13.dfsg-1+deb12u1"},
                      {"version": "1:1.2.13.dfsg-1", "error": "404 for 1:1.2.13.dfsg-1"}]


def test_when_no_version_works_every_try_is_returned():
    def attempt(version):
        raise ds._VersionFailed("gone")

    assert ds.first_that_works(["2-1", "1-1"], attempt) == (None, None, [{"version": "2-1", "error": "gone"},
                                                                         {"version": "1-1", "error": "gone"}])


def test_apt_failures_are_summed_up_in_one_line():
    output = ("Err:1 http://deb.debian.org/debian-security bookworm-security/main zlib 1:1.2.13.dfsg-1+deb12u1 (dsc)\n"
              "  404  Not Found [IP: 203.0.113.80 80]\n"
              "E: Failed to fetch http://x/zlib_1.2.13.dfsg-1%2bdeb12u1.dsc  404  Not Found [IP: 203.0.113.80 80]\n"
              "E: Failed to fetch some archives.\n")
    assert ds._apt_failure(output, 100) == ("Failed to fetch http://x/zlib_1.2.13.dfsg-1%2bdeb12u1.dsc  404  Not Found"
                                            " (and 1 more apt errors)")
    assert ds._apt_failure("nothing useful\n", 100) == "apt-get source exited with status 100"


def _deb_src_usable() -> str | None:
    """None when real deb-src indexes are there or can be made (as root or through passwordless sudo); else why
    not."""
    if can_be_root():
        return None
    try:
        targets = ds._source_index_targets("(test)")
    except ds.SourceFetchError as exc:
        return f"apt-get indextargets failed: {exc}"
    if not targets or not all(ds._index_exists(fn) for _, fn in targets):
        return ("no deb-src indexes on this machine, and neither root nor passwordless sudo to add them "
                "(see mirrorpass/projects/debian_sources.py)")
    return None


needs_apt = pytest.mark.skipif(_deb_src_usable() is not None, reason=str(_deb_src_usable()))


@needs_apt
def test_fetch_takes_the_newest_version_that_downloads(tmp_path, monkeypatch):
    """With an empty cache, real apt: every listed version newer than the one taken is recorded as failed
    with apt's reason (bookworm-security's zlib answered 404 on the day this was written)."""
    monkeypatch.setenv("MIRRORPASS_CACHE", str(tmp_path))
    tree = ds.fetch("zlib")
    info = json.loads((tree / ds.SOURCE_META).read_text())
    listed = ds.source_versions("zlib")
    used = info["debian_version"]
    assert used in listed
    assert [f["version"] for f in info["versions_failed"]] == listed[:listed.index(used)]
    assert all(f["error"] for f in info["versions_failed"])
    assert info["version_requested"] is None
    assert (tree / "zlib.h").is_file() and (tree / "deflate.c").is_file()
    assert ds.fetch("zlib") == tree  # a cache hit


@needs_apt
def test_a_pinned_version_that_is_not_listed_says_which_are(tmp_path, monkeypatch):
    monkeypatch.setenv("MIRRORPASS_CACHE", str(tmp_path))
    with pytest.raises(ds.SourceFetchError) as caught:
        ds.fetch("zlib", version="1:0.0-0")
    message = str(caught.value)
    assert "version 1:0.0-0 of zlib does not download" in message
    for listed in ds.source_versions("zlib"):
        assert listed in message
    assert not list(tmp_path.glob("sources/zlib-*"))  # nothing half-made left in the cache


@needs_apt
def test_a_package_whose_debian_diff_is_gone_still_fetches_its_upstream_tarball(tmp_path, monkeypatch):
    """bookworm's pixman_0.42.2-1.diff.gz answered 404 (2026-12-07) while its .dsc and .orig.tar.gz were
    there: `apt-get source` fails as a whole, so the .dsc and the tarball are fetched alone, each checked
    against the SHA-256 of the signed index, and the file left out is recorded."""
    monkeypatch.setenv("MIRRORPASS_CACHE", str(tmp_path))
    tree = ds.fetch("pixman")
    info = json.loads((tree / ds.SOURCE_META).read_text())
    assert (tree / "pixman" / "pixman.h").is_file()
    assert info["tarball"].startswith("pixman_") and ".orig.tar." in info["tarball"]
    assert all(".orig.tar." not in name and not name.endswith(".dsc") for name in info["files_not_fetched"])


@needs_apt
def test_fetching_only_the_dsc_and_upstream_tarballs(tmp_path):
    """The fallback on a package whose files are all there: it takes the .dsc and the .orig tarball and
    leaves the Debian packaging (debian.tar) alone."""
    version = ds.source_versions("zlib")[-1]
    ds._download_upstream_only("zlib", version, tmp_path, ds._Timer("zlib"), "apt failed")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert any(n.endswith(".dsc") for n in names) and any(".orig.tar." in n for n in names), names
    assert not any(".debian.tar." in n for n in names), names
