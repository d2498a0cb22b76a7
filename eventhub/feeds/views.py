"""Feed endpoints: conditional GET and HEAD, strong ETags, the personal token page."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from eventhub.centers import services as centers
from eventhub.core.clock import utcnow
from eventhub.core.urls import external_url
from eventhub.extensions import db
from eventhub.feeds import bp
from eventhub.feeds import services as feeds
from eventhub.feeds.qr import qr_svg
from eventhub.series.models import EventSeries, Occurrence


def _locale() -> str:
    """A public feed's language comes from its URL (``?lang=en``), Korean by default: a feed
    address must show the same thing to every calendar app that fetches it."""
    return "en" if request.args.get("lang") == "en" else "ko"


def _serve(rendered: feeds.Rendered, *, private: bool, filename: str) -> Response:
    ttl = current_app.config["FEED_TTL_SECONDS"]
    headers = {
        "Content-Type": "text/calendar; charset=utf-8",
        "Content-Disposition": f'inline; filename="{filename}"',
        "ETag": rendered.etag,
        "Cache-Control": f"max-age={ttl}, {'private' if private else 'public'}",
    }
    response = Response(rendered.body, headers=headers)
    return response.make_conditional(request)


@bp.route("/calendar/all.ics")
def all_feed():
    return _serve(
        feeds.get_feed(feeds.FeedScope(feeds.ScopeKind.all), locale=_locale()),
        private=False,
        filename="all.ics",
    )


@bp.route("/calendar/centers/<slug>.ics")
def center_feed(slug: str):
    def resolve() -> feeds.FeedScope | None:
        center = centers.get_center(slug)
        return feeds.FeedScope(feeds.ScopeKind.center, center.id) if center else None

    rendered = feeds.get_feed(locale=_locale(), key=("center", slug), resolve=resolve)
    if rendered is None:
        abort(404)
    return _serve(rendered, private=False, filename=f"{slug}.ics")


@bp.route("/calendar/series/<slug>.ics")
def series_feed(slug: str):
    def resolve() -> feeds.FeedScope | None:
        series = db.session.scalar(sa.select(EventSeries).where(EventSeries.slug == slug))
        if series is None or not series.is_listed:
            return None
        return feeds.FeedScope(feeds.ScopeKind.series, series.id)

    rendered = feeds.get_feed(locale=_locale(), key=("series", slug), resolve=resolve)
    if rendered is None:
        abort(404)
    return _serve(rendered, private=False, filename=f"{slug}.ics")


@bp.route("/calendar/feed/<token>.ics")
def personal_feed(token: str):
    found = feeds.scope_for_token(token)
    if found is None:
        abort(404)
    scope, locale = found
    return _serve(feeds.get_feed(scope, locale=locale), private=True, filename="eventhub.ics")


@bp.route("/calendar/occurrences/<int:occurrence_id>.ics")
def occurrence_file(occurrence_id: int):
    occurrence = db.session.get(Occurrence, occurrence_id)
    if occurrence is None or not occurrence.series.is_listed:
        abort(404)
    body = feeds.single_occurrence(occurrence, locale=_locale())
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="eventhub-{occurrence_id}.ics"'
    return response


def subscribe_links(https_url: str, *, name: str) -> Mapping[str, str]:
    """webcal://, https, Google Calendar and Outlook links for a feed URL."""
    webcal = "webcal://" + https_url.split("://", 1)[1]
    return {
        "https": https_url,
        "webcal": webcal,
        "google": "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe=""),
        "outlook": (
            "https://outlook.live.com/calendar/0/addfromweb?url="
            + quote(https_url, safe="")
            + "&name="
            + quote(name, safe="")
        ),
        # Work and school accounts (Microsoft 365) add calendars on another host.
        "outlook365": (
            "https://outlook.office.com/calendar/0/addfromweb?url="
            + quote(https_url, safe="")
            + "&name="
            + quote(name, safe="")
        ),
    }


@bp.app_template_global()
def feed_qr(url: str):
    """The feed address as a QR code (inline SVG), for a phone's camera."""
    return qr_svg(url, title=_("QR code of the feed address"))


@bp.app_template_global()
def feed_links(kind: str, **values) -> Mapping[str, str]:
    """The subscribe links of a public feed ("all", "center", "series"), kept per process once
    made: public pages show the same few feeds, and building the links (the router, three
    quoted copies of the address) cost about half of the subscribe box. Read-only, as the
    cache shares it; the addresses follow PUBLIC_BASE_URL."""
    return _public_feed_links(current_app.config["PUBLIC_BASE_URL"], kind, tuple(values.items()))


@lru_cache(maxsize=1024)
def _public_feed_links(base_url: str, kind: str, values: tuple) -> Mapping[str, str]:
    endpoint = {
        "all": "feeds.all_feed",
        "center": "feeds.center_feed",
        "series": "feeds.series_feed",
    }[kind]
    links = subscribe_links(external_url(endpoint, **dict(values)), name="EventHub")
    return MappingProxyType(dict(links))


@bp.route("/account/calendar", methods=["GET", "POST"])
@login_required
def personal():
    """The user's personal feed: regenerate (the old URL stops working) or revoke it."""
    from flask_wtf import FlaskForm

    form = FlaskForm()
    new_url = None
    if form.validate_on_submit():
        if request.form.get("action") == "revoke":
            feeds.revoke_token(current_user.id, now=utcnow())
            flash(
                _("Your calendar feed has been switched off; its old address no longer works."),
                "info",
            )
            return redirect(url_for("feeds.personal"))
        token = feeds.regenerate_token(current_user.id, now=utcnow())
        new_url = external_url("feeds.personal_feed", token=token)
    live = feeds.live_token(current_user.id)
    return render_template(
        "feeds/personal.html",
        form=form,
        live=live,
        links=subscribe_links(new_url, name="EventHub") if new_url else None,
    )
