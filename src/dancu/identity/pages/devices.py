"""A browser's ``User-Agent`` header in words a person recognizes: "Chrome trên Windows".

The session list shows which browser and which system each sign-in came from; the raw header
(``Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 ...``) means nothing to a
citizen. No parser package is installed, and the page needs only the common families, so a
short ordered list of patterns does it: order matters, as Edge and Opera also say "Chrome"
and every Chromium browser also says "Safari". Anything unknown is "another browser" on
"another system" rather than a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# (pattern, name), first match wins
BROWSERS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), name)
    for p, name in (
        (r"\bEdg(e|A|iOS)?/", "Edge"),
        (r"\b(OPR|Opera)/", "Opera"),
        (r"\bCocCoc/|\bcoc_coc_browser/", "Cốc Cốc"),
        (r"\bSamsungBrowser/", "Samsung Internet"),
        (r"\bZalo(Theme)?\b", "Zalo"),
        (r"\b(Firefox|FxiOS)/", "Firefox"),
        (r"\b(HeadlessChrome|Chrome|CriOS|Chromium)/", "Chrome"),
        (r"\bVersion/[\d.]+.*\bSafari/", "Safari"),
        (r"\bcurl/", "curl"),
    )
)
SYSTEMS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), name)
    for p, name in (
        (r"\b(iPhone|iPad|iPod)\b", "iOS"),
        (r"\bAndroid\b", "Android"),
        (r"\bWindows\b", "Windows"),
        (r"\bCrOS\b", "ChromeOS"),
        (r"\bMac OS X\b|\bMacintosh\b", "macOS"),
        (r"\bLinux\b", "Linux"),
    )
)


@dataclass(frozen=True, slots=True)
class Device:
    browser: str | None  # None: not one we know
    system: str | None


def describe(user_agent: str | None) -> Device:
    """The browser and the operating system a ``User-Agent`` names (None where unknown)."""
    text = user_agent or ""
    return Device(browser=_first(BROWSERS, text), system=_first(SYSTEMS, text))


def _first(patterns: tuple[tuple[re.Pattern[str], str], ...], text: str) -> str | None:
    return next((name for pattern, name in patterns if pattern.search(text)), None)
