"""The corpus: Kafka's *Metamorphosis*, fetched once from Project Gutenberg and cleaned.

The raw ebook (``pg5200.txt``) is downloaded into the data folder the first time it is
needed; afterwards everything works offline. The lessons' stored outputs were produced
from one particular release of that ebook, so the cleaned text is checksummed and a
:class:`CorpusChecksumWarning` tells you when your copy differs.

Run ``python -m lstm_lab.data`` (what ``make data`` does) to fetch the corpus ahead of time.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
import urllib.error
import urllib.request
import warnings
from pathlib import Path

from lstm_lab.progress import progress_bar

KAFKA_URL = "https://www.gutenberg.org/cache/epub/5200/pg5200.txt"
KAFKA_FILENAME = "pg5200.txt"
# The story itself starts here. Everything before it inside the Gutenberg markers
# (copyright line, title block, chapter heading "I") is front matter that differs
# between releases of the ebook, so it is cut: the lessons train on Kafka, not on
# Gutenberg's typesetting, and two releases of the same translation agree.
KAFKA_FIRST_WORDS = "One morning, when Gregor Samsa"

# sha256 of the text load_text("kafka") returns (strip_gutenberg, then from
# KAFKA_FIRST_WORDS on) encoded as UTF-8, for the 2012 release of
# ebook 5200 (translated by David Wyllie; header "Last updated: May 20, 2012", the older
# "*** START OF THIS PROJECT GUTENBERG EBOOK ..." marker style). The notebooks' stored
# outputs were made with this text.
KAFKA_SHA256 = "18d224297ebe423d81c0d3ebca9fbc7a2987f65263b85103506a2c25c1570729"

_CHUNK_BYTES = 64 * 1024
_TIMEOUT_SECONDS = 30


class CorpusError(ValueError):
    """The corpus could not be obtained or read; the message says how to fix it."""


class CorpusChecksumWarning(UserWarning):
    """The corpus text differs from the release the lessons' stored outputs were made with."""


# --------------------------------------------------------------------------- locations


def _default_data_dir() -> Path:
    env = os.environ.get("LSTM_LAB_DATA")
    if env:
        return Path(env).expanduser().resolve()
    return Path(__file__).resolve().parent.parent / "data"


def data_dir() -> Path:
    """The folder holding downloaded corpora: ``$LSTM_LAB_DATA`` if set, else ``<repo>/data``."""
    return _default_data_dir()


def _check_name(name: str) -> None:
    # One corpus today; the parameter keeps call sites honest about which text they mean.
    if name != "kafka":
        raise CorpusError(
            f"Unknown corpus {name!r}. The only built-in corpus is 'kafka'. For your own text use read_text_file(path)."
        )


# --------------------------------------------------------------------------- download


def _offline_help(url: str, dest: Path) -> str:
    return (
        f"To fix it, either download {url} by hand (in a browser) and save it as {dest}, "
        "or run `make data` once you are online, which fetches it for you."
    )


def download(url: str, dest: str | Path) -> Path:
    """Download ``url`` to ``dest`` atomically, with a progress bar; return ``dest``.

    The bytes go to a temporary file in the same folder, which replaces ``dest`` only
    once the transfer is complete, so an interrupted download never leaves a truncated
    file behind that would later be mistaken for the corpus. Any failure raises
    :class:`CorpusError` (after removing the temporary file).
    """
    dest = Path(dest).expanduser().resolve()
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CorpusError(f"Cannot create the data folder {dest.parent}: {exc}.") from exc

    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=_TIMEOUT_SECONDS) as resp:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            received = 0
            with progress_bar(total=total, unit="B", unit_scale=True, desc=f"Downloading {dest.name}") as bar:
                while chunk := resp.read(_CHUNK_BYTES):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            if total is not None and received != total:
                raise CorpusError(
                    f"The download of {url} stopped early: got {received:,} of {total:,} bytes. "
                    f"Nothing was saved. Try again (the connection may have dropped). {_offline_help(url, dest)}"
                )
        tmp.chmod(0o644)  # mkstemp makes it private (0600); the corpus is an ordinary file
        os.replace(tmp, dest)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, CorpusError) or not isinstance(exc, Exception):
            raise  # our own message, or Ctrl-C: pass through unchanged
        if isinstance(exc, urllib.error.HTTPError):
            problem = f"the server answered HTTP {exc.code} {exc.reason}"
        elif isinstance(exc, urllib.error.URLError):
            problem = f"the server could not be reached ({exc.reason}), perhaps because you are offline"
        else:
            problem = f"the transfer failed ({type(exc).__name__}: {exc})"
        raise CorpusError(
            f"Could not download {url} to {dest}: {problem}. Nothing was saved. {_offline_help(url, dest)}"
        ) from exc
    return dest


