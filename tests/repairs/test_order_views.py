"""The staff repairs screens: who may open and post to each (allowed, read-only and refused
roles, anonymous visitors, a home off the officer's patches, contractors), raising an order
with SOR lines, approval on the order page and in the queue, cancelling, recording
completion, recharging, variations, and the repairs home's search, filters and query counts."""

import io
import re
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time
from PIL import Image

from rents.models import Transaction
from repairs import services
from repairs.models import (
    RepairPhoto,
    SpendLimit,
    Variation,
    WorkOrder,
    WorkOrderEvent,
)
from tests.housing.factories import PropertyFactory, UserFactory
from tests.repairs.conftest import AT

pytestmark = pytest.mark.django_db
Status = WorkOrder.Status

REPAIRS_WORK = ["view_repairrequest", "view_workorder", "view_repairphoto", "raise_repair",
                "raise_workorder", "approve_workorder", "manage_workorder",
                "recharge_workorder"]


@pytest.fixture(autouse=True)
def _today(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with freeze_time("2026-12-09 10:15:00"):
        yield


def _photo():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "JPEG")
    return SimpleUploadedFile("leak.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def order(home, contractor_a, make_order, contractor):
    """An issued order on the North patch, with a photo on its repair and a variation the
    contractor asked for."""
    order = make_order(home, contractor_a, lines=[("PL100", "1"), ("PL130", "2")])
    RepairPhoto.objects.create(request=order.request, image=_photo(), uploaded_at=AT)
    services.add_variation(order_id=order.pk, lines=[("PL120", "1")], reason="Cistern too",
                           by=contractor, at=AT)
    return order


def _pages(order) -> dict[str, str]:
    variation = order.variations.get()
    return {
        "home": "/repairs/",
        "approvals": "/repairs/approvals/",
        "request_new": f"/repairs/requests/new/?property={order.property_id}",
        "request": f"/repairs/requests/{order.request_id}/",
        "order_new": f"/repairs/requests/{order.request_id}/orders/new/",
        "order": f"/repairs/orders/{order.pk}/",
        "cancel": f"/repairs/orders/{order.pk}/cancel/",
        "close": f"/repairs/orders/{order.pk}/close/",
        "recharge": f"/repairs/orders/{order.pk}/recharge/",
        "variation_new": f"/repairs/orders/{order.pk}/variations/new/",
        "variation_reject": f"/repairs/variations/{variation.pk}/reject/",
        "photo": f"/repairs/photos/{order.request.photos.get().pk}/",
    }


def _posts(order, routine) -> dict[str, tuple[str, dict]]:
    variation = order.variations.get()
    return {
        "request_new": (f"/repairs/requests/new/?property={order.property_id}",
                        {"location": "kitchen", "description": "Drip",
                         "priority": str(routine.pk), "channel": "phone"}),
        "order_new": (f"/repairs/requests/{order.request_id}/orders/new/",
                      {"contractor": str(order.contractor_id), "trade": str(order.trade_id),
                       "description": "Tap", "lines-TOTAL_FORMS": "1",
                       "lines-INITIAL_FORMS": "0", "lines-0-code": "PL100",
                       "lines-0-quantity": "1"}),
        "approve": (f"/repairs/orders/{order.pk}/approve/", {}),
        "cancel": (f"/repairs/orders/{order.pk}/cancel/", {"reason": "No longer needed"}),
        "close": (f"/repairs/orders/{order.pk}/close/", {"completed_on": "2026-12-09"}),
        "recharge": (f"/repairs/orders/{order.pk}/recharge/",
                     {"amount": "10.00", "reason": "Damage"}),
        "variation_new": (f"/repairs/orders/{order.pk}/variations/new/",
                          {"reason": "More", "lines-TOTAL_FORMS": "1",
                           "lines-INITIAL_FORMS": "0", "lines-0-code": "PL110",
                           "lines-0-quantity": "1"}),
        "variation_approve": (f"/repairs/variations/{variation.pk}/approve/", {}),
        "variation_reject": (f"/repairs/variations/{variation.pk}/reject/", {"reason": "No"}),
    }


def _unchanged(order):
    order.refresh_from_db()
    assert order.status == Status.ISSUED and order.value_pence == 2850 + 19000
    assert WorkOrder.objects.count() == 1 and order.variations.get().status == "requested"
    assert not Transaction.objects.exists()
    assert order.request.__class__.objects.count() == 1


READ = {"request", "order", "photo"}
EVERYTHING = {"home", "approvals", "request_new", "order_new", "cancel", "close", "recharge",
              "variation_new", "variation_reject", *READ}
ALLOWED_PAGES = {
    "customer_access": {"home", "request_new", *READ},
    "officer": READ,  # a Housing Officer, on their patch: reads only
    "lettings_officer": READ,
    "repairs_officer": EVERYTHING,
    "team_leader": EVERYTHING,
    "administrator": EVERYTHING,
    "income_officer": set(),
    "leasehold_officer": set(),
    "council_tax": set(),
    "no_access": set(),
    "tenant": set(),
    "contractor": set(),  # company A's own order: still no staff page
    "other_contractor": set(),
}


@pytest.mark.parametrize(("persona", "allowed"), ALLOWED_PAGES.items())
def test_who_may_open_each_page(client_for, request, order, persona, allowed):
    client = client_for(request.getfixturevalue(persona))
    for name, path in _pages(order).items():
        status = client.get(path).status_code
        assert status == (200 if name in allowed else 403), (name, status)


# The POSTs each role may not make; every one is refused with 403 and changes nothing.
REFUSED_POSTS = {
    "customer_access": ["order_new", "approve", "cancel", "close", "recharge",
                        "variation_new", "variation_approve", "variation_reject"],
    "officer": ["request_new", "order_new", "approve", "cancel", "close", "recharge",
                "variation_new", "variation_approve", "variation_reject"],
    "lettings_officer": ["request_new", "order_new", "approve", "cancel", "close", "recharge",
                         "variation_new", "variation_approve", "variation_reject"],
    "income_officer": "all", "council_tax": "all", "no_access": "all", "tenant": "all",
    "contractor": "all", "other_contractor": "all",
}


@pytest.mark.parametrize(("persona", "refused"), REFUSED_POSTS.items())
def test_roles_without_the_permission_cannot_act(client_for, request, order, routine, persona,
                                                 refused):
    client = client_for(request.getfixturevalue(persona))
    posts = _posts(order, routine)
    for name in (posts if refused == "all" else refused):
        path, data = posts[name]
        assert client.post(path, data).status_code == 403, name
    _unchanged(order)


def test_anonymous_visitors_are_sent_to_sign_in(client_for, order, routine):
    client = client_for(None)
    for path in _pages(order).values():
        response = client.get(path)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), path
    for path, data in _posts(order, routine).values():
        response = client.post(path, data)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), path
    _unchanged(order)


