"""The access mechanism every view uses: patches, confidential records and their read log."""

import pytest
from django.http import Http404
from guardian.shortcuts import assign_perm

from housing.access import get_object_for_user, scope_for_user
from housing.models import ConfidentialReadLog
from tests.testapp.models import PatchRecord, SecretNote

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(north, south):
    return {
        "north": PatchRecord.objects.create(patch=north, name="north home"),
        "south": PatchRecord.objects.create(patch=south, name="south home"),
    }


def _grant_model_view(user, model):
    assign_perm(f"{model._meta.app_label}.view_{model._meta.model_name}", user)


def test_officer_sees_only_their_patch(officer, records):
    _grant_model_view(officer, PatchRecord)
    names = set(scope_for_user(officer, PatchRecord.objects.all()).values_list("name", flat=True))
    assert names == {"north home"}
    with pytest.raises(Http404):
        get_object_for_user(officer, PatchRecord.objects.all(), pk=records["south"].pk)
    assert get_object_for_user(officer, PatchRecord.objects.all(),
                               pk=records["north"].pk) == records["north"]


def test_role_that_sees_all_patches_sees_every_record(council_tax, records):
    _grant_model_view(council_tax, PatchRecord)
    assert scope_for_user(council_tax, PatchRecord.objects.all()).count() == 2


def test_without_the_model_permission_nothing_is_visible(officer, records):
    assert scope_for_user(officer, PatchRecord.objects.all()).count() == 0


@pytest.mark.parametrize("persona", ["tenant", "contractor"])
def test_tenants_and_contractors_never_see_staff_records(request, persona, records):
    user = request.getfixturevalue(persona)
    _grant_model_view(user, PatchRecord)
    assert scope_for_user(user, PatchRecord.objects.all()).count() == 0


def test_confidential_record_is_seen_only_by_users_granted_it_and_each_read_is_logged(
    officer, team_leader, rf
):
    note = SecretNote.objects.create(text="do not visit alone")
    other = SecretNote.objects.create(text="another")
    for user in (officer, team_leader):
        _grant_model_view(user, SecretNote)  # the role may see such records in general...
    assign_perm("testapp.view_secretnote", officer, note)  # ...but only this one, this officer

    assert list(scope_for_user(officer, SecretNote.objects.all())) == [note]
    assert scope_for_user(team_leader, SecretNote.objects.all()).count() == 0
    with pytest.raises(Http404):
        get_object_for_user(team_leader, SecretNote.objects.all(), pk=note.pk)
    with pytest.raises(Http404):
        get_object_for_user(officer, SecretNote.objects.all(), pk=other.pk)
    assert ConfidentialReadLog.objects.count() == 0  # refusals read nothing

    request = rf.get("/notes/1/")
    assert get_object_for_user(officer, SecretNote.objects.all(), pk=note.pk,
                               request=request) == note
    log = ConfidentialReadLog.objects.get()
    assert (log.user, log.object_id, log.path) == (officer, str(note.pk), "/notes/1/")
    assert log.object_repr == str(note)


def test_administrator_sees_confidential_records(administrator):
    note = SecretNote.objects.create(text="safeguarding")
    assert get_object_for_user(administrator, SecretNote.objects.all(), pk=note.pk) == note
    assert ConfidentialReadLog.objects.filter(user=administrator).count() == 1


def test_a_malformed_id_is_a_404_not_an_error(officer):
    with pytest.raises(Http404):
        get_object_for_user(officer, PatchRecord.objects.all(), pk="not-a-number")
