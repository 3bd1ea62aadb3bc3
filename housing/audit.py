"""The audit trail of a record, from django-simple-history, as entries for
`components/audit_trail.html`: who, when, and what changed from what to what."""

HIDDEN_FIELDS = {"password", "last_login", "id"}


def trail(obj, *, limit: int = 50) -> list[dict]:
    records = list(obj.history.select_related("history_user")
                   .order_by("-history_date", "-history_id")[:limit + 1])
    entries = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            for change in delta.changes:
                if change.field in HIDDEN_FIELDS:
                    continue
                label = _label(obj, change.field)
                changes.append({"field": label, "old": _show(obj, change.field, change.old),
                                "new": _show(obj, change.field, change.new)})
        entries.append({
            "at": record.history_date,
            "user": record.history_user.display_name if record.history_user else "System",
            "summary": {"+": "Created", "~": "Changed", "-": "Deleted"}[record.history_type],
            "changes": changes,
        })
    return entries


def _label(obj, field: str) -> str:
    try:
        return str(obj._meta.get_field(field).verbose_name).capitalize()
    except Exception:  # noqa: BLE001 - m2m or removed field: show its name
        return field.replace("_", " ").capitalize()


def _show(obj, field: str, value):
    """A value as people read it. Blank stays None, so the trail can say "set to" or
    "cleared"; many-to-many values (lists of through rows) become the related names."""
    if value is None or value == "":
        return None
    if isinstance(value, list):
        return _names(obj, field, value) or None
    return str(value)


def _names(obj, field: str, rows: list) -> str:
    try:
        related = obj._meta.get_field(field).related_model
    except Exception:  # noqa: BLE001 - a field since removed: show the raw values
        return ", ".join(str(row) for row in rows)
    key = related._meta.model_name
    ids = [row.get(key) if isinstance(row, dict) else row for row in rows]
    found = related._base_manager.in_bulk([i for i in ids if i is not None])
    return ", ".join(sorted(str(found.get(i, i)) for i in ids))