@pytest.fixture
def patch_officer(north):
    """A repairs officer who works the North patch only (every repairs permission, a
    £1,500 limit, no `view_all_patches`)."""
    user = UserFactory(email="patch@example.test", patches=[north])
    user.user_permissions.set(Permission.objects.filter(
        content_type__app_label="repairs", codename__in=REPAIRS_WORK)
        | Permission.objects.filter(codename__in=["use_repairs", "view_property"]))
    SpendLimit.objects.create(user=user, limit_pence=150000)
    return user


def test_a_repair_off_the_officers_patches_is_not_found(client_for, patch_officer, officer,
                                                        order, south, contractor_a,
                                                        make_order, routine):
    client = client_for(patch_officer)
    for name, path in _pages(order).items():  # their own patch: everything opens
        assert client.get(path).status_code == 200, name
    far = make_order(PropertyFactory(patch=south, address_line_1="3 Far Road"), contractor_a)
    RepairPhoto.objects.create(request=far.request, image=_photo(), uploaded_at=AT)
    services.add_variation(order_id=far.pk, lines=[("PL120", "1")], reason="More",
                           by=UserFactory(kind="contractor"), at=AT)
    for name, path in _pages(far).items():
        if name not in ("home", "approvals"):
            assert client.get(path).status_code == 404, name
    for name, (path, data) in _posts(far, routine).items():
        assert client.post(path, data).status_code == 404, name
    # A Housing Officer reads their own patch's repairs only.
    for name in ("request", "order", "photo"):
        assert client_for(officer).get(_pages(order)[name]).status_code == 200, name
        assert client_for(officer).get(_pages(far)[name]).status_code == 404, name
    far.refresh_from_db()
    assert far.status == Status.ISSUED and far.variations.get().status == "requested"
    listing = client.get("/repairs/?status=all").content.decode()
    assert "3 Far Road" not in listing and "12 Mill Lane" in listing
    assert "3 Far Road" not in client.get("/repairs/requests/new/?q=Far").content.decode()


