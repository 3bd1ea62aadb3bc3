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


class EstateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "housing.Estate"

    code = factory.Sequence(lambda n: f"estate-{n}")
    name = factory.Sequence(lambda n: f"Riverside Estate {n}")
    patch = factory.SubFactory(PatchFactory)


class PropertyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "housing.Property"

    uprn = factory.Sequence(lambda n: str(100040000000 + n))
    kind = "dwelling"
    property_type = "house"
    estate = factory.SubFactory(EstateFactory)
    patch = factory.LazyAttribute(lambda o: o.estate.patch)
    address_line_1 = factory.Sequence(lambda n: f"{n + 1} Mill Lane")
    town = "Exeter"
    postcode = "EX2 4AB"
    bedrooms = 2
    tenure = "void"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "housing.Person"

    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=18, maximum_age=90)
