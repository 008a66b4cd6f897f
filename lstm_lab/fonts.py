"""Fonts for plots that show Hangul (Lesson 9).

matplotlib's default font, DejaVu Sans, has no Hangul: a Korean label comes out as empty
boxes ("tofu") with a "Glyph ... missing from font(s)" warning. The course depends on the
``koreanize-matplotlib`` package only for the NanumGothic font files it ships (SIL Open Font
Licence); we register the font ourselves instead of importing that package, which would
change matplotlib's settings as a side effect of the import.

``use_hangul_font()`` puts NanumGothic *behind* DejaVu Sans in the font family list:
matplotlib (3.6 and newer) then draws each character with the first font that has it, so
Latin letters, digits and math look as in every other lesson and Hangul comes from Nanum.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

#: The family name of the font file ``hangul_font_path`` finds.
HANGUL_FAMILY = "NanumGothic"
_FONT_PACKAGE = "koreanize_matplotlib"
_FONT_FILE = "NanumGothic.ttf"


def hangul_font_path() -> Path | None:
    """The NanumGothic.ttf shipped by the koreanize-matplotlib package, or None if not installed.

    The package is located without being imported (importing it changes rcParams).
    """
    spec = importlib.util.find_spec(_FONT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "fonts" / _FONT_FILE
        if path.is_file():
            return path
    return None


def use_hangul_font(path: Path | str | None = None) -> str | None:
    """Let matplotlib draw Hangul: register the font and add it to ``font.family`` as a fallback.

    Args:
        path: a TTF/OTF file with Hangul; default ``hangul_font_path()``.

    Returns:
        the font's family name, or None if no font file was found (then plots should show ids
        instead of Hangul, see ``hangul_label``).
    """
    path = hangul_font_path() if path is None else Path(path)
    if path is None:
        return None
    if not path.is_file():
        raise ValueError(f"no font file at {path}; pass the path of a .ttf or .otf with Hangul, or None.")
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    mpl.rcParams["font.family"] = ["DejaVu Sans", family]  # DejaVu first: Latin and math as elsewhere
    return family


def _font_files(families: list[str]) -> list[str]:
    """The font file of each installed family, in order; families not installed are skipped."""
    files = []
    for family in families:
        try:
            files.append(font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False))
        except ValueError:
            continue  # not installed: it draws nothing
    return files


def missing_glyphs(text: str, families: list[str] | None = None) -> list[str]:
    """The distinct characters of ``text`` that none of the fonts can draw (they would be tofu).

    Args:
        text: the labels a plot will show, joined.
        families: font family names, tried in order; default matplotlib's ``font.family``.

    Returns:
        the characters with no glyph in any of the fonts, in order of first appearance
        (whitespace is ignored). An empty list means the text renders.
    """
    families = list(mpl.rcParams["font.family"]) if families is None else list(families)
    expanded: list[str] = []
    for f in families:  # a generic name stands for its list, e.g. sans-serif -> DejaVu Sans, ...
        expanded += list(mpl.rcParams[f"font.{f}"]) if f in ("serif", "sans-serif", "monospace") else [f]
    fonts = [FT2Font(path) for path in dict.fromkeys(_font_files(expanded))]
    missing = []
    for ch in dict.fromkeys(text):
        if not ch.isspace() and not any(font.get_char_index(ord(ch)) for font in fonts):
            missing.append(ch)
    return missing


def hangul_label(token: str, token_id: int, font: str | None) -> str:
    """What a plot shows for a token: the token itself if a Hangul font is in use, else ``#id``."""
    return token if font is not None else f"#{token_id}"
