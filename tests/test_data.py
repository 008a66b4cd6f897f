"""The corpus: download (against a local HTTP server only), Gutenberg stripping, reading files."""

from __future__ import annotations

import http.server
import os
import socket
import threading
import warnings
from pathlib import Path

import pytest

from lstm_lab import data
from lstm_lab.data import (
    KAFKA_SHA256,
    CorpusChecksumWarning,
    CorpusError,
    download,
    fetch_corpus,
    load_text,
    read_text_file,
    sha256_text,
    strip_gutenberg,
)
from lstm_lab.vocab import Vocabulary

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("LSTM_LAB_SHARED_DATA", REPO.parent / "shared" / "data"))
PG5200 = SHARED / "pg5200.txt"
KAFKA_TXT = SHARED / "kafka.txt"


def _closed_port_url() -> str:
    # Bind then release a port: nothing listens there, so connecting is refused at once.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/pg5200.txt"


@pytest.fixture(autouse=True)
def _no_real_network(monkeypatch, tmp_path):
    # Whatever a test forgets to pass, it can never reach gutenberg.org or the repo's data/.
    monkeypatch.setenv("LSTM_LAB_KAFKA_URL", _closed_port_url())
    monkeypatch.setenv("LSTM_LAB_DATA", str(tmp_path / "default-data"))
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def pg5200_bytes() -> bytes:
    if not PG5200.is_file():
        pytest.skip(f"shared corpus {PG5200} not found (set LSTM_LAB_SHARED_DATA to its folder)")
    return PG5200.read_bytes()


