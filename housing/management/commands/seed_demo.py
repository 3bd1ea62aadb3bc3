from django.core.management.base import BaseCommand

from housing import demo
from housing.models import User


class Command(BaseCommand):
    help = "Load the demo council when the database is empty, and print the demo logins."

    def handle(self, *args, **options):
        if User.objects.exists():
            self.stdout.write("Demo data already loaded; leaving it as it is.")
        else:
            demo.create_demo_users()
            self.stdout.write(self.style.SUCCESS("Loaded the demo council."))
        self.stdout.write("")
        self.stdout.write(f"Demo logins (all with the password {demo.DEMO_PASSWORD}):")
        for email, role in demo.demo_logins():
            self.stdout.write(f"  {email:<28} {role}")
        secret = demo.admin_totp_secret()
        if secret:
            self.stdout.write(
                f"admin@demo.example needs a code from an authenticator app; its TOTP secret "
                f"(demo only) is {secret}"
            )
