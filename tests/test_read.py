import codecs
import gzip
import io

from newsclean.config import Config
from newsclean.read import decode, looks_binary, read_inputs, site_of
from newsclean.records import Document, Reject


def items(paths, **kw):
    return list(read_inputs([str(p) for p in paths], Config(**kw)))


def test_decode_order_bom_meta_utf8_cp1252():
    assert decode(codecs.BOM_UTF8 + "café".encode()) == ("café", "utf-8-bom", 0)
    assert decode(codecs.BOM_UTF16_LE + "café".encode("utf-16-le"))[0] == "café"
    html = b'<html><head><meta charset="iso-8859-7"></head><body>\xe1</body></html>'
    text, how, _ = decode(html, html=True)
    assert "α" in text and how == "iso-8859-7-meta"
    assert decode("naïve".encode()) == ("naïve", "utf-8", 0)
    assert decode("naïve “quotes”".encode("cp1252")) == ("naïve “quotes”", "cp1252-fallback", 0)


def test_utf8_with_a_few_bad_bytes_stays_utf8():
    # Three stray bytes in a UTF-8 file used to turn the whole of it into cp1252 mojibake.
    good = "Beijing’s “plan” — café, naïve, Zürich. " * 20
    raw = good.encode() + b"\xff\xfe" + good.encode() + b"\x80"
    text, how, replaced = decode(raw)
    assert how == "utf-8" and "Beijing’s" in text and "â€" not in text
    assert replaced == 3  # one U+FFFD for each byte that starts no character
    # A real U+FFFD in the source is not counted as a replacement.
    assert decode("a \ufffd b".encode() + b"\xff")[2] == 1


def test_utf8_bad_bytes_counted_in_source(tmp_path):
    p = tmp_path / "page.txt"
    p.write_bytes("Beijing’s plan, said the ministry’s spokesman.".encode() + b"\xff")
    [doc] = items([p])
    assert doc.source["encoding"] == "utf-8" and doc.source["replaced"] == 1
    assert "Beijing’s" in doc.content


def test_lying_meta_charset_falls_back_to_utf8():
    html = '<meta charset="no-such-codec"><p>ü</p>'.encode()
    assert decode(html, html=True) == (html.decode(), "utf-8", 0)


def test_binary_detection():
    assert looks_binary(b"abc\x00def")
    assert not looks_binary(codecs.BOM_UTF16_LE + "ab".encode("utf-16-le"))
    assert not looks_binary(b"plain text")


def test_text_file_document(tmp_path):
    p = tmp_path / "page.txt"
    p.write_bytes("Headline\n\nBody text.".encode())
    [doc] = items([p])
    assert isinstance(doc, Document)
    assert doc.doc_id == "page" and doc.fmt == "text" and doc.source["format"] == "text"
    assert doc.source["encoding"] == "utf-8" and len(doc.source["sha256"]) == 64
    assert doc.site == str(tmp_path)


def test_bad_files_become_rejects(tmp_path):
    (tmp_path / "a_empty.txt").write_bytes(b"  \n\n")
    (tmp_path / "b_binary.txt").write_bytes(b"\x89PNG\x00\x00\x01")
    (tmp_path / "c_bad.gz.txt").write_bytes(b"ok text")
    (tmp_path / "d_broken.txt.gz").write_bytes(b"not gzip at all")
    (tmp_path / "e_notes.md").write_text("# readme")
    out = items([tmp_path, tmp_path / "missing.txt"])
    reasons = [(type(x).__name__, getattr(x, "reason", None)) for x in out]
    assert reasons == [("Reject", "empty"), ("Reject", "binary"), ("Document", None),
                       ("Reject", "unreadable"), ("Reject", "unsupported"), ("Reject", "missing")]
    assert all(x.path for x in out if isinstance(x, Reject))


def test_jsonl_lines_reject_and_go_on(tmp_path):
    p = tmp_path / "dump.jsonl"
    p.write_bytes(b'{"id": "a", "text": "one", "url": "https://www.Example.com/x"}\n'
                  b'not json\n'
                  b'\n'
                  b'{"id": "b"}\n'
                  b'[1, 2]\n'
                  b'{"id": "c", "text": 5}\n'
                  b'{"id": "d", "text": "   "}\n'
                  b'{"text": "no id"}\n'
                  b'{"id": "e", "text": "bad \xff byte"}\n'
                  b'{"id": "f", "text": "broken"\n')
    out = items([p])
    got = [(type(x).__name__, getattr(x, "reason", None), x.source["line"] if isinstance(x, Document) else x.line)
           for x in out]
    assert got == [("Document", None, 1), ("Reject", "bad-json", 2), ("Reject", "no-text", 4),
                   ("Reject", "bad-record", 5), ("Reject", "no-text", 6), ("Reject", "empty", 7),
                   ("Document", None, 8), ("Document", None, 9), ("Reject", "bad-json", 10)]
    assert out[7].content == "bad ÿ byte" and out[7].source["encoding"] == "cp1252-fallback"
    assert out[0].site == "example.com" and out[0].url.endswith("/x")
    assert out[6].doc_id == "dump-8"


def test_jsonl_gz_and_html_field(tmp_path):
    p = tmp_path / "pages.jsonl.gz"
    p.write_bytes(gzip.compress(b'{"id": 7, "html": "<p>x</p>", "text": "t"}\n'))
    [doc] = items([p], html_field="html")
    assert doc.doc_id == "7" and doc.fmt == "html" and doc.content == "<p>x</p>"


