import codecs
import gzip
import io

from newsclean.config import Config
from newsclean.read import decode, looks_binary, read_inputs, site_of
from newsclean.records import Document, Reject


def items(paths, **kw):
    return list(read_inputs([str(p) for p in paths], Config(**kw)))


def test_decode_order_bom_meta_utf8_cp1252():
    assert decode(codecs.BOM_UTF8 + "café".encode()) == ("café", "utf-8-bom")
    assert decode(codecs.BOM_UTF16_LE + "café".encode("utf-16-le"))[0] == "café"
    html = b'<html><head><meta charset="iso-8859-7"></head><body>\xe1</body></html>'
    text, how = decode(html, html=True)
    assert "α" in text and how == "iso-8859-7-meta"
    assert decode("naïve".encode()) == ("naïve", "utf-8")
    assert decode("naïve “quotes”".encode("cp1252")) == ("naïve “quotes”", "cp1252-fallback")


def test_lying_meta_charset_falls_back_to_utf8():
    html = '<meta charset="no-such-codec"><p>ü</p>'.encode()
    assert decode(html, html=True) == (html.decode(), "utf-8")


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
                  b'{"id": "e", "text": "bad \xff byte"}\n')
    out = items([p])
    got = [(type(x).__name__, getattr(x, "reason", None), x.source["line"] if isinstance(x, Document) else x.line)
           for x in out]
    assert got == [("Document", None, 1), ("Reject", "bad-json", 2), ("Reject", "no-text", 4),
                   ("Reject", "bad-record", 5), ("Reject", "no-text", 6), ("Reject", "empty", 7),
                   ("Document", None, 8), ("Reject", "bad-json", 9)]
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
