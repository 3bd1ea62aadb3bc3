from housing.models.core import (
    Access,
    BackgroundJob,
    ConfidentialReadLog,
    EmailUserManager,
    Patch,
    SampleJobStep,
    User,
)
from housing.models.people import Alert, EqualityData, Person
from housing.models.register import (
    Adaptation,
    AttributeDefinition,
    Block,
    Estate,
    Property,
    PropertyAttribute,
)

__all__ = [
    "Access",
    "Adaptation",
    "Alert",
    "AttributeDefinition",
    "BackgroundJob",
    "Block",
    "ConfidentialReadLog",
    "EmailUserManager",
    "EqualityData",
    "Estate",
    "Patch",
    "Person",
    "Property",
    "PropertyAttribute",
    "SampleJobStep",
    "User",
]
