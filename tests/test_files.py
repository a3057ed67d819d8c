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


def test_output_folder_refuses_a_file_on_the_way_and_a_link(tmp_path):
    from qneuro.files import UnsafePathError, output_folder

    (tmp_path / "f").write_text("x")
    for bad in (tmp_path / "f", tmp_path / "f" / "sub"):
        with pytest.raises(UnsafePathError, match="is a file, not a folder"):
            output_folder(bad)
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        output_folder(tmp_path / "link")
    assert output_folder(tmp_path / "new" / "run").is_dir()


@pytest.mark.parametrize("name", ["../x", "/etc/hostname", "a/../../x", ""])
def test_inside_refuses_names_that_leave_the_folder(tmp_path, name):
    from qneuro.files import UnsafePathError, inside

    with pytest.raises(UnsafePathError, match="relative path inside the folder"):
        inside(tmp_path, name)


def test_inside_refuses_a_link_below_the_folder(tmp_path):
    from qneuro.files import UnsafePathError, inside

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "link").symlink_to("/etc/hostname")
    assert inside(tmp_path, "sub/model.bin") == tmp_path / "sub" / "model.bin"
    with pytest.raises(UnsafePathError, match="symbolic link"):
        inside(tmp_path, "sub/link")


def test_open_append_writes_a_file_and_never_a_link_target(tmp_path):
    from qneuro.files import UnsafePathError, open_append

    with open_append(tmp_path / "log.csv") as handle:
        handle.write("a\n")
    with open_append(tmp_path / "log.csv") as handle:
        handle.write("b\n")
    assert (tmp_path / "log.csv").read_text() == "a\nb\n"
    target = tmp_path / "target.txt"
    target.write_text("keep")
    (tmp_path / "linked.csv").symlink_to(target)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        open_append(tmp_path / "linked.csv")
    assert target.read_text() == "keep"


def test_read_text_limited_refuses_devices_folders_large_and_binary_files(tmp_path):
    from qneuro.files import UnsafePathError, read_text_limited

    (tmp_path / "ok.txt").write_text("héllo")
    assert read_text_limited(tmp_path / "ok.txt", 100) == "héllo"
    with pytest.raises(UnsafePathError, match="not a regular file"):
        read_text_limited("/dev/zero", 100)
    with pytest.raises(UnsafePathError, match="is a folder"):
        read_text_limited(tmp_path, 100)
    (tmp_path / "big.txt").write_text("x" * 101)
    with pytest.raises(UnsafePathError, match="larger than the 100-byte limit"):
        read_text_limited(tmp_path / "big.txt", 100)
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(UnsafePathError, match="not UTF-8"):
        read_text_limited(tmp_path / "bin", 100)
    with pytest.raises(FileNotFoundError, match="missing.txt does not exist"):
        read_text_limited(tmp_path / "missing.txt", 100)


def test_folder_lock_refuses_a_second_writer_until_released(tmp_path):
    import subprocess
    import sys

    from qneuro.files import FolderLock, UnsafePathError

    probe = (
        "import sys; from qneuro.files import FolderLock\n"
        "try:\n    FolderLock(sys.argv[1]).__enter__()\nexcept ValueError as e:\n"
        "    print(e); sys.exit(3)\n"
    )
    with FolderLock(tmp_path):
        with pytest.raises(UnsafePathError, match="in use by another qneuro process"):
            FolderLock(tmp_path).__enter__()  # a second descriptor, even in this process
        other = subprocess.run(
            [sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True
        )
        assert other.returncode == 3 and "in use" in other.stdout
    again = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True)
    assert again.returncode == 0


def test_remove_temporaries_deletes_only_leftovers_of_atomic_writes(tmp_path):
    from qneuro.files import remove_temporaries

    (tmp_path / ".manifest.jsonl.qneuro-abc.tmp").write_text("half")
    (tmp_path / "manifest.jsonl").write_text("whole")
    (tmp_path / "notes.tmp").write_text("user file")
    (tmp_path / ".mydata.tmp").write_text("user file")
    (tmp_path / ".manifest.jsonl.abc.tmp").write_text("user file")
    removed = remove_temporaries(tmp_path)
    assert [p.name for p in removed] == [".manifest.jsonl.qneuro-abc.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".manifest.jsonl.abc.tmp",
        ".mydata.tmp",
        "manifest.jsonl",
        "notes.tmp",
    ]


def test_atomic_files_get_the_permissions_of_a_plain_open(tmp_path):
    atomic_write_text(tmp_path / "atomic.txt", "a")
    (tmp_path / "plain.txt").write_text("b")
    mode = (tmp_path / "atomic.txt").stat().st_mode & 0o777
    assert mode == (tmp_path / "plain.txt").stat().st_mode & 0o777


def test_json_writes_numpy_values_and_refuses_other_objects_whole(tmp_path):
    import numpy as np

    path = tmp_path / "state.json"
    data = {"step": np.int64(3), "rate": np.float32(0.5), "angles": np.array([0.25, -1.0])}
    atomic_write_json(path, data, indent=2)
    assert json.loads(path.read_text()) == {"step": 3, "rate": 0.5, "angles": [0.25, -1.0]}
    assert path.read_text().startswith('{\n  "step"')
    with pytest.raises(TypeError, match="not JSON serialisable: object"):
        atomic_write_json(path, {"x": object()})
    assert json.loads(path.read_text())["step"] == 3  # the old file stands
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]
    atomic_write_json(path, {"x": {1, 2}}, default=sorted)
    assert json.loads(path.read_text()) == {"x": [1, 2]}
