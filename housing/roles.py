"""The starting set of staff roles (DOMAIN.md "Staff roles"), created as groups by a migration.

Administrators change them afterwards in the admin; later migrations only add the permissions
their new models need, they never reset what an administrator chose.
"""

CUSTOMER_ACCESS = "Customer Access"
HOUSING_OFFICER = "Housing Officer"
INCOME_OFFICER = "Income Officer"
REPAIRS_OFFICER = "Repairs Officer"
LETTINGS_OFFICER = "Lettings and Voids Officer"
LEASEHOLD_OFFICER = "Leasehold and RTB Officer"
COUNCIL_TAX = "Council Tax"
TEAM_LEADER = "Team Leader"
SYSTEM_ADMINISTRATOR = "System Administrator"

ALL_MODULES = [
    "housing.use_properties",
    "housing.use_tenancies",
    "housing.use_rents",
    "housing.use_repairs",
    "housing.use_voids",
    "housing.use_rtb_leasehold",
    "housing.use_reports",
]

# Permissions each role starts with, as "app_label.codename".
# Every role may open the page of a patch it works (patch pages are patch-scoped).
ROLE_PERMISSIONS: dict[str, list[str]] = {
    CUSTOMER_ACCESS: [
        "housing.view_patch",
        "housing.use_properties", "housing.use_tenancies", "housing.use_rents",
        "housing.use_repairs", "housing.view_all_patches",
    ],
    HOUSING_OFFICER: [
        "housing.view_patch",
        "housing.use_properties", "housing.use_tenancies", "housing.use_reports",
    ],
    INCOME_OFFICER: [
        "housing.view_patch",
        "housing.use_tenancies", "housing.use_rents", "housing.use_reports",
    ],
    REPAIRS_OFFICER: [
        "housing.view_patch",
        "housing.use_properties", "housing.use_repairs", "housing.use_voids",
        "housing.view_all_patches",
    ],
    LETTINGS_OFFICER: [
        "housing.view_patch",
        "housing.use_properties", "housing.use_tenancies", "housing.use_voids",
        "housing.view_all_patches",
    ],
    LEASEHOLD_OFFICER: [
        "housing.view_patch",
        "housing.use_properties", "housing.use_rtb_leasehold", "housing.view_all_patches",
    ],
    # Read-only: occupancy and void dates. It must never hold an add/change/delete permission.
    COUNCIL_TAX: [
        "housing.view_patch",
        "housing.use_properties", "housing.use_voids", "housing.view_all_patches",
    ],
    TEAM_LEADER: [
        *ALL_MODULES, "housing.view_all_patches", "housing.view_all_jobs",
        "housing.run_sample_job", "housing.view_patch",
    ],
    SYSTEM_ADMINISTRATOR: [
        *ALL_MODULES, "housing.view_all_patches", "housing.view_all_jobs",
        "housing.run_sample_job",
        "housing.view_user", "housing.add_user", "housing.change_user",
        "housing.view_patch", "housing.add_patch", "housing.change_patch",
        "housing.delete_patch",
        "auth.view_group", "auth.add_group", "auth.change_group",
        "housing.view_backgroundjob", "housing.view_confidentialreadlog",
    ],
}

ROLE_ORDER = list(ROLE_PERMISSIONS)


