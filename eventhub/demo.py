"""Demo data for `make run`: the 17 centers, three investor-day series, startups and VCs.

Everything is looked up by its natural key before it is created, so a second run changes
nothing. Centers and users made here carry `is_demo` (the admin screens mark them), and every
startup, firm and address is on `.example`. The past dates of each series get a history
(attendance, no-shows, RSVPs, follow-ups, recorded investments) so that the dashboard shows
real figures; the next date gets bookings, applications, a waitlist and open invitations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from dateutil.rrule import rrulestr

from eventhub.accounts import intake
from eventhub.accounts import services as accounts
from eventhub.accounts.models import InvestorProfile, Role, Stage, StartupProfile, User
from eventhub.bookings import services as bookings
from eventhub.bookings.models import Booking, BookingStatus, BookingStatusChange
from eventhub.centers.data import CENTERS
from eventhub.centers.models import Center, OrganizerMembership
from eventhub.extensions import db
from eventhub.invitations.models import FollowUp, Invitation, Outcome, OutcomeKind, RsvpStatus
from eventhub.meetings.models import MeetingRequest, MeetingSession
from eventhub.scheduling import services as series_services
from eventhub.series import rules as series_rules
from eventhub.series.models import EventSeries, HolidayPolicy, SeriesStatus
from eventhub.series.planning import request_planning

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed to the developer on purpose


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    note: str


DEMO_LOGINS = [
    DemoLogin("admin@eventhub.example", "admin", "all centers"),
    DemoLogin("organizer.daegu@eventhub.example", "organizer", "Daegu and Gyeongbuk"),
    DemoLogin("organizer.daejeon@eventhub.example", "organizer", "Daejeon"),
    DemoLogin("startup@eventhub.example", "startup", "Carbonix (materials, Jeonbuk)"),
    DemoLogin("vc@eventhub.example", "investor", "Hanbit Ventures"),
]

SERIES = [
    # slug, center, title ko, title en, rrule, start time, minutes, venue
    (
        "samsung-venture-partners-day",
        "daegu",
        "삼성벤처 파트너스 데이",
        "Samsung Venture Partners Day",
        "FREQ=MONTHLY;BYDAY=+3WE",
        time(14, 0),
        180,
        "대구창조경제혁신센터 (삼성창조캠퍼스)",
        "대구광역시 북구 호암로 51",
    ),
    (
        "financial-day",
        "daejeon",
        "파이낸셜 데이",
        "Financial Day",
        "FREQ=MONTHLY;BYDAY=+2TH",
        time(15, 0),
        150,
        "대전창조경제혁신센터",
        "대전광역시 유성구 대학로 291",
    ),
    (
        "g-invest-day",
        "gyeongbuk",
        "G-인베스트 데이",
        "G-Invest Day",
        "FREQ=MONTHLY;BYDAY=-1FR",
        time(14, 0),
        180,
        "경북창조경제혁신센터",
        "경상북도 구미시 3공단3로 302",
    ),
]

STARTUPS = [
    # email (None: no account), company, industry, stage, amount, one-liner
    (
        "startup@eventhub.example",
        "Carbonix",
        "materials",
        Stage.seed,
        1_500_000_000,
        "탄소섬유 재활용 공정으로 복합소재 원가를 40% 낮춥니다",
    ),
    (
        None,
        "Mobiligo",
        "automotive",
        Stage.pre_a,
        2_000_000_000,
        "전기차 충전 예약과 결제를 한 번에",
    ),
    (None, "Glowlab", "beauty", Stage.seed, 800_000_000, "피부 데이터 기반 맞춤형 화장품"),
    (None, "Paydesk", "fintech", Stage.series_a, 5_000_000_000, "소상공인을 위한 정산 자동화"),
    (None, "Robohand", "machinery", Stage.pre_a, 3_000_000_000, "협동 로봇 그리퍼를 절반 가격에"),
    (None, "Cellgen", "bio", Stage.seed, 1_200_000_000, "오가노이드 기반 신약 후보 스크리닝"),
    (None, "Gridwise", "energy", Stage.seed, 900_000_000, "공장 전력 피크를 예측해 줄입니다"),
    (None, "Farmsense", "smart_farm", Stage.seed, 700_000_000, "스마트팜 병해 조기 경보"),
]

INVESTORS = [
    # email, firm, person, focus industries, stages, has account
    (
        "vc@eventhub.example",
        "Hanbit Ventures",
        "김한빛",
        ["materials", "machinery"],
        ["seed", "pre_a"],
        True,
    ),
    (
        "partner@daegu-capital.example",
        "Daegu Capital",
        "이대구",
        ["electronics", "ict"],
        ["seed", "series_a"],
        False,
    ),
    (
        "invest@bluewave.example",
        "Bluewave Partners",
        "박파도",
        ["fintech", "bio"],
        ["pre_a", "series_a", "series_b"],
        False,
    ),
]


def _first_date(rule: str, *, on_or_after: date, at: time) -> date:
    start = datetime.combine(on_or_after, at)
    first = rrulestr(rule, dtstart=start).after(start, inc=True)
    return first.date()


def seed_demo(*, now: datetime, horizon_days: int) -> dict[str, int]:
    """Create whatever demo data is missing; return how many rows of each kind were added."""
    added = {"centers": 0, "users": 0, "series": 0, "occurrences": 0}

    centers: dict[str, Center] = {}
    for slug, region_ko, region_en, partner_ko, partner_en, industries in CENTERS:
        center = db.session.scalar(sa.select(Center).where(Center.slug == slug))
        if center is None:
            center = Center(
                slug=slug,
                name_ko=f"{region_ko}창조경제혁신센터",
                name_en=f"{region_en} Center for Creative Economy & Innovation",
                region_ko=region_ko,
                region_en=region_en,
                partner_company_ko=partner_ko,
                partner_company_en=partner_en,
                industries=industries,
                timezone="Asia/Seoul",
                country_code="KR",
                contact_email=f"contact@{slug}.ccei.example",
                is_demo=True,
                created_at=now,
            )
            db.session.add(center)
            added["centers"] += 1
        centers[slug] = center
    db.session.flush()

    def user(email: str, role: Role, name: str) -> User:
        existing = db.session.scalar(sa.select(User).where(User.email == email))
        if existing is not None:
            return existing
        added["users"] += 1
        created = accounts.create_user(
            email=email, password=DEMO_PASSWORD, display_name=name, role=role, now=now
        )
        created.is_demo = True
        return created

    user("admin@eventhub.example", Role.admin, "관리자")
    memberships = {
        "organizer.daegu@eventhub.example": ("대구 운영자", ["daegu", "gyeongbuk"]),
        "organizer.daejeon@eventhub.example": ("대전 운영자", ["daejeon"]),
    }
    for email, (name, slugs) in memberships.items():
        organizer = user(email, Role.organizer, name)
        for slug in slugs:
            if db.session.get(OrganizerMembership, (organizer.id, centers[slug].id)) is None:
                db.session.add(
                    OrganizerMembership(
                        user_id=organizer.id, center_id=centers[slug].id, created_at=now
                    )
                )

    for email, company, industry, stage, amount, one_liner in STARTUPS:
        exists = db.session.scalar(
            sa.select(StartupProfile.id).where(StartupProfile.company_name == company)
        )
        if exists is not None:
            continue
        owner = user(email, Role.startup, f"{company} 대표") if email else None
        db.session.add(
            StartupProfile(
                user=owner,
                company_name=company,
                industry=industry,
                stage=stage,
                amount_sought_krw=amount,
                one_liner=one_liner,
                team_size=5,
                contact_name=f"{company} 대표",
                contact_email=email or f"hello@{company.lower()}.example",
                created_at=now,
                updated_at=now,
            )
        )

    for email, firm, person, focus, stages, has_account in INVESTORS:
        profile = db.session.scalar(
            sa.select(InvestorProfile).where(InvestorProfile.email == email)
        )
        if profile is not None:
            continue
        owner = user(email, Role.investor, person) if has_account else None
        db.session.add(
            InvestorProfile(
                user=owner,
                email=email,
                firm=firm,
                person_name=person,
                focus_industries=focus,
                stages=stages,
                ticket_min_krw=300_000_000,
                ticket_max_krw=3_000_000_000,
                created_at=now,
                updated_at=now,
            )
        )

    organizer_ids = {
        slug: db.session.scalar(
            sa.select(User.id).where(User.email == f"organizer.{slug}@eventhub.example")
        )
        for slug in ("daegu", "daejeon")
    }
    today = now.date()
    for slug, center_slug, title_ko, title_en, rule, at, minutes, venue, address in SERIES:
        if db.session.scalar(sa.select(EventSeries.id).where(EventSeries.slug == slug)):
            continue
        # Start four months back so that every series has a few past dates too.
        first = _first_date(rule, on_or_after=(today - timedelta(days=120)).replace(day=1), at=at)
        series = EventSeries(
            center=centers[center_slug],
            slug=slug,
            title_ko=title_ko,
            title_en=title_en,
            description_ko=(
                f"{title_ko}: 유망 스타트업이 투자자 앞에서 피칭하는 정기 투자 설명회입니다."
            ),
            description_en=f"{title_en}: a recurring investor day where startups pitch to VCs.",
            venue_name=venue,
            venue_address=address,
            timezone="Asia/Seoul",
            start_date=first,
            start_time=at,
            duration_minutes=minutes,
            rrule=rule,
            # Korean public holidays move an investor day to the next business day (the last
            # Friday of December 2026 is Christmas, the third Wednesday of September 2027
            # Chuseok).
            holiday_policy=HolidayPolicy.next_business_day,
            status=SeriesStatus.published,
            is_public=True,
            created_by_id=organizer_ids.get(center_slug) or organizer_ids["daegu"],
            created_at=now,
            updated_at=now,
        )
        db.session.add(series)
        db.session.flush()
        series_rules.add_default_rules(series)
        created = series_services.materialize_occurrences(
            series, until=now + timedelta(days=horizon_days)
        )
        added["series"] += 1
        added["occurrences"] += len(created)
        if slug == "samsung-venture-partners-day":
            _book_demo_slots(created, now=now)
        _demo_history(created, now=now, salt=len(slug))
        if slug == "samsung-venture-partners-day":
            _demo_meetings(created, now=now)
    db.session.flush()
    return added


def _book_demo_slots(occurrences: list, *, now: datetime) -> None:
    """Two demo startups hold the first slots of the next Samsung Venture Partners Day, so
    the slot grid and the organizer's pages have something to show."""
    upcoming = [o for o in occurrences if o.start_at > now]
    if not upcoming:
        return
    occurrence = min(upcoming, key=lambda o: o.start_at)
    db.session.flush()
    slots = bookings.slots_of(occurrence.id)
    for slot, company in zip(slots, ("Mobiligo", "Glowlab"), strict=False):
        startup = db.session.scalar(
            sa.select(StartupProfile).where(StartupProfile.company_name == company)
        )
        booking = Booking(
            occurrence=occurrence,
            slot=slot,
            startup=startup,
            status=BookingStatus.confirmed,
            intake_snapshot=intake.intake_snapshot(startup),
            history=[BookingStatusChange(to_status=BookingStatus.confirmed, changed_at=now)],
            created_at=now,
            updated_at=now,
        )
        db.session.add(booking)
    request_planning(occurrence.id)  # their reminders, planned by the worker after the commit


