"""tests/samples is a byte-for-byte copy of ../shared/data, so that a clone tests on its own: where
../shared/data is beside the clone, the two must hold the same files with the same bytes."""
from __future__ import annotations

import pytest

from tests.helpers import ROOT, SAMPLES

SHARED = ROOT.parent / "shared" / "data"


def files(folder):
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


@pytest.mark.skipif(not SHARED.is_dir(), reason="no ../shared/data beside this clone to compare with")
def test_the_samples_are_the_shared_files_as_they_are():
    shared, copied = files(SHARED), files(SAMPLES)
    assert sorted(shared) == sorted(copied)
    assert [name for name in shared if shared[name] != copied[name]] == []
