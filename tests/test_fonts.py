"""Hangul in plots: the font is found, registered as a fallback, and nothing renders as tofu."""

from __future__ import annotations

import importlib.util
import warnings

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest

from lstm_lab import fonts
from lstm_lab.fonts import HANGUL_FAMILY, hangul_font_path, hangul_label, missing_glyphs, use_hangul_font

WORDS = "할머니는 고양이를"


@pytest.fixture(autouse=True)
def restore_rcparams():
    with mpl.rc_context():
        yield


def _draw_with_warnings(label: str) -> list[str]:
    fig, ax = plt.subplots()
    ax.set_title(label)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    plt.close(fig)
    return [str(w.message) for w in caught if "Glyph" in str(w.message)]


def test_the_dependency_ships_the_font():
    path = hangul_font_path()
    assert path is not None and path.name == "NanumGothic.ttf" and path.stat().st_size > 1_000_000


def test_default_font_cannot_draw_hangul():
    mpl.rcParams["font.family"] = ["DejaVu Sans"]
    assert missing_glyphs(WORDS) == ["할", "머", "니", "는", "고", "양", "이", "를"]
    assert _draw_with_warnings(WORDS)  # the tofu warning this module exists to prevent


def test_with_the_hangul_font_nothing_is_missing():
    assert use_hangul_font() == HANGUL_FAMILY
    assert mpl.rcParams["font.family"] == ["DejaVu Sans", HANGUL_FAMILY]
    assert missing_glyphs(WORDS + " abc 123 −") == []
    assert _draw_with_warnings(f"{WORDS}: loss −1.5") == []


def test_missing_glyphs_reports_each_character_once_and_ignores_spaces():
    assert missing_glyphs("할 할\n할", families=["DejaVu Sans"]) == ["할"]
    assert missing_glyphs("abc", families=["DejaVu Sans"]) == []
    assert missing_glyphs("abc", families=["No Such Font"]) == ["a", "b", "c"]


def test_without_the_package_plots_fall_back_to_ids(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(fonts.importlib.util, "find_spec",
                        lambda name, *a: None if name == "koreanize_matplotlib" else real_find_spec(name, *a))
    assert hangul_font_path() is None
    before = list(mpl.rcParams["font.family"])
    assert use_hangul_font() is None
    assert list(mpl.rcParams["font.family"]) == before
    assert hangul_label("고양이는", 12, None) == "#12"
    assert hangul_label("고양이는", 12, HANGUL_FAMILY) == "고양이는"


def test_a_wrong_font_path_is_one_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no font file at"):
        use_hangul_font(tmp_path / "missing.ttf")