def test_contractors_never_reach_another_companys_order_by_a_staff_url(
        client_for, contractor, other_contractor, order, routine):
    # Order is company A's. Staff URLs are refused to every contractor (their portal is
    # /contractor/, scoped to their own company), and nothing changes.
    for user in (contractor, other_contractor):
        client = client_for(user)
        for path in _pages(order).values():
            assert client.get(path).status_code == 403, path
        for path, data in _posts(order, routine).values():
            assert client.post(path, data).status_code == 403, path
    _unchanged(order)


# --- Raising an order on the screen -----------------------------------------------------------


def _order_post(repair, contractor, plumbing, rows, **extra):
    data = {"contractor": str(contractor.pk), "trade": str(plumbing.pk),
            "description": "Renew the tap", "lines-TOTAL_FORMS": "5",
            "lines-INITIAL_FORMS": "0", **extra}
    for number, (code, quantity) in enumerate(rows):
        data[f"lines-{number}-code"], data[f"lines-{number}-quantity"] = code, quantity
    return data


@pytest.fixture
def repair(home, routine, customer_access):
    return services.raise_request(property_id=home.pk, location="kitchen",
                                  description="Tap drips", priority_id=routine.pk,
                                  channel="phone", by=customer_access, at=AT)


def test_raising_an_order_names_bad_codes_and_keeps_what_was_typed(
        client_for, repairs_officer, repair, contractor_a, plumbing):
    url = f"/repairs/requests/{repair.pk}/orders/new/"
    client = client_for(repairs_officer)
    page = client.get(url).content.decode()
    assert page.count('name="lines-') >= 10 and 'name="lines-4-code"' in page
    assert "Your spend limit is £1,500.00" in page
    assert "Tap drips</textarea>" in page  # the repair's words, to start from
    response = client.post(url, _order_post(repair, contractor_a, plumbing,
                                            [("XX999", "1"), ("PL100", "2")]))
    text = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in text and "There is a problem" in text
    assert "XX999 is not in the Schedule of Rates." in text
    assert 'value="XX999"' in text and 'value="PL100"' in text and "Renew the tap" in text
    # A code without a quantity is named on its row.
    text = client.post(url, _order_post(repair, contractor_a, plumbing,
                                        [("PL100", "")])).content.decode()
    assert "Line 1: Enter the quantity for PL100." in text
    assert not WorkOrder.objects.exists()


def test_raising_an_order_within_the_limit_issues_it_and_shows_its_prices(
        client_for, repairs_officer, repair, contractor_a, plumbing):
    response = client_for(repairs_officer).post(
        f"/repairs/requests/{repair.pk}/orders/new/",
        _order_post(repair, contractor_a, plumbing, [("pl100", "2"), ("PL110", "1")]),
        follow=True)
    order = WorkOrder.objects.get()
    assert response.redirect_chain[-1][0] == f"/repairs/orders/{order.pk}/"
    text = " ".join(response.content.decode().split())
    assert (f"Work order {order.reference} for £99.00 is issued to A Plumbing Ltd."
            in text)
    assert "£28.50" in text and "£57.00" in text and "£42.00" in text and "£99.00" in text
    assert "Issued to the contractor" in text and "complete by 11 January 2027" in text
    assert "Issued to A Plumbing Ltd" in text and "Approved: £99.00, within" in text  # history
    assert "moj-timeline" in text


