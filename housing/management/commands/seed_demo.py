from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from housing import demo
from housing.models import User
from housing.seed import seed_council


class Command(BaseCommand):
    help = (
        "Load the demo council (its users, estates, homes, people and tenancies) when the "
        "database is empty, and print the demo logins."
    )

    def add_arguments(self, parser):
        parser.add_argument("--homes", type=int, default=5000,
                            help="How many homes the demo council has (default 5,000).")
        parser.add_argument("--seed", type=int, default=2026,
                            help="The random seed: the same seed builds the same council.")

    def handle(self, *args, **options):
        if options["homes"] < 1:
            raise CommandError("--homes must be at least 1.")
        if User.objects.exists():
            self.stdout.write("Demo data already loaded; leaving it as it is.")
        else:
            with transaction.atomic():
                demo.create_demo_users()
                with connection.cursor() as cursor:
                    # The seed alters tables (indexes and keys rebuilt after loading), which
                    # PostgreSQL refuses while the users' deferred key checks are pending.
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                counts = seed_council(homes=options["homes"], seed=options["seed"],
                                      out=self.stdout)
                demo.link_demo_tenants()
                from rents.demo import seed_rent

                seed_rent()
                from repairs.demo import seed_repairs

                seed_repairs()
                from voids.demo import seed_voids

                seed_voids()
            self.stdout.write(self.style.SUCCESS(
                f"Loaded the demo council: {counts['homes']:,} homes, {counts['people']:,} "
                f"people and {counts['tenancies']:,} tenancies in {counts['seconds']} s."
            ))
        self.stdout.write("")
        self.stdout.write(f"Demo logins (all with the password {demo.DEMO_PASSWORD}):")
        from repairs.demo import demo_logins as contractor_logins

        companies = dict(contractor_logins())  # each contractor user's company
        logins = demo.demo_logins()
        logins += [(email, "Contractor") for email in companies if email not in dict(logins)]
        for email, role in logins:
            company = f", {companies[email]}" if email in companies else ""
            self.stdout.write(f"  {email:<28} {role}{company}")
        for user in User.objects.filter(kind=User.Kind.TENANT).exclude(person=None) \
                .select_related("person").order_by("email"):
            self.stdout.write(f"  {user.email} is the tenant {user.person.full_name}")
        secret = demo.admin_totp_secret()
        if secret:
            self.stdout.write(
                f"admin@demo.example needs a code from an authenticator app; its TOTP secret "
                f"(demo only) is {secret}"
            )
