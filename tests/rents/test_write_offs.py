"""Write-offs: one person asks, a different person approves (maker and checker, held by the
service and by the database), and what the account page and the write-offs page show."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape
from guardian.shortcuts import assign_perm

from housing import roles
from rents import adjustments
from rents.models import Transaction, WriteOff
from tests.housing.factories import UserFactory
from tests.rents.test_adjustments import balance, let, post, snapshot

pytestmark = pytest.mark.django_db
AT = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _today():
    from freezegun import freeze_time

    with freeze_time("2026-12-09 16:00:00"):
        yield


@pytest.fixture
def account(north):
    return let(north)


@pytest.fixture
def south_account(south):
    return let(south, address="3 Far Road")


def _request(account, by, amount=5000, reason="Former tenant died; no estate"):
    return adjustments.request_write_off(account_id=account.pk, amount_pence=amount,
                                         reason=reason, by=by, at=AT)


# --- Asking -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "amount", "reason", "key", "message"), [
    (5000, 5001, "Gone away", "amount_pence", "no more than the arrears owed now (£50.00)"),
    (0, 100, "Gone away", "amount_pence", "owes nothing"),
    (-2000, 100, "Gone away", "amount_pence", "owes nothing"),
    (5000, 0, "Gone away", "amount_pence", "more than £0.00"),
    (5000, -100, "Gone away", "amount_pence", "more than £0.00"),
    (5000, 100, "  ", "reason", "Give the reason for the write-off"),
])
def test_requests_refused(income_officer, account, start, amount, reason, key, message):
    if start:
        post(account, start)
    with pytest.raises(ValidationError) as refused:
        _request(account, income_officer, amount=amount, reason=reason)
    assert message in " ".join(refused.value.message_dict[key])
    assert not WriteOff.objects.exists()


@pytest.mark.parametrize("amount", [5000, 1, 2500])
def test_a_request_posts_nothing_until_approved(income_officer, account, amount):
    post(account, 5000)
    before = snapshot()
    write_off = _request(account, income_officer, amount=amount)
    assert (write_off.status, write_off.amount_pence, write_off.requested_by,
            write_off.requested_at, write_off.entry) == ("pending", amount, income_officer, AT,
                                                         None)
    assert snapshot() == before


def test_one_request_waits_at_a_time(income_officer, team_leader, account):
    post(account, 5000)
    first = _request(account, income_officer, amount=1000)
    with pytest.raises(ValidationError) as refused:
        _request(account, team_leader, amount=1000)
    assert "is waiting for approval" in refused.value.message_dict[NON_FIELD_ERRORS][0]
    adjustments.reject_write_off(write_off_id=first.pk, note="Try tracing first",
                                 by=team_leader, at=LATER)
    assert _request(account, income_officer, amount=1000).status == "pending"


# --- Deciding --------------------------------------------------------------------------------


def test_approval_posts_a_write_off_credit_and_links_it(income_officer, team_leader, account):
    post(account, 5000)
    write_off = _request(account, income_officer, amount=3000)
    approved = adjustments.approve_write_off(write_off_id=write_off.pk, by=team_leader, at=LATER)
    approved.refresh_from_db()
    entry = approved.entry
    assert (approved.status, approved.decided_by, approved.decided_at) == ("approved",
                                                                           team_leader, LATER)
    assert (entry.kind, entry.amount_pence, entry.account, entry.created_by, entry.source) == (
        "write_off", -3000, account, team_leader, "officer")
    assert entry.reference == "Former tenant died; no estate"
    assert balance(account) == 2000


def test_self_approval_is_refused_by_the_service(team_leader, account):
    post(account, 5000)
    write_off = _request(account, team_leader)
    for decide in (
        lambda: adjustments.approve_write_off(write_off_id=write_off.pk, by=team_leader,
                                              at=LATER),
        lambda: adjustments.reject_write_off(write_off_id=write_off.pk, note="No",
                                             by=team_leader, at=LATER),
    ):
        with pytest.raises(ValidationError) as refused:
            decide()
        assert "You asked for this write-off; a different person must" in str(refused.value)
    with pytest.raises(ValidationError,
                       match="You asked for this write-off; a different person must approve "
                             "it."):
        adjustments.approve_write_off(write_off_id=write_off.pk, by=team_leader, at=LATER)
    write_off.refresh_from_db()
    assert write_off.status == "pending" and not Transaction.objects.filter(
        kind="write_off").exists()


def test_self_approval_is_refused_by_the_database(team_leader, account):
    post(account, 5000)
    write_off = _request(account, team_leader)
    with pytest.raises(IntegrityError, match="write_off_not_approved_by_requester"), \
            transaction.atomic():
        WriteOff.objects.filter(pk=write_off.pk).update(
            status="approved", decided_by=team_leader, decided_at=LATER)
    write_off.refresh_from_db()
    assert write_off.status == "pending"


def test_only_approvers_decide(income_officer, account):
    post(account, 5000)
    other_officer = UserFactory(role=roles.INCOME_OFFICER)
    write_off = _request(account, other_officer)
    with pytest.raises(PermissionDenied):
        adjustments.approve_write_off(write_off_id=write_off.pk, by=income_officer, at=LATER)
    with pytest.raises(PermissionDenied):
        adjustments.reject_write_off(write_off_id=write_off.pk, note="No", by=income_officer,
                                     at=LATER)
    write_off.refresh_from_db()
    assert write_off.status == "pending"


@pytest.mark.parametrize(("after", "message"), [
    (-2001, "now owes £29.99, less than the £30.00"),  # a payment came in meanwhile
    (-6000, "now owes £0.00, less than the £30.00"),
])
def test_approval_rechecks_that_the_amount_is_still_owed(income_officer, team_leader, account,
                                                         after, message):
    post(account, 5000)
    write_off = _request(account, income_officer, amount=3000)
    post(account, after)
    before = snapshot()
    with pytest.raises(ValidationError, match=message):
        adjustments.approve_write_off(write_off_id=write_off.pk, by=team_leader, at=LATER)
    assert snapshot() == before
    write_off.refresh_from_db()
    assert write_off.status == "pending" and write_off.entry is None


@pytest.mark.parametrize("first", ["approve", "reject"])
def test_a_write_off_is_decided_once(income_officer, team_leader, administrator, account,
                                     first):
    post(account, 5000)
    write_off = _request(account, income_officer, amount=1000)
    if first == "approve":
        adjustments.approve_write_off(write_off_id=write_off.pk, by=team_leader, at=LATER)
    else:
        adjustments.reject_write_off(write_off_id=write_off.pk, note="No", by=team_leader,
                                     at=LATER)
    before = snapshot()
    with pytest.raises(ValidationError, match="already been"):
        adjustments.approve_write_off(write_off_id=write_off.pk, by=administrator, at=LATER)
    with pytest.raises(ValidationError, match="already been"):
        adjustments.reject_write_off(write_off_id=write_off.pk, note="No", by=administrator,
                                     at=LATER)
    assert snapshot() == before


def test_rejection_needs_a_note_and_posts_nothing(income_officer, team_leader, account):
    post(account, 5000)
    write_off = _request(account, income_officer)
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        adjustments.reject_write_off(write_off_id=write_off.pk, note=" ", by=team_leader,
                                     at=LATER)
    assert "Give the reason for rejecting" in refused.value.message_dict["note"][0]
    rejected = adjustments.reject_write_off(write_off_id=write_off.pk, note="Trace them first",
                                            by=team_leader, at=LATER)
    assert (rejected.status, rejected.decision_note, rejected.decided_by) == (
        "rejected", "Trace them first", team_leader)
    assert snapshot() == before


# --- Who may use the screens -----------------------------------------------------------------


@pytest.fixture
def pending(account, income_officer):
    post(account, 5000)
    return _request(account, income_officer, amount=2000)


def _approver_paths(write_off):
    return ["/rents/write-offs/", f"/rents/write-offs/{write_off.pk}/reject/"]


def _approver_posts(write_off):
    return [(f"/rents/write-offs/{write_off.pk}/approve/", {}),
            (f"/rents/write-offs/{write_off.pk}/reject/", {"note": "No"})]


def _request_post(account):
    return (f"/rents/accounts/{account.pk}/write-offs/new/",
            {"amount": "10.00", "reason": "Cannot be traced"})


@pytest.mark.parametrize("persona", ["team_leader", "administrator"])
def test_approvers_use_the_write_offs_page(client_for, request, persona, pending):
    client = client_for(request.getfixturevalue(persona))
    for path in _approver_paths(pending):
        assert client.get(path).status_code == 200, path
    response = client.post(f"/rents/write-offs/{pending.pk}/approve/")
    assert response["Location"] == "/rents/write-offs/"
    pending.refresh_from_db()
    assert pending.status == "approved"


@pytest.mark.parametrize("persona", ["income_officer", "customer_access", "officer",
                                     "council_tax", "no_access"])
def test_others_may_not_decide(client_for, request, persona, pending):
    client = client_for(request.getfixturevalue(persona))
    before = snapshot()
    for path in _approver_paths(pending):
        assert client.get(path).status_code in (403, 404), path
    assert client.get("/rents/write-offs/").status_code == 403
    for path, data in _approver_posts(pending):
        assert client.post(path, data).status_code in (403, 404), path
    pending.refresh_from_db()
    assert pending.status == "pending" and snapshot() == before
    assert "Write-offs waiting for approval" not in client.get("/rents/").content.decode()


def test_an_approver_off_patch_gets_404(client_for, north, south_account, team_leader):
    post(south_account, 5000)
    write_off = _request(south_account, team_leader)
    approver = UserFactory(role=roles.INCOME_OFFICER, patches=[north])
    assign_perm("rents.approve_write_off", approver)
    client = client_for(approver)
    page = client.get("/rents/write-offs/").content.decode()
    assert "No write-offs are waiting for approval." in page
    assert client.get(f"/rents/write-offs/{write_off.pk}/reject/").status_code == 404
    for path, data in _approver_posts(write_off):
        assert client.post(path, data).status_code == 404, path
    write_off.refresh_from_db()
    assert write_off.status == "pending"


@pytest.mark.parametrize("persona", ["tenant", "contractor"])
def test_tenants_and_contractors_are_refused(client_for, request, persona, account, pending):
    client = client_for(request.getfixturevalue(persona))
    path, data = _request_post(account)
    assert client.get(path).status_code == 403
    assert client.post(path, data).status_code == 403
    for path in _approver_paths(pending):
        assert client.get(path).status_code == 403, path
    for path, data in _approver_posts(pending):
        assert client.post(path, data).status_code == 403, path
    pending.refresh_from_db()
    assert pending.status == "pending" and WriteOff.objects.count() == 1


def test_anonymous_visitors_sign_in_first(client, account, pending):
    path, data = _request_post(account)
    assert client.get(path)["Location"].startswith("/accounts/login/")
    assert client.post(path, data)["Location"].startswith("/accounts/login/")
    for path in _approver_paths(pending):
        assert client.get(path)["Location"].startswith("/accounts/login/"), path
    for path, data in _approver_posts(pending):
        assert client.post(path, data)["Location"].startswith("/accounts/login/"), path
    pending.refresh_from_db()
    assert pending.status == "pending"


@pytest.mark.parametrize(("persona", "status"), [
    ("income_officer", 302), ("team_leader", 302), ("customer_access", 403), ("officer", 403),
])
def test_who_may_ask_for_a_write_off(client_for, request, persona, status, account):
    post(account, 5000)
    client = client_for(request.getfixturevalue(persona))
    path, data = _request_post(account)
    assert client.get(path).status_code == (200 if status == 302 else 403)
    assert client.post(path, data).status_code == status
    assert WriteOff.objects.count() == (1 if status == 302 else 0)


def test_asking_off_patch_is_404(client_for, income_officer, south_account):
    post(south_account, 5000)
    path, data = _request_post(south_account)
    client = client_for(income_officer)
    assert client.get(path).status_code == 404
    assert client.post(path, data).status_code == 404
    assert not WriteOff.objects.exists()


# --- The journey on screen ------------------------------------------------------------------


def test_ask_approve_and_see_it_posted(client_for, income_officer, team_leader, account):
    post(account, 9876)
    officer_client, leader_client = client_for(income_officer), client_for(team_leader)
    account_path = f"/rents/accounts/{account.pk}/"
    assert "Request a write-off" in officer_client.get(account_path).content.decode()

    form = officer_client.get(f"{account_path}write-offs/new/").content.decode()
    assert "£98.76</span> in arrears" in form
    response = officer_client.post(f"{account_path}write-offs/new/",
                                   {"amount": "98.76", "reason": "Former tenant died"})
    assert response["Location"] == account_path
    page = officer_client.get(account_path).content.decode()
    assert "Write-off of £98.76 asked for." in page
    assert "Write-off waiting for approval" in page and "You asked for" in page
    assert "Request a write-off" not in page  # one at a time
    assert "£98.76</span> in arrears" in page  # nothing posted yet

    index = leader_client.get("/rents/").content.decode()
    assert 'href="/rents/write-offs/"' in index
    listing = leader_client.get("/rents/write-offs/").content.decode()
    assert account.payment_reference in listing and "12 Mill Lane" in listing
    assert "Former tenant died" in listing and escape(income_officer.display_name) in listing
    assert "£98.76" in listing
    write_off = WriteOff.objects.get()
    assert f"/rents/write-offs/{write_off.pk}/approve/" in listing
    leader_page = leader_client.get(account_path).content.decode()
    assert "Approve or reject write-offs" in leader_page

    response = leader_client.post(f"/rents/write-offs/{write_off.pk}/approve/")
    listing = leader_client.get(response["Location"]).content.decode()
    assert (f"Write-off of £98.76 on account {account.payment_reference} approved and posted."
            in listing)
    assert "No write-offs are waiting for approval." in listing
    assert "Approved and posted" in listing  # in the latest decisions

    page = officer_client.get(account_path).content.decode()
    assert ">Clear<" in page
    assert "Write-off waiting for approval" not in page
    assert escape(f"{team_leader.display_name} approved it on 9 December 2026") in page
    rows = list(officer_client.get(account_path).context["page_obj"])
    assert (rows[0].description, rows[0].credit_pence, rows[0].balance_pence) == (
        "Write-off", 9876, 0)


def test_ask_reject_with_a_note_and_the_requester_sees_why(client_for, income_officer,
                                                           team_leader, account):
    post(account, 5000)
    write_off = _request(account, income_officer, amount=5000)
    leader_client = client_for(team_leader)
    reject_path = f"/rents/write-offs/{write_off.pk}/reject/"
    response = leader_client.post(reject_path, {"note": " "})
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert "Enter why you are rejecting the write-off" in page
    response = leader_client.post(reject_path, {"note": "Try the forwarding address first"})
    assert response["Location"] == "/rents/write-offs/"
    assert "rejected." in leader_client.get("/rents/write-offs/").content.decode()

    page = client_for(income_officer).get(f"/rents/accounts/{account.pk}/").content.decode()
    assert escape(f"{team_leader.display_name} rejected it on 9 December 2026") in page
    assert "Why: Try the forwarding address first" in page
    assert "£50.00</span> in arrears" in page
    assert "Request a write-off" in page  # may ask again


def test_the_requester_sees_no_approve_button_and_is_refused(client_for, team_leader,
                                                             administrator, account):
    post(account, 5000)
    write_off = _request(account, team_leader)
    client = client_for(team_leader)
    listing = client.get("/rents/write-offs/").content.decode()
    assert "You asked for this write-off, so a different person must approve" in listing
    assert f"/rents/write-offs/{write_off.pk}/approve/" not in listing
    response = client.post(f"/rents/write-offs/{write_off.pk}/approve/")
    page = client.get(response["Location"]).content.decode()
    assert "You asked for this write-off; a different person must approve it." in page
    write_off.refresh_from_db()
    assert write_off.status == "pending"
    assert "Reject write-off</button>" not in client.get(
        f"/rents/write-offs/{write_off.pk}/reject/").content.decode()
    assert client.post(f"/rents/write-offs/{write_off.pk}/reject/",
                       {"note": "No"}).status_code == 200
    write_off.refresh_from_db()
    assert write_off.status == "pending"


def test_approving_what_is_no_longer_owed_says_so(client_for, income_officer, team_leader,
                                                  account):
    post(account, 5000)
    write_off = _request(account, income_officer, amount=5000)
    post(account, -1000)
    client = client_for(team_leader)
    listing = client.get("/rents/write-offs/").content.decode()
    assert "Less than the amount to write off" in listing
    page = client.get(client.post(f"/rents/write-offs/{write_off.pk}/approve/")["Location"]
                      ).content.decode()
    assert "There is a problem" in page and "now owes £40.00, less than the £50.00" in page
    assert not Transaction.objects.filter(kind="write_off").exists()


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"amount": "50.01"}, "amount", "no more than the arrears owed now (£50.00)"),
    ({"amount": "1.001"}, "amount", "no more than two decimal places"),
    ({"amount": ""}, "amount", "Enter the amount to write off"),
    ({"reason": ""}, "reason", "Enter the reason for the write-off"),
])
def test_bad_requests_keep_what_was_typed(client_for, income_officer, account, fields, field,
                                          message):
    post(account, 5000)
    data = {"amount": "10.00", "reason": "KEEP-ME", **fields}
    response = client_for(income_officer).post(
        f"/rents/accounts/{account.pk}/write-offs/new/", data)
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page and message in page
    assert message in " ".join(response.context["form"].errors[field])
    if data["amount"]:
        assert f'value="{data["amount"]}"' in page
    assert data["reason"] in page
    assert not WriteOff.objects.exists()


def test_the_write_offs_page_reads_a_fixed_number_of_queries(client_for, team_leader,
                                                             income_officer, north):
    counts = []
    for number in (1, 4):
        for index in range(number):
            account = let(north, address=f"{number}{index} Mill Lane")
            post(account, 5000)
            write_off = _request(account, income_officer, amount=1000)
            if index % 2:
                adjustments.reject_write_off(write_off_id=write_off.pk, note="No",
                                             by=team_leader, at=LATER)
        client = client_for(team_leader)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/rents/write-offs/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_long_reason_is_kept_whole_and_shortened_on_the_ledger(income_officer, team_leader,
                                                                 account):
    post(account, 5000)
    reason = "The former tenant died in 2025 and the estate has no assets. " * 3
    write_off = _request(account, income_officer, amount=1000, reason=reason)
    entry = adjustments.approve_write_off(write_off_id=write_off.pk, by=team_leader,
                                          at=LATER).entry
    assert WriteOff.objects.get().reason == reason.strip()
    assert len(entry.reference) == 100 and entry.reference.endswith("\u2026")
    assert entry.reference.startswith("The former tenant died in 2025")
