from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import platformdirs
import pytest

from studio.store.layout import StudioPaths, free_bytes, fsync_dir, slug

NOON = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def test_folders_and_files_sit_where_the_design_says(tmp_path: Path) -> None:
    paths = StudioPaths(tmp_path / "home")
    home = (tmp_path / "home").resolve()
    assert paths.home == home and home.is_dir()
    assert paths.catalog_path == home / "catalog.sqlite3"
    assert paths.takes_dir(7) == home / "takes" / "song-7"
    assert paths.takes_dir(7).is_dir()
    assert paths.run_dir == home / "run" and paths.run_dir.is_dir()
    assert paths.exports_dir == home / "exports" and paths.exports_dir.is_dir()


def test_from_env_uses_studio_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDIO_HOME", str(tmp_path / "from-env"))
    assert StudioPaths.from_env().home == (tmp_path / "from-env").resolve()


def test_from_env_falls_back_to_the_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STUDIO_HOME", raising=False)
    asked: list[str] = []

    def user_data_dir(name: str) -> str:
        asked.append(name)
        return str(tmp_path / "platform")

    monkeypatch.setattr(platformdirs, "user_data_dir", user_data_dir)
    assert StudioPaths.from_env().home == (tmp_path / "platform").resolve()
    assert asked == ["studio"]


def test_slug_is_readable_ascii() -> None:
    assert slug("Vokal (Åse)") == "vokal-ase"
    assert slug("Første Ærlige Øyeblikk!") == "forste-aerlige-oyeblikk"
    assert slug("Café  Beat #2") == "cafe-beat-2"
    assert slug("🎤🎤") == "track"
    assert len(slug("x" * 200)) <= 40


def test_new_take_paths_are_readable_and_never_exist(tmp_path: Path) -> None:
    paths = StudioPaths(tmp_path)
    first = paths.new_take_path(3, "Vokal 1", now=NOON)
    assert first == paths.takes_dir(3) / "vokal-1-20250301T120000Z-01.wav"
    first.write_bytes(b"taken")
    second = paths.new_take_path(3, "Vokal 1", now=NOON)
    assert second.name == "vokal-1-20250301T120000Z-02.wav"
    paths.pending_marker(second).write_text("{}")  # a marker alone also reserves the name
    third = paths.new_take_path(3, "Vokal 1", now=NOON)
    assert third.name == "vokal-1-20250301T120000Z-03.wav"
    assert paths.new_take_path(3, "Vokal 1", ".w64", now=NOON).suffix == ".w64"
    assert not third.exists()


def test_new_take_path_uses_utc(tmp_path: Path) -> None:
    paths = StudioPaths(tmp_path)
    local = datetime.fromisoformat("2025-03-01T13:00:00+01:00")
    assert "20250301T120000Z" in paths.new_take_path(1, "a", now=local).name


def test_pending_marker_is_the_same_name_plus_pending(tmp_path: Path) -> None:
    take = tmp_path / "takes" / "vokal-01.wav"
    assert StudioPaths.pending_marker(take) == tmp_path / "takes" / "vokal-01.wav.pending"


def test_relative_and_absolute_round_trip(tmp_path: Path) -> None:
    paths = StudioPaths(tmp_path)
    take = paths.new_take_path(2, "Bass", now=NOON)
    rel = paths.relative(take)
    assert rel == "takes/song-2/bass-20250301T120000Z-01.wav"
    assert paths.absolute(rel) == take
    assert paths.relative(Path("takes/x.wav")) == "takes/x.wav"


@pytest.mark.parametrize("bad", ["../outside.wav", "/etc/passwd", "takes/../../x", ""])
def test_absolute_refuses_paths_that_leave_home(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        StudioPaths(tmp_path / "home").absolute(bad)


def test_relative_refuses_paths_outside_home(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        StudioPaths(tmp_path / "home").relative(tmp_path / "elsewhere.wav")


def test_free_bytes_and_fsync_dir(tmp_path: Path) -> None:
    assert free_bytes(tmp_path) > 0
    assert free_bytes(tmp_path / "not" / "yet" / "there") > 0  # asks the nearest parent
    fsync_dir(tmp_path)
