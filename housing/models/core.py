"""The core every module builds on: users, patches, access logging and background jobs."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.models import ContentType
from django.db import models
from simple_history.models import HistoricalRecords


class Patch(models.Model):
    """An area of the stock that a housing or income officer looks after."""

    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=100, unique=True)
    history = HistoricalRecords()
    patch_lookup = "pk"  # an officer sees the patches they work (housing.access)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "patches"

    def __str__(self) -> str:
        return self.name


class EmailUserManager(UserManager):
    """Users log in with their email address; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("kind", User.Kind.STAFF)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """Anyone who signs in. `kind` decides which part of the service they may use at all:
    staff use the staff pages, tenants only the tenant portal, contractors only the
    contractor portal. Roles (groups) and object permissions decide the rest."""

    class Kind(models.TextChoices):
        STAFF = "staff", "Council staff"
        TENANT = "tenant", "Tenant"
        CONTRACTOR = "contractor", "Contractor"

    username = None
    email = models.EmailField("email address", unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.STAFF)
    job_title = models.CharField(max_length=100, blank=True)
    patches = models.ManyToManyField(
        Patch, blank=True, related_name="officers",
        help_text="The patches this officer works. Roles that see every patch ignore this.",
    )
    person = models.OneToOneField(
        "housing.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="user",
        help_text="For a tenant's account: the person they are. The portal shows only their "
                  "own tenancy, found through this link, never through an id in a URL.")
    history = HistoricalRecords(excluded_fields=["password", "last_login"], m2m_fields=[patches])

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = EmailUserManager()

    class Meta:
        ordering = ["last_name", "first_name", "email"]
        constraints = [
            # Tenants and contractors can never reach the admin.
            models.CheckConstraint(
                condition=models.Q(kind="staff") | models.Q(is_staff=False, is_superuser=False),
                name="only_council_staff_are_admin_users",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="tenant") | models.Q(person__isnull=True),
                name="only_tenant_accounts_are_linked_to_a_person",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email

    @property
    def is_council_staff(self) -> bool:
        return self.kind == self.Kind.STAFF

    @property
    def is_tenant(self) -> bool:
        return self.kind == self.Kind.TENANT

    @property
    def is_contractor(self) -> bool:
        return self.kind == self.Kind.CONTRACTOR

    @property
    def is_system_administrator(self) -> bool:
        from housing.roles import SYSTEM_ADMINISTRATOR

        return self.is_council_staff and (
            self.is_superuser or self.groups.filter(name=SYSTEM_ADMINISTRATOR).exists()
        )


class Access(models.Model):
    """Holds the service-wide permissions that belong to no single model (which modules a
    role may open, whether it sees every patch). No table: only its permissions matter."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("use_properties", "Can use the Properties module"),
            ("use_tenancies", "Can use the Tenancies module"),
            ("use_rents", "Can use the Rents module"),
            ("use_repairs", "Can use the Repairs module"),
            ("use_voids", "Can use the Voids module"),
            ("use_rtb_leasehold", "Can use the RTB & Leasehold module"),
            ("use_reports", "Can use Reports"),
            ("view_all_patches", "Can see records in every patch"),
            ("view_all_jobs", "Can see background jobs started by anyone"),
            ("run_sample_job", "Can start the sample background job"),
        ]

    def __str__(self) -> str:
        return "Service-wide access"


class ConfidentialReadLog(models.Model):
    """One row per view of a confidential record: who, when and which record. Written by
    `housing.access.get_object_for_user`, never edited."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="confidential_reads")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    path = models.CharField(max_length=500, blank=True)
    read_at = models.DateTimeField()

    class Meta:
        ordering = ["-read_at"]
        indexes = [models.Index(fields=["content_type", "object_id", "-read_at"])]

    def __str__(self) -> str:
        return f"{self.user} read {self.object_repr} at {self.read_at:%Y-%m-%d %H:%M}"


class BackgroundJob(models.Model):
    """A long piece of work (rent run, import, letters, report) run by Celery, with its
    progress and result. Every kind registers a runner in `housing.jobs`."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=50)
    parameters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="jobs")
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True,
        help_text="Last sign of life from the worker running it; a running job whose "
                  "heartbeat stops is queued again.")
    result_summary = models.TextField(blank=True)
    result_data = models.JSONField(default=dict, blank=True)
    result_file = models.FileField(upload_to="jobs/%Y/%m/", blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["started_by", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress_done__lte=models.F("progress_total"))
                | models.Q(progress_total=0),
                name="job_progress_within_total",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    def get_kind_display(self) -> str:
        from housing.jobs import registry

        runner = registry.get(self.kind)
        return runner.title if runner else self.kind

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, (self.progress_done * 100) // self.progress_total)


class SampleJobStep(models.Model):
    """The sample job's unit of work. The unique constraint is what makes a retried job
    do each step once, the pattern every real job follows."""

    job = models.ForeignKey(BackgroundJob, on_delete=models.CASCADE, related_name="sample_steps")
    step = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "step"], name="sample_step_once")]

    def __str__(self) -> str:
        return f"step {self.step} of job {self.job_id}"
