"""Run logs that survive a kill: CSV rewinding, header at creation, no link following."""

from __future__ import annotations

import pytest

from qneuro.files import UnsafePathError
from qneuro.rl.logs import CsvLog, rewind_csv

FIELDS = ("episode", "a", "b")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("1,x,y\n2,x,y\n3,x", [["1", "x", "y"], ["2", "x", "y"]]),  # no header, torn row
        ("episode,a,b\n1,p,q\n2,p,q\n2,again,q\n5,p,q\n", [["1", "p", "q"], ["2", "p", "q"]]),
        ("b,episode\n1,1\n2,2\n", [["1", "", "1"], ["2", "", "2"]]),  # another column order
        ("hello\nworld\n", []),
    ],
)
def test_rewind_keeps_rows_up_to_the_checkpoint_once_each(tmp_path, text, expected):
    path = tmp_path / "log.csv"
    path.write_text(text)
    rewind_csv(path, FIELDS, "episode", 4)
    lines = path.read_text().splitlines()
    assert lines[0] == "episode,a,b"
    assert [line.split(",") for line in lines[1:]] == expected


def test_a_new_log_has_its_header_before_any_row(tmp_path):
    log = CsvLog(tmp_path / "log.csv", FIELDS)
    assert (tmp_path / "log.csv").read_text().strip() == "episode,a,b"  # on disk already
    log.write({"episode": 1, "a": 0.5, "b": True})
    log.close()
    again = CsvLog(tmp_path / "log.csv", FIELDS)  # appending adds no second header
    again.close()
    assert (tmp_path / "log.csv").read_text().splitlines() == ["episode,a,b", "1,0.5,1"]


def test_a_log_that_is_a_symbolic_link_is_refused(tmp_path):
    target = tmp_path / "elsewhere.csv"
    target.write_text("keep me\n")
    (tmp_path / "log.csv").symlink_to(target)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        CsvLog(tmp_path / "log.csv", FIELDS)
    assert target.read_text() == "keep me\n"