def test_stdin_is_jsonl():
    stream = io.BytesIO(b'{"id": "s", "text": "from stdin"}\n')
    [doc] = list(read_inputs(["-"], Config(), stdin=stream))
    assert doc.source["path"] == "<stdin>" and doc.content == "from stdin"


def test_directories_walk_sorted(tmp_path):
    for name in ["b/2.txt", "a/9.txt", "a/10.txt", "c.txt"]:
        f = tmp_path / name
        f.parent.mkdir(exist_ok=True)
        f.write_text(name)
    assert [d.content for d in items([tmp_path])] == ["a/10.txt", "a/9.txt", "b/2.txt", "c.txt"]


def test_site_of():
    assert site_of("https://WWW.News.example/a", "dir") == "news.example"
    assert site_of(None, "dir") == "dir"
    assert site_of("not a url", None) is None


def test_site_of_malformed_url_is_no_site():
    assert site_of("http://[::1", "dir") == "dir"


def test_malformed_url_is_a_reject_and_the_file_goes_on(tmp_path):
    p = tmp_path / "dump.jsonl"
    p.write_bytes(b'{"id": "a", "text": "one", "url": "http://[::1"}\n'
                  b'{"id": "b", "text": "two", "url": "http://example.com:99999/x"}\n'
                  b'{"id": "c", "text": "three", "url": 5}\n'
                  b'{"id": "d", "text": "four", "url": "https://example.com/ok"}\n')
    out = items([p])
    assert [getattr(x, "reason", None) for x in out] == ["bad-url", "bad-url", "bad-url", None]
    assert out[0].line == 1 and out[0].doc_id == "a" and "IPv6" in out[0].detail
    assert out[3].site == "example.com"


def test_jsonl_with_utf8_bom_keeps_its_first_record(tmp_path):
    p = tmp_path / "dump.jsonl"
    p.write_bytes(codecs.BOM_UTF8 + b'{"id": "a", "text": "one"}\n{"id": "b", "text": "two"}\n')
    assert [d.doc_id for d in items([p])] == ["a", "b"]


def test_corrupt_gzip_keeps_lines_before_and_rejects_with_offset(tmp_path):
    import random
    rng = random.Random(7)
    body = b"".join(b'{"id": "%d", "text": "%s"}\n' % (i, bytes(rng.choice(b"abcdefgh ") for _ in range(60)))
                    for i in range(3000))
    gz = bytearray(gzip.compress(body))
    gz[len(gz) // 2:len(gz) // 2 + 64] = bytes(64)  # a run of zeroed bytes in the deflate stream
    p = tmp_path / "dump.jsonl.gz"
    p.write_bytes(bytes(gz))
    out = items([p])
    *docs, last = out
    assert isinstance(last, Reject) and last.reason == "unreadable"
    assert "of the archive" in last.detail and last.line > 100
    assert [d.doc_id for d in docs[:100]] == [str(i) for i in range(100)]  # what came before is kept


def test_corrupt_gzip_text_file_is_unreadable(tmp_path):
    gz = bytearray(gzip.compress(b"A page of text. " * 500))
    gz[20:60] = bytes(40)
    p = tmp_path / "page.txt.gz"
    p.write_bytes(bytes(gz))
    [rej] = items([p])
    assert isinstance(rej, Reject) and rej.reason == "unreadable"


def test_repeated_ids_are_made_unique(tmp_path):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "story.txt").write_text(f"Story from {sub}.")
        (tmp_path / sub / "dump.jsonl").write_text('{"text": "no id"}\n{"id": "x", "text": "has id"}\n')
    out = items([tmp_path])
    ids = [d.doc_id for d in out]
    assert len(set(ids)) == len(ids) == 6
    assert ids == ["dump-1", "x", "story", "b/dump-1", "x~2", "b/story"]
    assert out[5].source["renamed_from"] == "story" and "renamed_from" not in out[2].source


def test_same_file_twice_gets_distinct_ids(tmp_path):
    p = tmp_path / "story.txt"
    p.write_text("A story.")
    ids = [d.doc_id for d in items([p, p, p])]
    assert len(set(ids)) == 3 and ids[0] == "story"


def test_symlinked_folders_are_followed_once(tmp_path):
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    (real / "sub" / "page.txt").write_text("A page.")
    root = tmp_path / "root"
    root.mkdir()
    (root / "linked").symlink_to(real, target_is_directory=True)
    (real / "sub" / "loop").symlink_to(real, target_is_directory=True)  # a link loop
    out = items([root])
    assert [d.content for d in out] == ["A page."]


def test_broken_symlink_and_unlistable_folder_are_rejects(tmp_path, monkeypatch):
    (tmp_path / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    (tmp_path / "locked").mkdir()
    import os as _os
    real_scandir = _os.scandir

    def scandir(path):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)
    monkeypatch.setattr("newsclean.read.os.scandir", scandir)
    out = items([tmp_path])
    assert [(x.reason, x.path.rsplit("/", 1)[-1]) for x in out] == [("missing", "gone.txt"), ("unreadable", "locked")]


def test_corrupt_deflate_stream_is_unreadable_not_a_crash(tmp_path):
    gz = bytearray(gzip.compress(b"".join(b'{"id": "%d", "text": "t"}\n' % i for i in range(500))))
    gz[30] ^= 0xFF  # inside the first deflate block: zlib.error
    p = tmp_path / "dump.jsonl.gz"
    p.write_bytes(bytes(gz))
    [rej] = items([p])
    assert rej.reason == "unreadable" and "corrupt deflate stream" in rej.detail and "of the archive" in rej.detail
