"""The industry list that centers, startups and investors share."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from eventhub.core.i18n import current_language

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
    """The label of an industry code in the current language, or the code if unknown.

    Kept per language once translated: a lazy label translates again at every use (about
    30 us), and the home page shows one per date and several per center."""
    key = (current_language(), code)
    label = _LABELS.get(key)
    if label is None:
        if code not in INDUSTRIES:
            return code
        label = _LABELS[key] = str(INDUSTRIES[code])
    return label


_LABELS: dict[tuple[str, str], str] = {}