def _demo_history(occurrences: list, *, now: datetime, salt: int) -> None:
    """What the dashboard counts: on every past date most slots were held, most startups came,
    some did not; the invited VCs answered, asked to meet some startups again, and a few of
    those meetings became investments. The next date has open invitations, applications and a
    waitlist. Deterministic (`salt` varies it per series), so tests can count it too."""
    db.session.flush()
    startups = list(db.session.scalars(sa.select(StartupProfile).order_by(StartupProfile.id)))
    investors = list(db.session.scalars(sa.select(InvestorProfile).order_by(InvestorProfile.id)))
    dated = sorted(occurrences, key=lambda o: o.start_at)
    past = [o for o in dated if o.end_at < now and not o.is_cancelled]
    upcoming = [o for o in dated if o.start_at > now and not o.is_cancelled]
    answers = (RsvpStatus.accepted, RsvpStatus.accepted, RsvpStatus.declined)
    for number, occurrence in enumerate(past):
        slots = bookings.slots_of(occurrence.id)
        pitching = startups[: min(len(slots), 5 + (number + salt) % 3)]
        for index, (slot, startup) in enumerate(zip(slots, pitching, strict=False)):
            came = (index + number + salt) % 4 != 0
            status = BookingStatus.attended if came else BookingStatus.no_show
            _demo_booking(occurrence, startup, status, slot=slot, at=occurrence.start_at)
        for index, investor in enumerate(investors):
            answer = answers[(index + number) % len(answers)]
            _demo_invitation(occurrence, investor, answer, now=occurrence.start_at)
            if answer != RsvpStatus.accepted:
                continue
            met = [s for i, s in enumerate(pitching) if (i + index + number) % 3 == 0]
            for startup in met:
                db.session.add(
                    FollowUp(
                        occurrence_id=occurrence.id,
                        investor_id=investor.id,
                        startup_id=startup.id,
                        note="데모: 후속 미팅 희망",
                        share_with_startup=True,
                        created_at=occurrence.end_at,
                    )
                )
                invested = (startup.id + number + salt) % 2 == 0
                db.session.add(
                    Outcome(
                        occurrence_id=occurrence.id,
                        investor_id=investor.id,
                        startup_id=startup.id,
                        kind=OutcomeKind.investment if invested else OutcomeKind.meeting,
                        amount_krw=(startup.amount_sought_krw or 0) // 2 if invested else None,
                        happened_on=(occurrence.end_at + timedelta(days=21)).date(),
                        note="데모 데이터",
                        created_at=occurrence.end_at,
                    )
                )
    if upcoming:
        following = upcoming[0] if salt % 2 else upcoming[min(1, len(upcoming) - 1)]
        for index, investor in enumerate(investors):
            answer = (RsvpStatus.pending, RsvpStatus.accepted, RsvpStatus.tentative)[index % 3]
            _demo_invitation(following, investor, answer, now=now)
        queued = startups[-3:]
        _demo_booking(following, queued[0], BookingStatus.applied, slot=None, at=now)
        for startup in queued[1:]:
            _demo_booking(following, startup, BookingStatus.waitlisted, slot=None, at=now)
        request_planning(following.id)


