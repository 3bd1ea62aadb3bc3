"""Who may see which record. Every view gets its objects through these functions.

Three layers, in order:
1. the user's kind: staff records are for staff only (tenants and contractors have their own
   portal getters, scoped to their own tenancy or company);
2. the role: a model permission such as `tenancies.view_tenancy`;
3. the record: patch-scoped models (those with a `patch_lookup`) are limited to the officer's
   patches unless the role has `housing.view_all_patches`; confidential models (subclasses of
   `Confidential`) are limited to users granted `view_<model>` on that very record with
   django-guardian, and every read of one is logged.
A record the user may not see is a 404, so its existence is not revealed.
"""

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import Http404
from guardian.shortcuts import get_objects_for_user

from housing.models import ConfidentialReadLog, User


class Confidential(models.Model):
    """Base for records only named users may see (safeguarding, vulnerabilities, ASB
    witnesses). Grant with `guardian.shortcuts.assign_perm("view_<model>", user, record)`."""

    class Meta:
        abstract = True


def _view_perm(model) -> str:
    return f"{model._meta.app_label}.view_{model._meta.model_name}"


def is_confidential(model) -> bool:
    return issubclass(model, Confidential)


def scope_for_user(user: User, queryset: QuerySet, *, perm: str | None = None) -> QuerySet:
    """The records of `queryset` that `user` may see (for list views and search)."""
    model = queryset.model
    perm = perm or _view_perm(model)
    if not (user.is_authenticated and user.is_active and user.is_council_staff):
        return queryset.none()
    if not user.has_perm(perm):
        return queryset.none()
    if is_confidential(model):
        queryset = get_objects_for_user(
            user, perm, klass=queryset, accept_global_perms=False, with_superuser=True
        )
    patch_lookup = getattr(model, "patch_lookup", None)
    if patch_lookup and not user.has_perm("housing.view_all_patches"):
        patches = user.patches.all()
        if "__" in patch_lookup:
            # The path may cross a to-many relation (a person's tenancies): a semi-join
            # keeps each record once.
            inside = model._base_manager.filter(**{f"{patch_lookup}__in": patches})
            queryset = queryset.filter(pk__in=inside.values("pk"))
        else:
            queryset = queryset.filter(**{f"{patch_lookup}__in": patches})
    return queryset


def get_object_for_user(user: User, queryset: QuerySet, *, pk, perm: str | None = None,
                        request=None, at=None):
    """One record `user` may see, or Http404. Reads of confidential records are logged."""
    try:
        obj = scope_for_user(user, queryset, perm=perm).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if is_confidential(queryset.model):
        log_confidential_read(user=user, obj=obj, request=request, at=at)
    return obj


def log_confidential_read(*, user: User, obj, request=None, at=None) -> ConfidentialReadLog:
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    return ConfidentialReadLog.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        path=(request.get_full_path()[:500] if request else ""),
        read_at=at or timezone.now(),
    )


def require_perm(user: User, perm: str) -> None:
    """For actions: raise PermissionDenied (403) when the role lacks `perm`."""
    if not user.has_perm(perm):
        raise PermissionDenied
