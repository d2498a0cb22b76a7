"""What a person reads for a stored code: stage labels for pages, emails and exports."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

STAGE_LABELS = {
    "pre_seed": _l("Pre-seed"),
    "seed": _l("Seed"),
    "pre_a": _l("Pre-Series A"),
    "series_a": _l("Series A"),
    "series_b": _l("Series B"),
    "series_c_plus": _l("Series C and later"),
}


def stage_label(code: str | None) -> str:
    """The stage in the reader's language; an unknown code is shown as it is."""
    if not code:
        return ""
    label = STAGE_LABELS.get(code)
    return str(label) if label is not None else code