class _Server:
    """A tiny HTTP server on 127.0.0.1 that serves ``body`` and counts requests."""

    def __init__(self, body: bytes, *, truncate: bool = False, status: int = 200) -> None:
        self.hits = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                outer.hits += 1
                if status != 200:
                    self.send_error(status)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # Truncate: promise every byte, send half, hang up.
                self.wfile.write(body[: len(body) // 2] if truncate else body)
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/pg5200.txt"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve():
    servers: list[_Server] = []

    def start(body: bytes, **kwargs: object) -> _Server:
        servers.append(_Server(body, **kwargs))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


# --------------------------------------------------------------------------- download


def test_download_strip_and_checksum(serve, pg5200_bytes, tmp_path):
    server = serve(pg5200_bytes)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CorpusChecksumWarning)
        text = load_text(data_dir=tmp_path, url=server.url)
    assert (tmp_path / "pg5200.txt").read_bytes() == pg5200_bytes
    assert "One morning, when Gregor Samsa woke from troubled dreams" in text
    assert text.startswith("One morning, when Gregor Samsa woke from troubled dreams")
    assert text.endswith("stretch out her young body.")
    assert "Gutenberg" not in text[:500] and "Gutenberg" not in text[-500:]
    assert "\r" not in text and "\ufeff" not in text
    assert sha256_text(text) == KAFKA_SHA256
    assert len(text) == 119_163


def test_newer_release_layout_gives_the_same_text(serve, pg5200_bytes, tmp_path):
    """Gutenberg's newer releases change the markers and the front matter, not the story."""
    raw = pg5200_bytes.decode("utf-8")
    story = raw[raw.index("One morning, when Gregor") : raw.index("End of the Project Gutenberg EBook")]
    newer = (
        "The Project Gutenberg eBook of Metamorphosis\r\n\r\nTitle: Metamorphosis\r\n\r\n"
        "*** START OF THE PROJECT GUTENBERG EBOOK METAMORPHOSIS ***\r\n\r\n\r\n\r\n\r\n"
        "Metamorphosis\r\n\r\nby Franz Kafka\r\n\r\nTranslated by David Wyllie\r\n\r\n\r\n\r\n\r\n"
        "I\r\n\r\n\r\n" + story + "\r\n\r\n*** END OF THE PROJECT GUTENBERG EBOOK METAMORPHOSIS ***\r\n"
        "\r\nSection 1. General Terms of Use\r\n"
    )
    server = serve(newer.encode("utf-8"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", CorpusChecksumWarning)
        text = load_text(data_dir=tmp_path, url=server.url)
    assert sha256_text(text) == KAFKA_SHA256


def test_another_gutenberg_book_is_refused(serve, tmp_path):
    other = (
        "*** START OF THE PROJECT GUTENBERG EBOOK NOTES FROM THE UNDERGROUND ***\n"
        "I am a sick man.\n*** END OF THE PROJECT GUTENBERG EBOOK NOTES FROM THE UNDERGROUND ***\n"
    )
    server = serve(other.encode("utf-8"))
    with pytest.raises(CorpusError, match="not Metamorphosis"):
        load_text(data_dir=tmp_path, url=server.url)


def test_second_call_does_not_download_again(serve, pg5200_bytes, tmp_path):
    server = serve(pg5200_bytes)
    first = load_text(data_dir=tmp_path, url=server.url)
    second = load_text(data_dir=tmp_path, url=server.url)
    assert first == second
    assert server.hits == 1


def test_env_vars_choose_folder_and_url(serve, pg5200_bytes, tmp_path, monkeypatch):
    server = serve(pg5200_bytes)
    monkeypatch.setenv("LSTM_LAB_DATA", str(tmp_path / "d"))
    monkeypatch.setenv("LSTM_LAB_KAFKA_URL", server.url)
    assert data.data_dir() == (tmp_path / "d").resolve()
    assert fetch_corpus() == (tmp_path / "d" / "pg5200.txt").resolve()
    assert server.hits == 1


def test_default_data_dir_is_repo_data(monkeypatch):
    monkeypatch.delenv("LSTM_LAB_DATA")
    assert data.data_dir() == REPO / "data"


def test_truncated_download_leaves_no_file(serve, pg5200_bytes, tmp_path):
    server = serve(pg5200_bytes, truncate=True)
    with pytest.raises(CorpusError, match="Nothing was saved"):
        load_text(data_dir=tmp_path, url=server.url)
    assert list(tmp_path.iterdir()) == []  # no pg5200.txt, no .part file


def test_http_error_leaves_no_file(serve, tmp_path):
    server = serve(b"", status=404)
    with pytest.raises(CorpusError, match="HTTP 404"):
        download(server.url, tmp_path / "pg5200.txt")
    assert list(tmp_path.iterdir()) == []


def test_modified_corpus_warns_with_both_checksums(serve, pg5200_bytes, tmp_path):
    modified = pg5200_bytes.replace(b"Gregor Samsa woke", b"Gregor Samsa awoke", 1)
    server = serve(modified)
    with pytest.warns(CorpusChecksumWarning) as record:
        text = load_text(data_dir=tmp_path, url=server.url)
    message = str(record[0].message)
    assert KAFKA_SHA256 in message
    assert sha256_text(text) in message
    assert "make data" in message and "differ" in message


def test_unreachable_server_says_what_to_do(tmp_path):
    with pytest.raises(CorpusError) as info:
        load_text(data_dir=tmp_path, url=_closed_port_url())
    message = str(info.value)
    assert str((tmp_path / "pg5200.txt").resolve()) in message
    assert "make data" in message
    assert "http://127.0.0.1:" in message  # the URL to fetch by hand
    assert list(tmp_path.iterdir()) == []


def test_unknown_corpus_name(tmp_path):
    with pytest.raises(CorpusError, match="kafka"):
        load_text("tolstoy", data_dir=tmp_path)


# --------------------------------------------------------------------------- stripping

OLD_STYLE = (
    "The Project Gutenberg EBook of Tiny, by Someone\r\n\r\n"
    "*** START OF THIS PROJECT GUTENBERG EBOOK TINY ***\r\n\r\n\r\n"
    "  First line, indented.\r\nSecond line.\r\n\r\nLast paragraph.\r\n\r\n\r\n"
    "End of the Project Gutenberg EBook of Tiny, by Someone\r\nTranslated by Nobody.\r\n\r\n"
    "*** END OF THIS PROJECT GUTENBERG EBOOK TINY ***\r\n\r\nLicence text.\r\n"
    "*** START: FULL LICENSE ***\r\nMore licence.\r\n"
)
NEW_STYLE = (
    "\ufeffThe Project Gutenberg eBook of Tiny\n\n"
    "*** START OF THE PROJECT GUTENBERG EBOOK TINY: A STORY ***\n"
    "  First line, indented.\nSecond line.\n\nLast paragraph.\n\n"
    "*** END OF THE PROJECT GUTENBERG EBOOK TINY: A STORY ***\n"
    "Licence text.\n"
)
EXPECTED = "  First line, indented.\nSecond line.\n\nLast paragraph."


def test_strip_old_style_with_crlf_and_end_note():
    assert strip_gutenberg(OLD_STYLE) == EXPECTED


def test_strip_new_style_with_bom():
    assert strip_gutenberg(NEW_STYLE) == EXPECTED


def test_strip_is_tolerant_of_case_spacing_and_lone_cr():
    raw = "head\r***  start of the project gutenberg ebook 5200 ***\rA\rB\r*** End  of  the Project Gutenberg EBook ***"
    assert strip_gutenberg(raw) == "A\nB"


def test_strip_keeps_a_paragraph_that_only_mentions_gutenberg_midway():
    raw = NEW_STYLE.replace("Last paragraph.", "Last paragraph, not the End of Project Gutenberg text.")
    assert strip_gutenberg(raw).endswith("not the End of Project Gutenberg text.")


def test_strip_without_markers_names_the_file():
    with pytest.raises(CorpusError, match=r"mine\.txt does not look like a Project Gutenberg text"):
        strip_gutenberg("Just some text.\n", source="mine.txt")


def test_strip_without_end_marker_says_truncated():
    raw = NEW_STYLE.split("*** END")[0]
    with pytest.raises(CorpusError, match="truncated"):
        strip_gutenberg(raw)


def test_real_pg5200_strips_cleanly(pg5200_bytes):
    text = strip_gutenberg(pg5200_bytes.decode("utf-8"))
    assert text.startswith("Copyright (C) 2002 David Wyllie.")  # front matter: load_text cuts it
    assert text.endswith("stretch out her young body.")
    assert "Project Gutenberg" not in text
    assert "\r" not in text


# --------------------------------------------------------------------------- the seed notebooks' file


@pytest.fixture(scope="module")
def kafka_txt() -> str:
    if not KAFKA_TXT.is_file():
        pytest.skip(f"shared file {KAFKA_TXT} not found (set LSTM_LAB_SHARED_DATA to its folder)")
    return KAFKA_TXT.read_text(encoding="utf-8")


def test_kafka_txt_facts(kafka_txt):
    assert len(kafka_txt) == 118_561
    assert len(set(kafka_txt)) == 63
    assert kafka_txt[0] == "\ufeff"
    vocab = Vocabulary.from_text(kafka_txt)
    assert vocab.size == 63
    assert vocab.symbols == sorted(set(kafka_txt))


def test_read_text_file_drops_the_bom(kafka_txt):
    text = read_text_file(KAFKA_TXT)
    assert text == kafka_txt[1:]


# --------------------------------------------------------------------------- read_text_file


def test_read_text_file_normalises_line_endings(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_bytes(b"a\r\nb\rc\n")
    assert read_text_file(path) == "a\nb\nc\n"


def test_read_text_file_latin1_bytes(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("Caf\u00e9 au lait".encode("latin-1"))
    with pytest.raises(CorpusError) as info:
        read_text_file(path)
    message = str(info.value)
    assert "latin.txt" in message
    assert "byte offset 3" in message
    assert "0xe9" in message
    assert "encoding='latin-1'" in message
    assert read_text_file(path, encoding="latin-1") == "Caf\u00e9 au lait"


@pytest.mark.parametrize("content", [b"", b"  \n\t\r\n"])
def test_read_text_file_empty(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(CorpusError, match="is empty: a language model needs text to learn from"):
        read_text_file(path)


def test_read_text_file_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        read_text_file(tmp_path / "nope.txt")


def test_read_text_file_unknown_encoding(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("abc")
    with pytest.raises(CorpusError, match="Unknown encoding"):
        read_text_file(path, encoding="klingon")


def test_downloaded_file_is_world_readable(serve, tmp_path):
    server = serve(b"hello")
    path = download(server.url, tmp_path / "f.txt")
    assert path.read_bytes() == b"hello"
    assert path.stat().st_mode & 0o044 == 0o044


def test_make_data_offline_prints_one_message_and_fails(tmp_path, capsys, monkeypatch):
    from lstm_lab.data import main

    monkeypatch.setenv("LSTM_LAB_DATA", str(tmp_path))
    monkeypatch.setenv("LSTM_LAB_KAFKA_URL", "http://127.0.0.1:9/pg5200.txt")  # closed port
    assert main() == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "make data" in err and str(tmp_path / "pg5200.txt") in err
