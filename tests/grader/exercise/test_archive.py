"""Exercise zips: read with bounds before anything is inflated, written back as `grader check` reads."""

from __future__ import annotations

import io
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from grader.exercise import ExerciseError, parse_exercise
from grader.exercise.archive import ArchiveLimits, load_exercise_zip, read_zip, write_zip
from tests.grader.exercise.mean_exercise import FILES

SMALL = ArchiveLimits(max_archive_bytes=64 * 1024, max_entries=10, max_file_bytes=4096,
                      max_total_bytes=8192)


def make_zip(entries: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED,
             mode: int = stat.S_IFREG | 0o644) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in entries.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = method
            info.external_attr = mode << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def refused(data: bytes, limits: ArchiveLimits = SMALL) -> ExerciseError:
    with pytest.raises(ExerciseError) as caught:
        read_zip(data, limits)
    return caught.value


def test_a_zip_of_the_folder_is_the_folder() -> None:
    flat = read_zip(make_zip(FILES))
    nested = read_zip(make_zip({f"mean/{path}": content for path, content in FILES.items()}
                               | {"mean/": b"", "__MACOSX/mean/._x": b"junk",
                                  "mean/.DS_Store": b"junk"}))
    assert flat == nested == FILES
    assert parse_exercise(flat).unit_tests[0].name == "test_mean_of_the_data_file"


def test_write_then_read_round_trip_is_byte_identical() -> None:
    data = write_zip(FILES, folder="exercise-v3")
    assert write_zip(FILES, folder="exercise-v3") == data  # same files, same bytes
    assert zipfile.ZipFile(io.BytesIO(data)).namelist()[0].startswith("exercise-v3/")
    assert read_zip(data) == FILES


def test_declared_size_over_the_limit_is_refused_before_inflating() -> None:
    bomb = make_zip({"exercise.yaml": b"x", "data/zeros.bin": b"\0" * 5000})
    error = refused(bomb)
    assert (error.file, error.message) == ("data/zeros.bin", "file is larger than 4096 bytes")
    total = make_zip({f"f{i}.txt": b"\0" * 3000 for i in range(3)})
    assert refused(total).message == "the files exceed 8192 bytes"


def set_declared_size(data: bytearray, name: bytes, size: int) -> None:
    """Rewrite the uncompressed size of entry `name` in its local and central headers."""
    for signature, name_at, size_at in ((b"PK\x03\x04", 30, 22), (b"PK\x01\x02", 46, 24)):
        at = data.find(signature)
        while data[at + name_at:at + name_at + len(name)] != name:
            at = data.find(signature, at + 1)
        struct.pack_into("<I", data, at + size_at, size)


def test_an_entry_lying_about_its_size_is_stopped() -> None:
    """A header claiming 10 bytes for 100 kB of zeros: never more than it claims is inflated."""
    data = bytearray(make_zip({"exercise.yaml": b"language: python\n",
                               "big.bin": b"\0" * 100_000}))
    set_declared_size(data, b"big.bin", 10)
    error = refused(bytes(data), ArchiveLimits(max_file_bytes=50_000, max_total_bytes=50_000))
    assert error.file == "big.bin" and "cannot be read from the zip" in error.message


def test_too_many_entries_is_refused_from_the_end_record() -> None:
    many = make_zip({f"f{i}.txt": b"" for i in range(11)})
    assert refused(many).message == "more than 10 entries"
    # The count written in the end record is read before the directory is parsed.
    assert struct.unpack_from("<H", many, many.rfind(b"PK\x05\x06") + 10) == (11,)


@pytest.mark.parametrize("name", ["../evil.py", "a/../../evil.py", "/etc/passwd",
                                  "C:/evil.py", "a\\..\\evil.py"])
def test_paths_outside_the_folder_are_refused(name: str) -> None:
    error = refused(make_zip({"exercise.yaml": b"x", name: b"print(1)"}))
    assert error.file == name


def test_symlinks_and_special_files_are_refused() -> None:
    link = make_zip({"exercise.yaml": b"x", "data": b"/etc/passwd"},
                    mode=stat.S_IFLNK | 0o777)
    assert refused(link).message == "symlinks are not allowed"
    fifo = make_zip({"exercise.yaml": b"x"}, mode=stat.S_IFIFO | 0o644)
    assert refused(fifo).message == "only regular files are allowed"


def test_encrypted_and_exotic_compression_are_refused() -> None:
    data = bytearray(make_zip({"exercise.yaml": b"x"}))
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + flag_at] |= 0x1
    assert "encrypted" in refused(bytes(data)).message
    lzma = make_zip({"exercise.yaml": b"x"}, method=zipfile.ZIP_LZMA)
    assert "compression method 14" in refused(lzma).message


def test_damaged_and_non_zip_data() -> None:
    assert refused(b"not a zip").message == "is not a readable zip file"
    data = bytearray(make_zip({"exercise.yaml": b"language: python\n" * 20}))
    for signature, crc_at in ((b"PK\x03\x04", 14), (b"PK\x01\x02", 16)):
        data[data.find(signature) + crc_at] ^= 0xFF
    error = refused(bytes(data))
    assert error.file == "exercise.yaml" and "Bad CRC-32" in error.message
    assert refused(b"\0" * 70_000).message == "the zip is larger than 65536 bytes"


def test_two_entries_for_one_file_are_refused() -> None:
    error = refused(make_zip({"exercise.yaml": b"x", "data//a.txt": b"1", "data/a.txt": b"2"}))
    assert "is the same file as" in error.message


def test_load_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "mean.zip"
    path.write_bytes(write_zip(FILES, folder="mean"))
    assert load_exercise_zip(path).spec.unittest == "test_stats.py"
    path.write_bytes(make_zip({**FILES, "exercise.yaml": b"language: python\n"}))
    with pytest.raises(ExerciseError) as caught:
        load_exercise_zip(path)
    assert caught.value.file == "exercise.yaml" and caught.value.field == "entrypoint"
