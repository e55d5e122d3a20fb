"""Face matching: the chip's portrait (DG2) against the customer's live photo.

A ``FaceMatcher`` compares the two images and says whether they show the same person. No
matcher ships with dancu: a real one (a certified 1:1 face-verification engine, with its
presentation-attack detection) is installed on the application as ``app.state.face_matcher``
(``exchange.ekyc.api`` hands it to the service). Until then ``NOT_PERFORMED`` answers, and
the signed result says ``"face": {"status": "not_performed"}``: never a made-up score, never
a "match" nobody computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

FaceStatus = Literal["match", "no_match", "not_performed"]


@dataclass(frozen=True, slots=True)
class FaceResult:
    """``score`` and ``matcher`` only when a real matcher ran (``status`` is not
    ``not_performed``); ``reason`` says why it did not."""

    status: FaceStatus
    score: float | None = None
    matcher: str | None = None
    reason: str | None = None

    def to_claim(self) -> dict[str, object]:
        claim: dict[str, object] = {"status": self.status}
        if self.status != "not_performed":
            claim.update(score=self.score, matcher=self.matcher)
        elif self.reason:
            claim["reason"] = self.reason
        return claim


class FaceMatcher(Protocol):
    """Compare the chip's face image (DG2, as stored on the chip) with a live photo."""

    def __call__(self, chip_face: bytes, live_photo: bytes) -> FaceResult: ...


class NoFaceMatcher:
    """The default: no matcher is installed, so no comparison is claimed."""

    def __call__(self, chip_face: bytes, live_photo: bytes) -> FaceResult:
        return FaceResult("not_performed", reason="no_matcher_installed")


NOT_PERFORMED: FaceMatcher = NoFaceMatcher()


def compare(matcher: FaceMatcher, chip_face: bytes, live_photo: bytes | None) -> FaceResult:
    """The matcher's verdict, or ``not_performed`` when the bank sent no live photo."""
    if live_photo is None:
        return FaceResult("not_performed", reason="no_live_photo")
    return matcher(chip_face, live_photo)
