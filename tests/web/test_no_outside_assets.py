"""Nothing the site serves loads from the internet: provincial data centres run without it.

Every template and static file is read for what a browser would fetch by itself (scripts,
stylesheets, fonts, images, frames, CSS ``url()``/``@import``, URLs in scripts); none may be
on another host. Links a person follows (``<a href>`` to a law text) are fine. The checker
is tested on small samples first, so a checker that finds nothing cannot pass unnoticed.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "dancu"
OUTSIDE = re.compile(r"\s*(?:https?:)?//", re.IGNORECASE)  # absolute or protocol-relative
CSS_OUTSIDE = re.compile(r"""(?:url\(|@import)\s*['"]?\s*(?:https?:)?//""", re.IGNORECASE)
JS_OUTSIDE = re.compile(r"""["'`]\s*(?:https?:)?//""", re.IGNORECASE)
# tag -> the attributes through which a browser fetches something without being asked
FETCHING = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "image": ("href", "xlink:href"),  # in SVG
    "use": ("href", "xlink:href"),
}
TEXT_FILES = {".html", ".css", ".js", ".svg"}


class _Fetches(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        for name, value in attrs:
            if value and name in FETCHING.get(tag, ()) and OUTSIDE.match(value):
                self.found.append(f"<{tag} {name}={value}>")
            if value and name == "style" and CSS_OUTSIDE.search(value):
                self.found.append(f"<{tag} style={value}>")

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.found.extend(m.group(0) for m in CSS_OUTSIDE.finditer(data))


def outside_fetches(name: str, text: str) -> list[str]:
    """What the file would make a browser fetch from another host."""
    if name.endswith(".css"):
        return [m.group(0) for m in CSS_OUTSIDE.finditer(text)]
    if name.endswith(".js"):
        return [m.group(0) for m in JS_OUTSIDE.finditer(text)]
    parser = _Fetches()
    parser.feed(text)
    return parser.found


def served_files() -> list[Path]:
    templates = [p for d in SRC.rglob("templates") for p in d.rglob("*.html")]
    static = [p for p in (SRC / "web" / "static").rglob("*") if p.suffix in TEXT_FILES]
    return sorted(templates + static)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("a.html", '<script src="https://cdn.jsdelivr.net/npm/x.js"></script>'),
        ("a.html", '<link rel="stylesheet" href="//fonts.googleapis.com/css?family=Roboto">'),
        ("a.html", '<img src="HTTP://example.vn/logo.png" alt="">'),
        ("a.html", "<style>body { background: url('https://x.vn/bg.png') }</style>"),
        ("a.html", '<div style="background: url(//x.vn/bg.png)"></div>'),
        ("a.css", "@import url(https://fonts.googleapis.com/css2?family=Inter);"),
        ("a.css", '@font-face { src: url("https://x.vn/f.woff2") }'),
        ("a.js", 'fetch("https://api.example.vn/x")'),
        ("a.svg", '<svg><image href="https://x.vn/a.png"/></svg>'),
    ],
)
def test_the_checker_finds_an_outside_fetch(name: str, text: str):
    assert len(outside_fetches(name, text)) == 1


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("a.html", '<a href="https://thuvienphapluat.vn/luat-can-cuoc">Luật Căn cước</a>'),
        ("a.html", '<script src="/static/passkeys.js" defer></script>'),
        ("a.html", "<link rel=\"stylesheet\" href=\"{{ url_for('static', path='a.css') }}\">"),
        ("a.css", ".x { background: url(/static/bg.png) }"),
        ("a.js", 'btoa(s).replace(/\\//g, "_");  // a comment with https://example.vn'),
    ],
)
def test_the_checker_lets_local_files_and_plain_links_pass(name: str, text: str):
    assert outside_fetches(name, text) == []


def test_the_served_files_are_all_read():
    names = {p.relative_to(SRC).as_posix() for p in served_files()}
    assert {"web/templates/base.html", "web/static/app.css", "web/static/passkeys.js"} <= names
    assert any(n.startswith("registry/templates/") for n in names)


def test_no_template_or_static_file_fetches_from_another_host():
    found = {
        p.relative_to(SRC).as_posix(): hits
        for p in served_files()
        if (hits := outside_fetches(p.name, p.read_text(encoding="utf-8")))
    }
    assert found == {}