def test_an_order_over_the_limit_is_approved_by_a_team_leader_on_its_page(
        client_for, repairs_officer, team_leader, repair, contractor_a, plumbing):
    response = client_for(repairs_officer).post(
        f"/repairs/requests/{repair.pk}/orders/new/",
        _order_post(repair, contractor_a, plumbing, [("PL130", "20")]), follow=True)
    order = WorkOrder.objects.get()
    text = " ".join(response.content.decode().split())
    assert "is raised. It is over your spend limit, so it waits for approval." in text
    assert "Waiting for approval: £1,900.00 is over the spend limit of" in text
    assert "You raised this order, so someone else must approve it." in text
    assert "Approve and issue the order" not in text
    page = client_for(team_leader).get(f"/repairs/orders/{order.pk}/").content.decode()
    assert "Approve and issue the order" in page
    queue = client_for(team_leader).get("/repairs/approvals/").content.decode()
    assert order.reference in queue and "Orders (1)" in queue
    home = client_for(team_leader).get("/repairs/").content.decode()
    assert "Waiting for approval (1)" in home
    response = client_for(team_leader).post(f"/repairs/orders/{order.pk}/approve/",
                                            follow=True)
    assert (f"Work order {order.reference} approved and issued to A Plumbing Ltd."
            in response.content.decode())
    order.refresh_from_db()
    assert order.status == Status.ISSUED and order.approved_by == team_leader


def test_an_approval_refused_by_the_service_says_why(client_for, repairs_officer, repair,
                                                     contractor_a, plumbing):
    other = UserFactory(email="ro2@example.test", role="Repairs Officer")
    order = services.raise_order(request_id=repair.pk, contractor_id=contractor_a.pk,
                                 trade_id=plumbing.pk, description="Big job",
                                 lines=[("PL130", "20")], by=repairs_officer, at=AT)
    page = client_for(other).get(f"/repairs/orders/{order.pk}/").content.decode()
    assert "Its value is over your spend limit of £1,500.00." in page
    assert "Approve and issue the order" not in page
    response = client_for(other).post(f"/repairs/orders/{order.pk}/approve/", follow=True)
    assert "is over your spend limit of £1,500.00" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Status.RAISED
    queue = client_for(other).get("/repairs/approvals/").content.decode()
    assert "No orders are waiting for you." in queue and "1 more order waits" in queue


# --- Actions on an order ----------------------------------------------------------------------


def test_cancelling_on_the_screen(client_for, repairs_officer, home, contractor_a, make_order):
    order = make_order(home, contractor_a)
    url = f"/repairs/orders/{order.pk}/cancel/"
    text = client_for(repairs_officer).post(url, {"reason": ""}).content.decode()
    assert "There is a problem" in text and "Give the reason for cancelling the order." in text
    response = client_for(repairs_officer).post(url, {"reason": "Raised twice"}, follow=True)
    assert f"Work order {order.reference} is cancelled." in response.content.decode()
    order.refresh_from_db()
    assert order.status == "cancelled"
    page = client_for(repairs_officer).get(f"/repairs/orders/{order.pk}/").content.decode()
    assert "Cancel the order" not in page and "Raised twice" in page


def test_recording_completion_not_before_issue_on_the_screen(client_for, repairs_officer, home,
                                                             contractor_a, make_order):
    order = make_order(home, contractor_a, at=AT - timedelta(days=2))
    url = f"/repairs/orders/{order.pk}/close/"
    text = client_for(repairs_officer).post(url, {"completed_on": "2026-12-01",
                                                  "notes": "Done"}).content.decode()
    assert "There is a problem" in text
    assert ("The order was issued on 7 December 2026: it cannot have been completed before "
            "then (1 December 2026).") in text
    assert 'value="2026-12-01"' in text and "Done" in text
    client_for(repairs_officer).post(url, {"completed_on": "2026-12-08", "notes": "Done"})
    order.refresh_from_db()
    assert order.status == "completed" and order.completed_on == date(2026, 12, 8)