def _demo_booking(
    occurrence, startup: StartupProfile, status: BookingStatus, *, slot, at: datetime
) -> None:
    booking = Booking(
        occurrence=occurrence,
        slot=slot,
        startup=startup,
        status=status,
        intake_snapshot=intake.intake_snapshot(startup),
        queued_at=at if status == BookingStatus.waitlisted else None,
        history=[BookingStatusChange(to_status=status, changed_at=at)],
        created_at=at,
        updated_at=at,
    )
    db.session.add(booking)
    db.session.flush()  # one active booking per startup and date: the index checks each


def _demo_invitation(occurrence, investor: InvestorProfile, answer: RsvpStatus, *, now) -> None:
    db.session.add(
        Invitation(
            occurrence=occurrence,
            investor=investor,
            status=answer,
            invited_at=now - timedelta(days=14),
            answered_at=None if answer == RsvpStatus.pending else now - timedelta(days=7),
        )
    )


def _demo_meetings(occurrences: list, *, now: datetime) -> None:
    """One-to-one meetings after the next Samsung Venture Partners Day (issue 18): every demo
    startup pitches or applied, every demo investor accepted, the line-up is out, and both
    sides asked to meet each other (some mutually), so an organizer can press "Schedule",
    move and pin meetings, and publish from the browser. Nothing is scheduled yet."""
    upcoming = [o for o in occurrences if o.start_at > now and not o.is_cancelled]
    if not upcoming:
        return
    occurrence = min(upcoming, key=lambda o: o.start_at)
    db.session.flush()
    startups = list(db.session.scalars(sa.select(StartupProfile).order_by(StartupProfile.id)))
    investors = list(db.session.scalars(sa.select(InvestorProfile).order_by(InvestorProfile.id)))
    holding = {
        b.startup_id
        for b in db.session.scalars(
            sa.select(Booking).where(Booking.occurrence_id == occurrence.id)
        )
    }
    free = [v.slot for v in bookings.slot_grid(occurrence.id) if v.booking is None]
    for startup in startups:
        if startup.id in holding:
            continue
        slot = free.pop(0) if free else None
        status = BookingStatus.confirmed if slot else BookingStatus.applied
        _demo_booking(occurrence, startup, status, slot=slot, at=now)
    for investor in investors:
        _demo_invitation(occurrence, investor, RsvpStatus.accepted, now=now)
    occurrence.lineup_published_at = now
    start = occurrence.end_at
    session = MeetingSession(
        occurrence=occurrence, starts_at=start, ends_at=start + timedelta(hours=2),
        meeting_minutes=20, break_minutes=5, table_count=3, table_links=None,
        requests_close_at=max(now + timedelta(hours=1), start - timedelta(days=1))
        if start - timedelta(hours=2) > now else start - timedelta(minutes=1),
        max_meetings=4, created_at=now,
    )  # fmt: skip
    db.session.add(session)
    db.session.flush()
    ranks: dict[tuple[str, int], int] = {}
    pairs: dict[tuple[int, int], MeetingRequest] = {}

    def ask(investor: InvestorProfile, startup: StartupProfile, side: str) -> None:
        who = (side, investor.id if side == "investor" else startup.id)
        ranks[who] = ranks.get(who, 0) + 1
        request = pairs.get((investor.id, startup.id))
        if request is None:
            request = MeetingRequest(
                session=session, investor=investor, startup=startup, created_at=now
            )
            pairs[investor.id, startup.id] = request
            db.session.add(request)
        setattr(request, f"{side}_rank", ranks[who])
        setattr(request, f"{side}_requested_at", now)

    for i, investor in enumerate(investors):
        for j, startup in enumerate(startups):
            if (i + 2 * j) % 3 == 0:
                ask(investor, startup, "investor")
    for j, startup in enumerate(startups):
        for i, investor in enumerate(investors):
            if (2 * i + j) % 4 == 0:
                ask(investor, startup, "startup")
    request_planning(occurrence.id)