def fetch_corpus(name: str = "kafka", data_dir: str | Path | None = None, url: str | None = None) -> Path:
    """Return the path of the raw corpus file, downloading it first if it is not there.

    ``url`` (or the ``LSTM_LAB_KAFKA_URL`` environment variable) replaces the Project
    Gutenberg address, e.g. for a mirror or for tests.
    """
    _check_name(name)
    folder = Path(data_dir).expanduser().resolve() if data_dir is not None else _default_data_dir()
    path = folder / KAFKA_FILENAME
    if not path.is_file():
        download(url or os.environ.get("LSTM_LAB_KAFKA_URL") or KAFKA_URL, path)
    return path


# --------------------------------------------------------------------------- cleaning

# Marker lines, e.g. "*** START OF THIS PROJECT GUTENBERG EBOOK METAMORPHOSIS ***" (older
# releases) or "*** START OF THE PROJECT GUTENBERG EBOOK METAMORPHOSIS ***" (newer ones).
# The title part varies, so anything may follow "EBOOK" up to the end of the line.
_START = re.compile(r"^[ \t]*\*{3}[ \t]*START\s+OF\s+TH(?:IS|E)\s+PROJECT\s+GUTENBERG\s+E-?BOOK\b.*$", re.I | re.M)
_END = re.compile(r"^[ \t]*\*{3}[ \t]*END\s+OF\s+TH(?:IS|E)\s+PROJECT\s+GUTENBERG\s+E-?BOOK\b.*$", re.I | re.M)
# Older releases repeat the title just before the END marker:
# "End of the Project Gutenberg EBook of Metamorphosis, by Franz Kafka" (+ translator line).
_END_NOTE = re.compile(r"\AEnd\s+of\s+(?:the\s+)?Project\s+Gutenberg", re.I)


def normalise_newlines(text: str) -> str:
    """Drop a leading byte-order mark and turn Windows (``\\r\\n``) and old Mac (``\\r``) line ends into ``\\n``."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _trim_blank_lines(text: str) -> str:
    # Leading blank lines go, but the first real line keeps its indentation.
    text = re.sub(r"\A(?:[ \t]*\n)+", "", text)
    return text.rstrip()


def strip_gutenberg(raw: str, *, source: str | Path | None = None) -> str:
    """The book itself: ``raw`` without Project Gutenberg's header, footer and licence.

    Keeps everything strictly between the START and END marker lines, minus a trailing
    "End of the Project Gutenberg EBook of ..." paragraph and surrounding blank lines.
    Inner text is untouched (hard-wrapped lines stay wrapped). Line endings become ``\\n``.
    ``source`` (a file name) only serves to make error messages specific.
    """
    text = normalise_newlines(raw)
    where = f"{source}" if source is not None else "The text"
    start = _START.search(text)
    if start is None:
        raise CorpusError(
            f"{where} does not look like a Project Gutenberg text: no '*** START OF THE PROJECT "
            "GUTENBERG EBOOK ... ***' line found. If it is your own text, read it with "
            "read_text_file(path) instead; if it should be the Kafka corpus, delete it and run "
            "`make data` to fetch it again."
        )
    end = _END.search(text, start.end())
    if end is None:
        raise CorpusError(
            f"{where} has a Project Gutenberg START marker but no '*** END OF THE PROJECT GUTENBERG "
            "EBOOK ... ***' line, so it is probably truncated. Delete it and run `make data` to "
            "fetch it again."
        )
    body = _trim_blank_lines(text[start.end() : end.start()])
    paragraphs = body.rsplit("\n\n", 1)
    if len(paragraphs) == 2 and _END_NOTE.match(paragraphs[1].lstrip()):
        body = _trim_blank_lines(paragraphs[0])
    return body


def sha256_text(text: str) -> str:
    """Hex sha256 of ``text`` encoded as UTF-8 (use it on normalised text)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- reading


def _decode(data: bytes, encoding: str, path: Path) -> str:
    try:
        return data.decode(encoding)
    except LookupError as exc:
        raise CorpusError(f"Unknown encoding {encoding!r} for {path}. Common ones: 'utf-8', 'latin-1'.") from exc
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.end]
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            # The byte-order mark of UTF-16, which Windows Notepad calls "Unicode".
            hint = f"it starts with a UTF-16 byte-order mark: try read_text_file({str(path)!r}, encoding='utf-16')."
        else:
            hint = ("if it is Western European text, try "
                    f"read_text_file({str(path)!r}, encoding='latin-1') or encoding='cp1252'.")
        raise CorpusError(
            f"{path} is not valid {encoding} text: byte offset {exc.start} holds "
            f"{' '.join(f'0x{b:02x}' for b in bad)}, which {encoding} cannot decode ({exc.reason}). "
            f"The file was probably saved in another encoding; {hint}"
        ) from exc


