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



def modules_of(layer: str) -> list[str]:
    """Every module of a layer, found on disk: a new module is checked without listing it."""
    import pkgutil
    from importlib import import_module

    package = import_module(layer)
    return [layer, *(m.name for m in pkgutil.walk_packages(package.__path__, layer + ".")
                     if not m.name.endswith("__main__"))]


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_loads_nothing_above_it(layer: str) -> None:
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules_of(layer)!r}: importlib.import_module(m)\n"
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
