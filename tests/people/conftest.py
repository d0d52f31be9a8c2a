from __future__ import annotations

from collections.abc import Iterator

import pytest

from studio.core.i18n import language, set_language


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """These tests read the plain-language reasons, in English."""
    before = language()
    set_language("en")
    yield
    set_language(before)
