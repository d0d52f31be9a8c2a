"""Beat rendering: drum kits (built-in synthesised, sample folders, Hydrogen drumkits), the sub
bass, and the renderer that turns a beat into audio block by block.

- :mod:`.kit`: what a kit is to the renderer (voices, velocity layers, choke groups);
- :mod:`.synth_kit`: the built-in kit, made with numpy;
- :mod:`.sample_kit`: a folder of sound files with a ``kit.toml`` mapping;
- :mod:`.hydrogen_kit`: Hydrogen ``drumkit.xml`` kits;
- :mod:`.sub_bass`: the 808-style sub bass for the bass line;
- :mod:`.render`: :class:`~.render.BeatRenderer`, block-size independent.
"""

from __future__ import annotations

from pathlib import Path

from studio.audio.beat.kit import Kit
from studio.core.i18n import StudioError, Words

__all__ = ["SYNTH", "open_kit"]

SYNTH = "synth"

_NOT_A_KIT = Words(
    nb="Fant ikke noe trommesett i {path}: mappa trenger en kit.toml eller en drumkit.xml "
       "(Hydrogen).",
    en="No drum kit found in {path}: the folder needs a kit.toml or a drumkit.xml (Hydrogen).",
)
_NO_SUCH_KIT = Words(
    nb="Trommesettet «{kit}» finnes ikke. Skriv «synth» for det innebygde, eller en mappe med "
       "kit.toml eller drumkit.xml.",
    en="The drum kit '{kit}' does not exist. Write 'synth' for the built-in one, or a folder "
       "with kit.toml or drumkit.xml.",
)


def open_kit(spec: str | Path, samplerate: int) -> Kit:
    """A kit at ``samplerate``: ``"synth"`` (built in), a sample-kit folder or ``kit.toml``, or a
    Hydrogen drumkit folder or ``drumkit.xml``."""
    text = str(spec).strip()
    if text.lower() == SYNTH:
        from studio.audio.beat.synth_kit import synth_kit

        return synth_kit(samplerate)
    from studio.audio.beat.hydrogen_kit import DRUMKIT_FILE, load_hydrogen_kit
    from studio.audio.beat.sample_kit import KIT_FILE, load_sample_kit

    path = Path(text).expanduser()
    if path.is_dir():
        if (path / KIT_FILE).is_file():
            return load_sample_kit(path, samplerate)
        if (path / DRUMKIT_FILE).is_file():
            return load_hydrogen_kit(path, samplerate)
        raise StudioError(_NOT_A_KIT, path=str(path))
    if path.is_file():
        if path.suffix.lower() == ".toml":
            return load_sample_kit(path, samplerate)
        if path.suffix.lower() == ".xml":
            return load_hydrogen_kit(path, samplerate)
        raise StudioError(_NOT_A_KIT, path=str(path))
    raise StudioError(_NO_SUCH_KIT, kit=text)
