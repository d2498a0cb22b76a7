"""The industry list that centers, startups and investors share."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# code -> label. The code is stored; the label is shown in the reader's language.
INDUSTRIES: dict[str, object] = {
    "automotive": _l("Automotive and mobility"),
    "aerospace": _l("Aerospace"),
    "beauty": _l("K-beauty and cosmetics"),
    "bio": _l("Bio and healthcare"),
    "chemicals": _l("Chemicals"),
    "content": _l("Culture and content"),
    "distribution": _l("Distribution and logistics"),
    "electronics": _l("Electronics and IoT"),
    "energy": _l("Energy"),
    "film": _l("Film"),
    "fintech": _l("Fintech"),
    "food": _l("Food"),
    "games": _l("Games"),
    "ict": _l("ICT and software"),
    "machinery": _l("Machinery"),
    "materials": _l("Materials (carbon fiber)"),
    "shipbuilding": _l("Shipbuilding and offshore"),
    "smart_farm": _l("Smart farming"),
    "tourism": _l("Tourism"),
}


def industry_label(code: str) -> str:
    """The label of an industry code in the current language, or the code if unknown."""
    return str(INDUSTRIES.get(code, code))
