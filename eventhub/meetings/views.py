"""Meeting pages: the organizer's session, schedule and table plan; each participant's
requests and agenda. Thin: forms in, services do the work, `core.web` commits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventhub.accounts.auth import require_organizer_of, require_role
from eventhub.accounts.models import InvestorProfile, Role, StartupProfile
from eventhub.bookings.models import Booking
from eventhub.core.clock import utcnow
from eventhub.core.confirm import ask_to_confirm, is_confirmed
from eventhub.core.errors import DomainError
from eventhub.core.web import act_then_redirect, refusal
from eventhub.extensions import db
from eventhub.meetings import bp
from eventhub.meetings import services as meetings
from eventhub.meetings.forms import (
    ActionForm,
    MeetingOutcomeForm,
    PlaceForm,
    RequestForm,
    SessionForm,
    UnavailableForm,
)
from eventhub.meetings.models import (
    OUTCOME_LABELS,
    Meeting,
    MeetingOutcome,
    MeetingRequest,
    MeetingSession,
    Side,
)
from eventhub.series.access import managed_occurrence, visible_occurrence
from eventhub.series.models import Occurrence

# Seconds the page's "Schedule" gives the solver.
SOLVE_SECONDS = 10.0

# --- Organizers --------------------------------------------------------------------------------


def _wall(instant: datetime, occurrence: Occurrence) -> datetime:
    return instant.astimezone(occurrence.tz).replace(tzinfo=None)


def _session_form(occurrence: Occurrence, session: MeetingSession | None) -> SessionForm:
    form = SessionForm()
    if request.method == "GET":
        if session is not None:
            form.start_time.data = _wall(session.starts_at, occurrence).time()
            form.end_time.data = _wall(session.ends_at, occurrence).time()
            form.meeting_minutes.data = session.meeting_minutes
            form.break_minutes.data = session.break_minutes
            form.table_count.data = session.table_count
            form.table_links.data = "\n".join(session.table_links or [])
            form.requests_close.data = _wall(session.requests_close_at, occurrence)
            form.max_meetings.data = session.max_meetings
        else:
            # A suggestion: right after the day, requests closing the evening before.
            end = _wall(occurrence.end_at, occurrence)
            form.start_time.data = end.time()
            form.end_time.data = (end + timedelta(hours=2)).time()
            form.requests_close.data = (end - timedelta(days=1)).replace(hour=18, minute=0)
    return form


def _session_values(form: SessionForm, occurrence: Occurrence) -> meetings.SessionValues:
    day = occurrence.starts_at_local.date()
    tz = occurrence.tz
    starts = datetime.combine(day, form.start_time.data, tzinfo=tz)
    ends = datetime.combine(day, form.end_time.data, tzinfo=tz)
    if ends <= starts:  # a session that runs past midnight
        ends += timedelta(days=1)
    return meetings.SessionValues(
        starts_at=starts, ends_at=ends, meeting_minutes=form.meeting_minutes.data,
        break_minutes=form.break_minutes.data, table_count=form.table_count.data,
        table_links=form.links, requests_close_at=form.requests_close.data.replace(tzinfo=tz),
        max_meetings=form.max_meetings.data,
    )  # fmt: skip


def _organize_page(occurrence: Occurrence, form: SessionForm, status: int = 200):
    session = meetings.session_of(occurrence.id)
    context = {"occurrence": occurrence, "session": session, "form": form, "now": utcnow()}
    if session is not None:
        requests = meetings.requests_in(session)
        scheduled = {m.request_id: m for m in meetings.meetings_of(session)}
        place = PlaceForm()
        place.slot_index.choices = [
            (i, session.slot_start(i).astimezone(occurrence.tz).strftime("%H:%M"))
            for i in session.slot_indexes
        ]
        investors = meetings.accepted_investors(occurrence.id)
        bookings = meetings.registered_bookings(occurrence.id)
        context.update(
            requests=requests,
            scheduled=scheduled,
            plan=meetings.table_plan(session),
            place=place,
            action=ActionForm(),
            investors=investors,
            bookings=bookings,
            unscheduled=[r for r in requests if r.id not in scheduled and not r.is_declined],
            own_choices=_own_choices(session, occurrence, investors, bookings),
        )
    return render_template("meetings/organize.html", **context), status


def _own_choices(
    session: MeetingSession,
    occurrence: Occurrence,
    investors: list[InvestorProfile],
    bookings: list[Booking],
) -> list[tuple[str, int | None, str]]:
    """(who, their own limit or None, the local times they cannot meet) for each person taking
    part who set either; people no longer taking part are left out, as the solver leaves them."""
    names = {(Side.investor, i.id): f"{i.firm} · {i.person_name}" for i in investors}
    names |= {(Side.startup, b.startup_id): b.startup.company_name for b in bookings}
    return [
        (
            names[choice.side, choice.profile_id],
            choice.limit,
            ", ".join(
                session.slot_start(i).astimezone(occurrence.tz).strftime("%H:%M")
                for i in choice.away
            ),
        )
        for choice in meetings.own_choices(session)
        if (choice.side, choice.profile_id) in names
    ]


@bp.route("/organize/occurrences/<int:occurrence_id>/meetings", methods=["GET", "POST"])
@require_role(Role.organizer)
def organize(occurrence_id: int):
    occurrence = managed_occurrence(occurrence_id)
    session = meetings.session_of(occurrence_id)
    form = _session_form(occurrence, session)
    if request.method == "POST":
        if not form.validate_on_submit():
            return _organize_page(occurrence, form, 422)
        try:
            meetings.save_session(
                occurrence, values=_session_values(form, occurrence), actor_id=current_user.id,
                now=utcnow(),
            )  # fmt: skip
        except DomainError as exc:
            form.form_errors.append(refusal(exc))
            return _organize_page(occurrence, form, exc.status)
        flash(_("The meeting session has been saved."), "success")
        return redirect(url_for("meetings.organize", occurrence_id=occurrence_id), code=303)
    return _organize_page(occurrence, form)


def _back(occurrence_id: int) -> str:
    return url_for("meetings.organize", occurrence_id=occurrence_id)


def _solved(report: meetings.SolveReport) -> str:
    return _(
        "Scheduled: value %(value)s, bound %(bound)s (gap %(gap)s %%), %(seconds)s s. "
        "%(added)s added, %(moved)s moved, %(dropped)s removed.",
        value=report.objective, bound=report.bound, gap=f"{report.gap * 100:.2f}",
        seconds=f"{report.seconds:.1f}", added=report.added, moved=report.moved,
        dropped=report.dropped,
    )  # fmt: skip


@bp.route(
    "/organize/occurrences/<int:occurrence_id>/meetings/<any(schedule, publish, clear):verb>",
    methods=["POST"],
)
@require_role(Role.organizer)
def session_action(occurrence_id: int, verb: str):
    managed_occurrence(occurrence_id)
    session = meetings.require_session(occurrence_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    now, actor = utcnow(), current_user.id
    back = _back(occurrence_id)
    if verb == "clear" and not is_confirmed():
        return ask_to_confirm(
            question=_("Clear the schedule?"),
            consequence=_(
                "Every meeting is removed, pinned ones too. If the schedule was published, "
                "everyone gets the cancellation."
            ),
            button=_("Clear the schedule"),
            back=back,
        )
    if verb == "schedule":
        return act_then_redirect(
            lambda: meetings.schedule(session, actor_id=actor, now=now, time_limit=SOLVE_SECONDS),
            done=_solved,
            back=back,
        )
    if verb == "publish":
        return act_then_redirect(
            lambda: meetings.publish_schedule(session, actor_id=actor, now=now),
            done=lambda n: _("Published: %(count)s meetings sent to both sides.", count=n),
            back=back,
        )
    return act_then_redirect(
        lambda: meetings.clear_schedule(session, actor_id=actor, now=now),
        done=lambda n: _("%(count)s meetings removed.", count=n),
        back=back,
    )


def _managed_meeting(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    require_organizer_of(meeting.session.occurrence.series.center_id)
    return meeting


def _place_form(session: MeetingSession) -> PlaceForm:
    form = PlaceForm()
    form.slot_index.choices = [(i, str(i)) for i in session.slot_indexes]
    return form


def _place_at(session: MeetingSession, action: Callable[..., object], done: str):
    """Move a meeting or place a request at the time and table the form names (both pin it
    there); a form naming neither comes back with a message."""
    back = _back(session.occurrence_id)
    form = _place_form(session)
    if not form.validate_on_submit():
        flash(_("Choose one of the session's times and tables."), "error")
        return redirect(back, code=303)
    return act_then_redirect(
        lambda: action(
            slot_index=form.slot_index.data,
            table=form.table.data,
            actor_id=current_user.id,
            now=utcnow(),
        ),
        done=done,
        back=back,
    )


@bp.route("/organize/meetings/<int:meeting_id>/move", methods=["POST"])
@require_role(Role.organizer)
def move(meeting_id: int):
    meeting = _managed_meeting(meeting_id)
    return _place_at(
        meeting.session,
        partial(meetings.move_meeting, meeting),
        _("The meeting has been moved and pinned there."),
    )


@bp.route("/organize/meetings/<int:meeting_id>/<any(pin, unpin):verb>", methods=["POST"])
@require_role(Role.organizer)
def pin(meeting_id: int, verb: str):
    meeting = _managed_meeting(meeting_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return act_then_redirect(
        lambda: meetings.set_pinned(
            meeting, pinned=verb == "pin", actor_id=current_user.id, now=utcnow()
        ),
        done=_("Pinned: solving again keeps this meeting where it is.")
        if verb == "pin"
        else _("Unpinned: solving again may move this meeting."),
        back=_back(meeting.session.occurrence_id),
    )


@bp.route("/organize/meeting-requests/<int:request_id>/place", methods=["POST"])
@require_role(Role.organizer)
def place(request_id: int):
    meeting_request = db.session.get(MeetingRequest, request_id)
    if meeting_request is None:
        abort(404)
    require_organizer_of(meeting_request.session.occurrence.series.center_id)
    return _place_at(
        meeting_request.session,
        partial(meetings.place_meeting, meeting_request),
        _("The meeting has been placed and pinned there."),
    )


@bp.route("/organize/occurrences/<int:occurrence_id>/meetings/plan")
@require_role(Role.organizer)
def plan(occurrence_id: int):
    occurrence = managed_occurrence(occurrence_id)
    session = meetings.require_session(occurrence_id)
    return render_template(
        "meetings/plan.html", occurrence=occurrence, session=session,
        plan=meetings.table_plan(session),
    )  # fmt: skip


# --- Investors and founders --------------------------------------------------------------------


def _me() -> meetings.Person:
    """The signed-in investor's or startup's side; anyone else has no meetings (404)."""
    profile = current_user.investor_profile or current_user.startup_profile
    if profile is None:
        abort(404)
    return meetings.Person.of(profile)


def _participant_session(occurrence_id: int, person: meetings.Person) -> MeetingSession:
    occurrence = visible_occurrence(occurrence_id)
    session = meetings.require_session(occurrence.id)
    if person.side is Side.investor:
        takes_part = meetings.is_investor_of(
            occurrence.id, db.session.get(InvestorProfile, person.profile_id)
        )
    else:
        takes_part = meetings.is_startup_of(
            occurrence.id, db.session.get(StartupProfile, person.profile_id)
        )
    if not takes_part:
        abort(404)
    return session


@bp.route("/meetings")
@require_role(Role.investor, Role.startup)
def mine():
    person = _me()
    profile_kw = (
        {"investor": db.session.get(InvestorProfile, person.profile_id)}
        if person.side is Side.investor
        else {"startup": db.session.get(StartupProfile, person.profile_id)}
    )
    return render_template(
        "meetings/mine.html", sessions=meetings.sessions_of_person(**profile_kw), now=utcnow()
    )


@bp.route("/occurrences/<int:occurrence_id>/meetings")
@require_role(Role.investor, Role.startup)
def agenda(occurrence_id: int):
    person = _me()
    session = _participant_session(occurrence_id, person)
    now = utcnow()
    lists = meetings.requests_of(session, person)
    asked = {r.startup_id if person.side is Side.investor else r.investor_id: r
             for r in lists.mine + lists.to_me}  # fmt: skip
    if person.side is Side.investor:
        candidates = [
            (b.startup_id, b.startup.company_name, b.intake_snapshot or {}, b.slot)
            for b in meetings.registered_bookings(occurrence_id)
        ]
    else:
        candidates = [
            (i.id, f"{i.firm} · {i.person_name}", {"focus": i.focus_industries,
             "stages": i.stages}, None)
            for i in meetings.accepted_investors(occurrence_id)
        ]  # fmt: skip
    unavailable = UnavailableForm()
    unavailable.slots.choices = [
        (i, session.slot_start(i).astimezone(session.occurrence.tz).strftime("%H:%M"))
        for i in session.slot_indexes
    ]
    unavailable.slots.data = sorted(meetings.unavailable_slots(session, person))
    own_limit = meetings.own_limit(session, person)
    unavailable.max_meetings.data = min(own_limit or session.max_meetings, session.max_meetings)
    return render_template(
        "meetings/agenda.html",
        session=session,
        occurrence=session.occurrence,
        person=person,
        lists=lists,
        asked=asked,
        candidates=candidates,
        agenda=meetings.agenda_of(session, person),
        unavailable=unavailable,
        action=ActionForm(),
        outcome_form=MeetingOutcomeForm(),
        outcome_labels=OUTCOME_LABELS,
        is_open=session.requests_are_open(now),
        now=now,
    )


@bp.route("/occurrences/<int:occurrence_id>/meetings/request", methods=["POST"])
@require_role(Role.investor, Role.startup)
def ask(occurrence_id: int):
    person = _me()
    session = _participant_session(occurrence_id, person)
    back = url_for("meetings.agenda", occurrence_id=occurrence_id)
    form = RequestForm()
    if not form.validate_on_submit():
        flash(_("Choose whom to meet."), "error")
        return redirect(back, code=303)
    me = (InvestorProfile if person.side is Side.investor else StartupProfile, person.profile_id)
    other_model = StartupProfile if person.side is Side.investor else InvestorProfile
    other = db.session.get(other_model, form.other_id.data)
    if other is None:
        flash(_("Choose whom to meet."), "error")
        return redirect(back, code=303)
    mine_profile = db.session.get(*me)
    pair = (
        {"investor": mine_profile, "startup": other}
        if person.side is Side.investor
        else {"investor": other, "startup": mine_profile}
    )
    return act_then_redirect(
        lambda: meetings.request_meeting(session, side=person.side, now=utcnow(), **pair),
        done=_("Your request has been added to the end of your list."),
        back=back,
    )


@bp.route(
    "/meeting-requests/<int:request_id>/<any(up, down, withdraw, decline, undecline):verb>",
    methods=["POST"],
)
@require_role(Role.investor, Role.startup)
def request_action(request_id: int, verb: str):
    person = _me()
    try:
        meeting_request = meetings.request_for(request_id, person=person)
    except DomainError:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    back = url_for("meetings.agenda", occurrence_id=meeting_request.session.occurrence_id)
    now = utcnow()
    if verb in ("up", "down"):
        return act_then_redirect(
            lambda: meetings.move_rank(meeting_request, person=person, up=verb == "up", now=now),
            done=_("Your order has been saved."),
            back=back,
        )
    if verb == "withdraw":
        return act_then_redirect(
            lambda: meetings.withdraw_request(meeting_request, person=person, now=now),
            done=_("Your request has been withdrawn."),
            back=back,
        )
    if verb == "undecline":
        return act_then_redirect(
            lambda: meetings.undo_decline(meeting_request, person=person, now=now),
            done=_("Your decline is taken back: the next schedule may place this meeting."),
            back=back,
        )
    return act_then_redirect(
        lambda: meetings.decline_request(meeting_request, person=person, now=now),
        done=_("Declined: this meeting will not be scheduled."),
        back=back,
    )


@bp.route("/occurrences/<int:occurrence_id>/meetings/unavailable", methods=["POST"])
@require_role(Role.investor, Role.startup)
def unavailable(occurrence_id: int):
    person = _me()
    session = _participant_session(occurrence_id, person)
    form = UnavailableForm()
    form.slots.choices = [(i, str(i)) for i in session.slot_indexes]
    back = url_for("meetings.agenda", occurrence_id=occurrence_id)
    if not form.validate_on_submit():
        flash(_("Choose among the session's meeting times."), "error")
        return redirect(back, code=303)
    now = utcnow()

    def save() -> None:
        meetings.set_unavailable(
            session, person=person, slot_indexes=set(form.slots.data or []), now=now
        )
        meetings.set_own_limit(session, person=person, limit=form.max_meetings.data, now=now)

    return act_then_redirect(
        save,
        done=_("Saved: the next schedule keeps these times free and your limit."),
        back=back,
    )


@bp.route("/meetings/<int:meeting_id>/outcome", methods=["POST"])
@require_role(Role.investor, Role.startup)
def outcome(meeting_id: int):
    person = _me()
    try:
        meeting = meetings.meeting_for(meeting_id, person=person)
    except DomainError:
        abort(404)
    back = url_for("meetings.agenda", occurrence_id=meeting.session.occurrence_id)
    form = MeetingOutcomeForm()
    if not form.validate_on_submit():
        flash(_("Choose an outcome."), "error")
        return redirect(back, code=303)
    return act_then_redirect(
        lambda: meetings.record_meeting_outcome(
            meeting,
            person=person,
            outcome=MeetingOutcome(form.outcome.data),
            actor_id=current_user.id,
            now=utcnow(),
        ),
        done=_("The outcome has been recorded."),
        back=back,
    )