def _utf16_guess(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' if ``data`` looks like UTF-16 saved without a byte-order mark.

    Text in a Latin script saved as UTF-16 has a zero byte in (nearly) every other position:
    the odd ones for little-endian ("G\\x00r\\x00..."), the even ones for big-endian.
    """
    sample = data[: 64 * 1024]
    if len(sample) < 4:
        return None
    odd_zeros, even_zeros = sample[1::2].count(0), sample[0::2].count(0)
    half = len(sample) // 2
    if odd_zeros > 0.4 * half and even_zeros < 0.05 * half:
        return "utf-16-le"
    if even_zeros > 0.4 * half and odd_zeros < 0.05 * half:
        return "utf-16-be"
    return None


def _refuse_nul(text: str, data: bytes, encoding: str, path: Path) -> None:
    """CorpusError if the decoded text holds NUL characters: a binary file, or the wrong encoding."""
    nuls = text.count("\x00")
    if not nuls:
        return
    guess = _utf16_guess(data)
    if guess is not None:
        hint = (f"it looks like {guess.upper()} text saved without a byte-order mark (every other byte is "
                f"zero): read it with read_text_file({str(path)!r}, encoding={guess!r}).")
    else:
        hint = ("it is probably not a text file (a binary file, e.g. an image, a PDF or a word-processor "
                "document), or text in another encoding such as UTF-16 or UTF-32: save it as plain UTF-8 "
                f"text, or pass the right encoding, e.g. read_text_file({str(path)!r}, encoding='utf-16').")
    raise CorpusError(
        f"{path} decoded as {encoding} holds {nuls:,} NUL characters (U+0000) in {len(text):,}, which no "
        f"text a model should learn from contains; {hint}"
    )


def read_text_file(path: str | Path, encoding: str = "utf-8") -> str:
    """Read your own text file for training: decoded, byte-order mark dropped, ``\\n`` line ends.

    Raises FileNotFoundError (with the full path) if there is no such file and
    :class:`CorpusError` if it cannot be decoded, holds no text, or holds NUL characters
    (a binary file, or UTF-16 without a byte-order mark read as UTF-8: the message names
    the encoding to pass).
    """
    path = Path(path).expanduser()
    full = path.resolve()
    if not path.exists():
        raise FileNotFoundError(
            f"No file at {full}. Check the file name and folder (relative paths start from {Path.cwd()})."
        )
    if path.is_dir():
        raise CorpusError(f"{full} is a folder, not a text file. Pass the path of a .txt file inside it.")
    data = path.read_bytes()
    text = normalise_newlines(_decode(data, encoding, full))
    _refuse_nul(text, data, encoding, full)
    if not text.strip():
        raise CorpusError(
            f"{full} is empty: a language model needs text to learn from. Put some text in it "
            "(a few hundred kilobytes is a good size) or choose another file."
        )
    return text


def load_text(name: str = "kafka", *, data_dir: str | Path | None = None, url: str | None = None) -> str:
    """Kafka's *Metamorphosis* (Project Gutenberg ebook 5200) as one string, book text only.

    Downloads the raw ebook into ``data_dir`` (default: :func:`data_dir`) on first use.
    Warns with :class:`CorpusChecksumWarning` if the text differs from the release the
    lessons were made with.
    """
    path = fetch_corpus(name, data_dir=data_dir, url=url)
    text = strip_gutenberg(_decode(path.read_bytes(), "utf-8", path), source=path)
    start = text.find(KAFKA_FIRST_WORDS)
    if start < 0:
        raise CorpusError(
            f"{path} is a Project Gutenberg text, but not Metamorphosis: its opening words "
            f"{KAFKA_FIRST_WORDS!r} are missing. Delete the file and run `make data` to fetch it again."
        )
    text = text[start:]
    digest = sha256_text(text)
    if digest != KAFKA_SHA256:
        warnings.warn(
            f"The corpus text in {path} differs from the release the lessons' stored outputs "
            f"were made with (sha256 {digest}, expected {KAFKA_SHA256}). Everything still works, "
            "but numbers in the notebooks (vocabulary size, losses, samples) will differ from the "
            f"stored ones. To get the expected release, delete {path} and run `make data` to "
            "fetch it again.",
            CorpusChecksumWarning,
            stacklevel=2,
        )
    return text


def main() -> int:
    """``python -m lstm_lab.data`` (``make data``): fetch the corpus, or say why not, briefly."""
    try:
        path = fetch_corpus()
        text = load_text()
    except CorpusError as err:
        print(f"make data: {err}", file=sys.stderr)  # the message says what to do; no traceback
        return 1
    print(f"{path}\n{len(text):,} characters\nsha256 {sha256_text(text)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
