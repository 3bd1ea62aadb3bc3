"""The case page's legal section (templates/rents/arrears/_legal.html): the latest notice and
the earlier ones, the court cases with their steps, and links to the steps that may be taken
next. The services are in rents.legal."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.urls import reverse

from rents.casework import WORK_PERM
from rents.legal import NOTICE_DAYS, ORDERS, Outcome, _day, in_force
from rents.models import CourtCase, RentAccount


@dataclass
class Link:
    text: str
    href: str
    hidden: str = ""  # visually hidden words that finish the link text for screen readers


@dataclass
class CourtCaseView:
    court_case: CourtCase
    rows: list[dict]
    links: list[Link] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"Court case applied for on {_day(self.court_case.applied_on)}"


def next_steps(court_case: CourtCase, *, today: date) -> list[Link]:
    """The steps that may be recorded next on the court case (none once it is closed)."""
    if court_case.closed_on is not None:
        return []

    def url(name: str) -> str:
        return reverse(f"rents:legal-{name}", args=[court_case.pk])

    links = []
    outcome = court_case.outcome
    if court_case.hearing_date is None:
        links.append(Link("Record the hearing date", url("hearing")))
    elif outcome == Outcome.ADJOURNED:
        links.append(Link("Set the next hearing date", url("hearing")))
    elif not outcome:
        if court_case.hearing_date <= today:
            links.append(Link("Record the outcome", url("outcome"), " of the hearing"))
        links.append(Link("Change the hearing date", url("hearing")))
    elif outcome in ORDERS and court_case.warrant_applied_on is None:
        links.append(Link("Record a warrant application", url("warrant")))
    elif court_case.warrant_applied_on is not None:
        links.append(Link("Change the eviction date" if court_case.eviction_date
                          else "Record the eviction date", url("eviction")))
    links.append(Link("Close the court case", url("close")))
    return links


def _rows(court_case: CourtCase, adjournments: list[tuple[date, date, str]], *,
          today: date) -> list[dict]:
    """The court case's steps as summary list rows, up to the step it has reached."""
    notice = court_case.notice
    rows = [{"key": "Applied to the court",
             "value": _day(court_case.applied_on)
             + (f", under the NOSP served on {_day(notice.served_on)}" if notice else "")}]
    for hearing, adjourned_on, terms in adjournments:
        rows.append({"key": "Earlier hearing",
                     "value": f"{_day(hearing)}: adjourned on {_day(adjourned_on)}"
                              + (f" ({terms})" if terms else "")})
    hearing = court_case.hearing_date
    outcome = court_case.outcome
    if hearing is None:
        rows.append({"key": "Hearing", "value": "No date yet"})
    elif outcome == Outcome.ADJOURNED:
        rows.append({"key": "Hearing",
                     "value": f"{_day(hearing)}: adjourned on {_day(court_case.outcome_date)}; "
                              f"no new hearing date yet"})
    else:
        rows.append({"key": "Hearing", "value": _day(hearing)})
    if outcome and outcome != Outcome.ADJOURNED:
        rows.append({"key": "Outcome",
                     "value": f"{court_case.get_outcome_display()}, "
                              f"{_day(court_case.outcome_date)}"})
    if court_case.order_terms:
        rows.append({"key": "Terms", "value": court_case.order_terms})
    if court_case.warrant_applied_on:
        rows.append({"key": "Warrant applied for",
                     "value": _day(court_case.warrant_applied_on)})
    if court_case.eviction_date:
        eviction = court_case.eviction_date
        rows.append({"key": "Eviction",
                     "value": f"Booked for {_day(eviction)}" if eviction > today
                     else f"{_day(eviction)}"})
    if court_case.closed_on:
        rows.append({"key": "Closed", "value": _day(court_case.closed_on)})
    return rows


def _adjournments(court_cases: list[CourtCase]) -> dict[int, list[tuple[date, date, str]]]:
    """Each court case's earlier adjourned hearings, from its history (one query for all),
    leaving out an adjournment that is still the case's current state."""
    found: dict[int, set] = {}
    history = (CourtCase.history.filter(id__in=[c.pk for c in court_cases],
                                        outcome=Outcome.ADJOURNED)
               .order_by().values_list("id", "hearing_date", "outcome_date", "order_terms"))
    for pk, hearing, adjourned_on, terms in history:
        found.setdefault(pk, set()).add((hearing, adjourned_on, terms))
    result = {}
    for court_case in court_cases:
        current = (court_case.hearing_date, court_case.outcome_date, court_case.order_terms)
        earlier = found.get(court_case.pk, set())
        if court_case.outcome == Outcome.ADJOURNED:
            earlier = earlier - {current}
        result[court_case.pk] = sorted(earlier)
    return result


def case_panel(account: RentAccount, *, user, today: date) -> dict:
    """What the case page's legal section shows (templates/rents/arrears/_legal.html): the
    latest notice (and the earlier ones), the court cases newest first with their steps, and,
    for users who may act, links to the steps that may be taken next."""
    can_work = user.has_perm(WORK_PERM)
    notices = list(account.notices.order_by("-served_on", "-pk"))
    court_cases = list(account.court_cases.select_related("notice")
                       .order_by("-applied_on", "-pk"))
    adjournments = _adjournments(court_cases) if court_cases else {}
    notice = notices[0] if notices else None
    live = notice is not None and in_force(notice, on=today)
    has_open_case = any(c.closed_on is None for c in court_cases)
    not_before = (notice.served_on + timedelta(days=NOTICE_DAYS)
                  if live and not has_open_case else None)
    links = []
    if can_work:
        if not live:
            links.append(Link("Record a NOSP served",
                              reverse("rents:legal-notice-new", args=[account.pk])))
        elif not has_open_case and not_before <= today:
            links.append(Link("Record an application to the court",
                              reverse("rents:legal-court-application", args=[account.pk])))
    return {
        "notice": notice,
        "in_force": live,
        "days_left": (notice.expires_on - today).days if live else None,  # today included
        "last_day": notice.expires_on - timedelta(days=1) if notice else None,
        "not_before": not_before,  # the first day the court may be applied to
        "correct_href": reverse("rents:legal-notice-correct", args=[account.pk, notice.pk])
        if can_work and notice else "",
        "earlier_notices": notices[1:],
        "court_cases": [CourtCaseView(
            court_case=c, rows=_rows(c, adjournments.get(c.pk, []), today=today),
            links=next_steps(c, today=today) if can_work else []) for c in court_cases],
        "links": links,
    }