def test_recharging_on_the_screen(client_for, repairs_officer, home, contractor_a, make_order):
    order = make_order(home, contractor_a, status=Status.COMPLETED)
    url = f"/repairs/orders/{order.pk}/recharge/"
    page = client_for(repairs_officer).get(url).content.decode()
    assert "sundry account of tenancy" in page
    text = client_for(repairs_officer).post(url, {"amount": "0", "reason": "Kicked door"}
                                            ).content.decode()
    assert "Enter an amount more than £0.00." in text and "Kicked door" in text
    response = client_for(repairs_officer).post(url, {"amount": "85.00",
                                                      "reason": "Kicked door"}, follow=True)
    assert "£85.00 is charged to the sundry account" in response.content.decode()
    assert Transaction.objects.get().amount_pence == 8500


def test_variations_on_the_screen(client_for, repairs_officer, team_leader, order):
    # The contractor's variation (PL120) waits: the Team Leader approves it on the order page.
    page = client_for(team_leader).get(f"/repairs/orders/{order.pk}/").content.decode()
    assert "Waiting for approval: £218.50 to £286.50" in page
    assert "Approve the variation" in page and "Not counted yet" not in page
    assert "Variation waiting for approval: not counted yet" in page
    assert client_for(team_leader).get("/repairs/approvals/").content.decode().count(
        order.reference) == 1
    variation = order.variations.get()
    client_for(team_leader).post(f"/repairs/variations/{variation.pk}/approve/")
    order.refresh_from_db()
    assert order.value_pence == 28650
    # An officer changes PL130 from 2 to 3: within their limit, approved at once.
    url = f"/repairs/orders/{order.pk}/variations/new/"
    text = client_for(repairs_officer).post(url, {
        "reason": "", "lines-TOTAL_FORMS": "5", "lines-INITIAL_FORMS": "0",
        "lines-0-code": "PL130", "lines-0-quantity": "3"}).content.decode()
    assert "Say why the work needs to change." in text and 'value="PL130"' in text
    response = client_for(repairs_officer).post(url, {
        "reason": "Second leak", "lines-TOTAL_FORMS": "5", "lines-INITIAL_FORMS": "0",
        "lines-0-code": "PL130", "lines-0-quantity": "3"}, follow=True)
    assert "Variation approved: the order is now £381.50." in response.content.decode()
    order.refresh_from_db()
    assert order.value_pence == 38150
    assert "Replaced by a variation: not counted" in response.content.decode()


def test_not_approving_a_variation_needs_a_reason(client_for, team_leader, order):
    variation = order.variations.get()
    url = f"/repairs/variations/{variation.pk}/reject/"
    text = client_for(team_leader).post(url, {"reason": ""}).content.decode()
    assert "Give the reason for not approving the variation." in text
    client_for(team_leader).post(url, {"reason": "Not needed"})
    variation.refresh_from_db()
    assert variation.status == Variation.Status.REJECTED
    assert WorkOrderEvent.objects.filter(order=order,
                                         summary__startswith="Variation not approved").exists()


def test_the_order_page_offers_only_what_the_user_may_do(client_for, customer_access,
                                                         repairs_officer, order):
    page = client_for(customer_access).get(f"/repairs/orders/{order.pk}/").content.decode()
    for action in ("Cancel the order", "Record the work as completed", "Recharge the tenant",
                   "Raise a follow-on order", "Approve the variation"):
        assert action not in page
    page = client_for(repairs_officer).get(f"/repairs/orders/{order.pk}/").content.decode()
    for action in ("Cancel the order", "Record the work as completed", "Recharge the tenant",
                   "Raise a follow-on order", "Book or rebook the appointment"):
        assert action in page
    # A variation is waiting, so another cannot be asked for until it is decided.
    assert "Vary the order" not in page


