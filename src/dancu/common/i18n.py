"""The marker for texts that are translated where they are shown, not where they are written.

``N_("Driving licence")`` returns its argument unchanged; ``pybabel extract`` (see
``babel.cfg``) collects it into the catalogues, and the page that shows the value translates
it (``translate(value)`` in a template). Domain modules mark their English labels with it
and stay free of the web layer.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """``message`` itself, marked for extraction into the translation catalogues."""
    return message
