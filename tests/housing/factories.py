import factory
from django.contrib.auth.models import Group

from housing.models import Patch, User

PASSWORD = "correct-horse-battery-2026"


class PatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patch
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"patch-{n}")
    name = factory.Sequence(lambda n: f"Patch {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    kind = User.Kind.STAFF
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))

    @factory.post_generation
    def patches(self, create, extracted, **kwargs):
        if extracted:
            self.patches.set(extracted)

    @factory.post_generation
    def finish(self, create, extracted, **kwargs):
        if create:
            self.save()
