import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from qneuro.files import atomic_save_figure, atomic_write, atomic_write_json, atomic_write_text  # noqa: E402


def test_text_json_and_figure_land_whole_without_leftovers(tmp_path):
    atomic_write_text(tmp_path / "a" / "x.txt", "hello")
    atomic_write_json(tmp_path / "a" / "y.json", {"k": [1, 2]})
    figure, axes = plt.subplots()
    axes.plot([0, 1])
    atomic_save_figure(figure, tmp_path / "a" / "z.png")
    plt.close(figure)
    assert (tmp_path / "a" / "x.txt").read_text() == "hello"
    assert json.loads((tmp_path / "a" / "y.json").read_text()) == {"k": [1, 2]}
    assert (tmp_path / "a" / "z.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["x.txt", "y.json", "z.png"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "keep.txt"
    target.write_text("old")

    def broken(tmp):
        with open(tmp, "w") as handle:
            handle.write("half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        atomic_write(target, broken)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