def test_a_waiting_order_offers_no_follow_on_or_recharge_and_an_order_lists_its_invoices(
        client_for, repairs_officer, order):
    from repairs.models import Invoice

    WorkOrder.objects.filter(pk=order.pk).update(status=WorkOrder.Status.RAISED)
    page = client_for(repairs_officer).get(f"/repairs/orders/{order.pk}/").content.decode()
    assert "Raise a follow-on order" not in page and "Recharge the tenant" not in page
    WorkOrder.objects.filter(pk=order.pk).update(status=WorkOrder.Status.INVOICED)
    invoice = Invoice.objects.create(
        contractor=order.contractor, order=order, number="INV-7", status="submitted",
        total_pence=order.value_pence, submitted_by=repairs_officer, submitted_at=order.raised_at)
    page = client_for(repairs_officer).get(f"/repairs/orders/{order.pk}/").content.decode()
    assert f'href="/repairs/invoices/{invoice.pk}/"' in page and "Invoice INV-7" in page


# --- The repairs home -------------------------------------------------------------------------


def test_search_and_filters(client_for, repairs_officer, home, contractor_a, contractor_b,
                            make_order, emergency, south):
    late = make_order(home, contractor_a, at=AT - timedelta(days=40), description="Late one")
    soon = make_order(home, contractor_b, description="Fresh one")
    urgent = make_order(PropertyFactory(patch=south, address_line_1="9 High Street",
                                        postcode="EX9 9ZZ"), contractor_a, priority=emergency,
                        description="Burst pipe")
    done = make_order(home, contractor_a, status=Status.COMPLETED, description="Done one")
    client = client_for(repairs_officer)

    def refs(query=""):
        text = client.get(f"/repairs/{query}").content.decode()
        return set(re.findall(r">(WO\d{6})<", text)), text

    shown, text = refs()
    assert shown == {late.reference, soon.reference, urgent.reference}  # open ones
    assert text.count("Overdue") == 1 and "Open (not yet completed): 3 orders" in text
    assert refs("?overdue=on")[0] == {late.reference}
    assert refs("?status=completed")[0] == {done.reference}
    assert refs(f"?contractor={contractor_b.pk}")[0] == {soon.reference}
    assert refs(f"?priority={emergency.pk}")[0] == {urgent.reference}
    assert refs(f"?q={soon.reference.lower()}")[0] == {soon.reference}
    assert refs(f"?q={late.request.reference}")[0] == {late.reference}
    assert refs("?q=high street")[0] == {urgent.reference}
    assert refs("?q=ex9")[0] == {urgent.reference}
    assert refs("?status=nonsense&sort=nonsense")[0] == shown  # ignored, not an error
    text = client.get("/repairs/?sort=newest").content.decode()
    assert text.index(soon.reference) < text.index(late.reference)


def test_the_repairs_home_reads_a_fixed_number_of_queries(client_for, team_leader, home,
                                                          contractor_a, make_order):
    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client_for(team_leader).get("/repairs/")
        assert response.status_code == 200
        return len(queries), response.content.decode()

    make_order(home, contractor_a)
    few, page = count()
    assert page.count('class="govuk-link" href="/repairs/orders/') == 1
    for _ in range(6):
        make_order(home, contractor_a, status=Status.RAISED)
    many, page = count()
    assert page.count('class="govuk-link" href="/repairs/orders/') == 7
    assert "Waiting for approval (6)" in page
    assert many == few


def test_the_approvals_queue_reads_a_fixed_number_of_queries(client_for, team_leader, home,
                                                             contractor_a, make_order,
                                                             contractor):
    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client_for(team_leader).get("/repairs/approvals/")
        assert response.status_code == 200
        return len(queries), response.content.decode()

    make_order(home, contractor_a, status=Status.RAISED)
    first = make_order(home, contractor_a)
    services.add_variation(order_id=first.pk, lines=[("PL110", "1")], reason="More",
                           by=contractor, at=AT)
    few, page = count()
    assert "Orders (1)" in page and "Variations (1)" in page
    for _ in range(4):
        make_order(home, contractor_a, status=Status.RAISED)
        other = make_order(home, contractor_a)
        services.add_variation(order_id=other.pk, lines=[("PL110", "1")], reason="More",
                               by=contractor, at=AT)
    many, page = count()
    assert "Orders (5)" in page and "Variations (5)" in page
    assert many == few
