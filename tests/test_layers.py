"""The folder layout is the architecture: check the import directions for real."""

from __future__ import annotations

import subprocess
import sys

import pytest

FORBIDDEN = {
    "studio.core": ["studio.store", "studio.audio", "studio.services", "studio.tui", "studio.cli",
                    "numpy", "sounddevice", "pedalboard", "textual"],
    "studio.store": ["studio.audio", "studio.services", "studio.tui", "studio.cli"],
    "studio.audio": ["studio.store", "studio.services", "studio.tui", "studio.cli", "textual"],
    "studio.services": ["studio.tui", "studio.cli", "textual"],
    "studio.tui": ["studio.cli"],
}

MODULES = {
    "studio.core": ["studio.core.song", "studio.core.timebase", "studio.core.timeline",
                    "studio.core.i18n", "studio.core.preset"],
    "studio.store": ["studio.store.catalog", "studio.store.layout"],
    "studio.audio": ["studio.audio.engine", "studio.audio.engine_host", "studio.audio.disk_worker",
                     "studio.audio.devices", "studio.audio.doctor"],
    "studio.services": ["studio.services.studio", "studio.services.recording",
                        "studio.services.supervisor"],
    "studio.tui": ["studio.tui.app"],
}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_loads_nothing_above_it(layer: str) -> None:
    code = (
        "import importlib, json, sys\n"
        f"for m in {MODULES[layer]!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(__import__("json").loads(out.stdout))
    for banned in FORBIDDEN[layer]:
        hits = [m for m in loaded if m == banned or m.startswith(banned + ".")]
        assert not hits, f"{layer} loads {hits}"


def test_import_contracts_hold() -> None:
    """import-linter's contracts in pyproject.toml (layers, and the TUI only talks to services)."""
    from pathlib import Path

    exe = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(exe)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
