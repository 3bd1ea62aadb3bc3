"""Rent account pages (being built)."""

from django.http import Http404


def account_detail(request, pk: int):
    raise Http404


def payment_new(request, pk: int):
    raise Http404