def sync_role_permissions(apps, roles: dict[str, list[str]] | None = None) -> None:
    """Create the groups and add the listed permissions (never removes any). Used by
    migrations with the historical `apps`."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, apps=apps, verbosity=0)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, names in (roles or ROLE_PERMISSIONS).items():
        group, _ = group_model.objects.get_or_create(name=role)
        for name in names:
            app_label, codename = name.split(".")
            permission = permission_model.objects.get(
                content_type__app_label=app_label, codename=codename
            )
            group.permissions.add(permission)


# Added with the property register, people and tenancies (issue #3).
_READ_REGISTER = [
    "housing.view_property", "housing.view_estate", "housing.view_block",
    "housing.view_adaptation", "housing.view_propertyattribute", "housing.view_person",
    "tenancies.view_tenancy", "tenancies.view_tenancymember", "tenancies.view_tenancyevent",
]
_TENANCY_WORK = [
    "housing.add_person", "housing.change_person", "tenancies.record_tenancy_event",
    "tenancies.end_tenancy", "housing.view_alert", "housing.add_alert",
]
REGISTER_PERMISSIONS: dict[str, list[str]] = {
    CUSTOMER_ACCESS: [*_READ_REGISTER, "housing.change_person"],
    HOUSING_OFFICER: [*_READ_REGISTER, *_TENANCY_WORK],
    INCOME_OFFICER: [*_READ_REGISTER],
    REPAIRS_OFFICER: [*_READ_REGISTER],
    LETTINGS_OFFICER: [*_READ_REGISTER, "tenancies.sign_up_tenancy", "tenancies.end_tenancy",
                       "housing.add_person", "housing.change_person"],
    LEASEHOLD_OFFICER: [*_READ_REGISTER],
    # Occupancy only: homes and tenancy dates.
    COUNCIL_TAX: ["housing.view_property", "housing.view_estate", "housing.view_block",
                  "tenancies.view_tenancy"],
    TEAM_LEADER: [*_READ_REGISTER, *_TENANCY_WORK, "tenancies.sign_up_tenancy"],
    SYSTEM_ADMINISTRATOR: [
        *_READ_REGISTER, *_TENANCY_WORK, "tenancies.sign_up_tenancy",
        *(f"housing.{action}_{model}" for action in ("add", "change", "delete")
          for model in ("estate", "block", "property", "adaptation", "attributedefinition",
                        "propertyattribute")),
        "housing.view_attributedefinition", "housing.change_alert",
        "tenancies.add_tenancy", "tenancies.change_tenancy",
    ],
}


# Added with rent accounting (issue #4).
_READ_RENTS = ["rents.view_rentaccount", "rents.view_transaction", "rents.view_charge",
               "rents.view_rentweek", "rents.view_rentyear", "rents.view_chargetype"]
RENT_PERMISSIONS: dict[str, list[str]] = {
    CUSTOMER_ACCESS: [*_READ_RENTS, "rents.add_transaction"],
    HOUSING_OFFICER: [*_READ_RENTS],
    INCOME_OFFICER: [*_READ_RENTS, "rents.run_rent", "rents.add_transaction"],
    TEAM_LEADER: [*_READ_RENTS, "rents.run_rent", "rents.add_transaction"],
    SYSTEM_ADMINISTRATOR: [
        *_READ_RENTS, "rents.run_rent", "rents.add_transaction",
        *(f"rents.{action}_{model}" for action in ("add", "change")
          for model in ("rentyear", "rentweek", "chargetype", "charge")),
    ],
}

# Added with rent setting, payment files, suspense, write-offs and letters (issue #4).
_READ_MONEY = ["rents.view_paymentfile", "rents.view_transfer", "rents.view_writeoff",
               "rents.view_rentreview", "rents.view_rentreviewline", "rents.view_rentpolicy",
               "rents.view_formularent", "tenancies.view_letter"]
_INCOME_WORK = ["rents.import_payment_file", "rents.allocate_suspense",
                "rents.record_adjustment", "rents.add_writeoff", "rents.propose_rent_review"]
_APPROVALS = ["rents.approve_write_off", "rents.approve_rent_review"]
MONEY_PERMISSIONS: dict[str, list[str]] = {
    CUSTOMER_ACCESS: ["tenancies.view_letter"],
    HOUSING_OFFICER: ["tenancies.view_letter"],
    INCOME_OFFICER: [*_READ_MONEY, *_INCOME_WORK],
    TEAM_LEADER: [*_READ_MONEY, *_INCOME_WORK, *_APPROVALS],
    SYSTEM_ADMINISTRATOR: [
        *_READ_MONEY, *_INCOME_WORK, *_APPROVALS,
        "rents.add_rentpolicy", "rents.change_rentpolicy",
        "rents.add_formularent", "rents.change_formularent",
    ],
}

# Added with arrears recovery (issue #5). Housing Officers see a case but do not act on it.
_READ_ARREARS = ["rents.view_recommendation", "rents.view_caseevent", "rents.view_pause",
                 "rents.view_arrangement", "rents.view_possessionnotice",
                 "rents.view_courtcase", "rents.view_arrearspolicy", "rents.view_arrearsstage",
                 "rents.view_lettertemplate"]
_ARREARS_WORK = ["rents.work_arrears"]
ARREARS_PERMISSIONS: dict[str, list[str]] = {
    HOUSING_OFFICER: [*_READ_ARREARS],
    INCOME_OFFICER: [*_READ_ARREARS, *_ARREARS_WORK],
    TEAM_LEADER: [*_READ_ARREARS, *_ARREARS_WORK, "rents.approve_arrangement"],
    SYSTEM_ADMINISTRATOR: [
        *_READ_ARREARS, *_ARREARS_WORK, "rents.approve_arrangement",
        *(f"rents.{action}_{model}" for action in ("add", "change")
          for model in ("arrearspolicy", "arrearsstage", "lettertemplate")),
    ],
}

# Added with repairs and maintenance (issue #6). Contractors have no permissions: the
# contractor portal scopes everything to the user's own company (repairs.ContractorMember).
_READ_REPAIRS = ["repairs.view_repairrequest", "repairs.view_workorder",
                 "repairs.view_workorderline", "repairs.view_variation",
                 "repairs.view_appointment", "repairs.view_repairphoto",
                 "repairs.view_hazardcase", "repairs.view_hazardevent",
                 "repairs.view_priority", "repairs.view_trade", "repairs.view_sorcode",
                 "repairs.view_contractor"]
_REPAIRS_WORK = ["repairs.raise_repair", "repairs.raise_workorder",
                 "repairs.approve_workorder", "repairs.manage_workorder",
                 "repairs.work_hazardcase", "repairs.recharge_workorder",
                 "repairs.view_invoice", "repairs.approve_invoice", "repairs.view_contract",
                 "repairs.view_contractrate", "repairs.view_capacity"]
_REPAIRS_CONFIG = [f"repairs.{action}_{model}" for action in ("add", "change", "view")
                   for model in ("trade", "sorcode", "priority", "contractor",
                                 "contractormember", "contract", "contractrate", "capacity",
                                 "spendlimit", "hazardrule")]
REPAIRS_PERMISSIONS: dict[str, list[str]] = {
    CUSTOMER_ACCESS: [*_READ_REPAIRS, "repairs.raise_repair"],
    HOUSING_OFFICER: [*_READ_REPAIRS],
    # Repairs Officers run the repairs reports (RP02, open orders, spend, Awaab's Law).
    REPAIRS_OFFICER: [*_READ_REPAIRS, *_REPAIRS_WORK, "housing.use_reports"],
    LETTINGS_OFFICER: [*_READ_REPAIRS],
    TEAM_LEADER: [*_READ_REPAIRS, *_REPAIRS_WORK, "repairs.override_appointment"],
    SYSTEM_ADMINISTRATOR: [*_READ_REPAIRS, *_REPAIRS_WORK, "repairs.override_appointment",
                           *_REPAIRS_CONFIG],
}

# Added with voids and lettings (issue #7). Council Tax sees occupancy changes only (the
# dates homes fell void and were let), not the void's offers and applicants.
_VOIDS_WORK = ["voids.view_voidperiod", "voids.manage_void", "voids.inspect_void",
               "voids.view_occupancychange", "voids.view_lettinglog"]
VOIDS_PERMISSIONS: dict[str, list[str]] = {
    REPAIRS_OFFICER: ["voids.view_voidperiod", "voids.inspect_void"],
    LETTINGS_OFFICER: [*_VOIDS_WORK],
    COUNCIL_TAX: ["voids.view_occupancychange"],
    TEAM_LEADER: [*_VOIDS_WORK],
    SYSTEM_ADMINISTRATOR: [*_VOIDS_WORK, "voids.view_checklistitem", "voids.add_checklistitem",
                           "voids.change_checklistitem", "voids.delete_checklistitem"],
}

# Every grant above, in the order the migrations made them (for tests that rebuild roles).
ALL_GRANTS = [ROLE_PERMISSIONS, REGISTER_PERMISSIONS, RENT_PERMISSIONS, MONEY_PERMISSIONS,
              ARREARS_PERMISSIONS, REPAIRS_PERMISSIONS, VOIDS_PERMISSIONS]


def sync_all_role_permissions(apps) -> None:
    for grants in ALL_GRANTS:
        sync_role_permissions(apps, grants)
