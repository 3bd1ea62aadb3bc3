"""Awaab's Law clocks: each deadline of a hazard case, when it was met, and its state on a
day (on time, due soon, overdue, met, met late), with the working days left or past. Pure:
they read only the case's fields and the working-day calendar. The services that set the
deadlines are in repairs.awaab."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone

from housing.workdays import working_days_between
from repairs.models import HazardCase

DUE_SOON_WORKING_DAYS = 2  # a running date clock with this many working days left, or fewer


def day_text(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = timezone.localdate(value)
    return f"{value:%-d %B %Y}"


def moment_text(value: datetime) -> str:
    local = timezone.localtime(value)
    hour = local.strftime("%I").lstrip("0") or "12"
    return f"{hour}:{local:%M}{local.strftime('%p').lower()} on {day_text(local)}"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"



class ClockState:
    WAITING = "waiting"
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    MET = "met"
    MET_LATE = "met_late"
    COLOURS = {WAITING: "grey", ON_TIME: "blue", DUE_SOON: "orange", OVERDUE: "red",
               MET: "green", MET_LATE: "yellow"}
    LABELS = {WAITING: "Not started", ON_TIME: "On time", DUE_SOON: "Due soon",
              OVERDUE: "Overdue", MET: "Met", MET_LATE: "Met late"}


@dataclass(frozen=True)
class Clock:
    key: str  # make_safe, investigate, summary, safety_works
    label: str
    due: date | datetime | None
    met: date | datetime | None
    state: str
    text: str  # "3 working days left", "Overdue by 2 working days", "Met on 5 January 2027"
    days_left: int | None = None  # working days, while running and not overdue
    overdue_days: int | None = None  # working days past the due day

    @property
    def running(self) -> bool:
        return self.state in (ClockState.ON_TIME, ClockState.DUE_SOON, ClockState.OVERDUE)

    @property
    def colour(self) -> str:
        return ClockState.COLOURS[self.state]

    @property
    def tag(self) -> str:
        return ClockState.LABELS[self.state]

    @property
    def due_text(self) -> str:
        if isinstance(self.due, datetime):
            return moment_text(self.due)
        return day_text(self.due) if self.due else ""


CLOCK_LABELS = {"make_safe": "Make safe", "investigate": "Investigate",
                "summary": "Written summary", "safety_works": "Start safety works"}


def _date_clock(key: str, due: date | None, met: date | None, *, today: date,
                waiting: str) -> Clock:
    label = CLOCK_LABELS[key]
    if met is not None:
        if due is not None and met > due:
            late = working_days_between(due, met)
            return Clock(key, label, due, met, ClockState.MET_LATE,
                         f"Met on {day_text(met)}, {plural(late, 'working day')} late",
                         overdue_days=late)
        return Clock(key, label, due, met, ClockState.MET, f"Met on {day_text(met)}")
    if due is None:
        return Clock(key, label, None, None, ClockState.WAITING, waiting)
    if today > due:
        late = working_days_between(due, today)
        text = (f"Overdue by {plural(late, 'working day')}" if late
                else f"Overdue: it was due on {day_text(due)}")
        return Clock(key, label, due, None, ClockState.OVERDUE, text, overdue_days=late)
    left = working_days_between(today, due)
    if today == due:
        text = "Due today"
    else:
        text = f"{plural(left, 'working day')} left" if left else f"Due {day_text(due)}"
    state = ClockState.DUE_SOON if left <= DUE_SOON_WORKING_DAYS else ClockState.ON_TIME
    return Clock(key, label, due, None, state, text, days_left=left)


def _make_safe_clock(due: datetime, met: datetime | None, *, today: date,
                     now: datetime | None) -> Clock:
    label = CLOCK_LABELS["make_safe"]
    if met is not None:
        if met > due:
            return Clock("make_safe", label, due, met, ClockState.MET_LATE,
                         f"Made safe at {moment_text(met)}, after {moment_text(due)}")
        return Clock("make_safe", label, due, met, ClockState.MET,
                     f"Made safe at {moment_text(met)}")
    overdue = now > due if now is not None else today > timezone.localdate(due)
    if overdue:
        return Clock("make_safe", label, due, None, ClockState.OVERDUE,
                     f"Overdue: it was due by {moment_text(due)}", overdue_days=0)
    # A 24-hour clock is always close: running, it is due soon.
    text = f"Due by {moment_text(due)}"
    if now is not None:
        hours = int((due - now).total_seconds() // 3600)
        text += f" ({plural(hours, 'hour')} left)" if hours else " (less than an hour left)"
    return Clock("make_safe", label, due, None, ClockState.DUE_SOON, text)


def clock_states(case: HazardCase, *, today: date, now: datetime | None = None) -> list[Clock]:
    """Each clock of the case on `today`: due, met, working days left or overdue, and its
    state. Pure: it reads only the case's fields. `now` decides the make-safe clock to the
    minute; without it that clock is overdue only from the day after its due day."""
    clocks = []
    if case.make_safe_due_at is not None:
        clocks.append(_make_safe_clock(case.make_safe_due_at, case.made_safe_at, today=today,
                                       now=now))
    clocks.append(_date_clock("investigate", case.investigate_due, case.investigated_on,
                              today=today, waiting="Not set"))
    waiting = "Starts when the investigation is recorded"
    clocks.append(_date_clock("summary", case.summary_due, case.summary_sent_on, today=today,
                              waiting=waiting))
    clocks.append(_date_clock("safety_works", case.safety_works_due,
                              case.safety_works_started_on, today=today, waiting=waiting))
    return clocks


def is_overdue(clocks: list[Clock]) -> bool:
    return any(clock.state == ClockState.OVERDUE for clock in clocks)


def overdue_q(*, today: date, now: datetime) -> Q:
    """The cases with a clock overdue, in SQL (the same rule as clock_states)."""
    return (Q(make_safe_due_at__lt=now, made_safe_at__isnull=True)
            | Q(investigate_due__lt=today, investigated_on__isnull=True)
            | Q(summary_due__lt=today, summary_sent_on__isnull=True)
            | Q(safety_works_due__lt=today, safety_works_started_on__isnull=True))


