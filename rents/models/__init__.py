"""Rent accounting's models: the ledger and its configuration (ledger.py), annual rent setting
(setting.py) and arrears recovery (arrears.py)."""

from rents.models.arrears import (
    Action,
    Arrangement,
    ArrearsPolicy,
    ArrearsStage,
    CaseEvent,
    CourtCase,
    LetterTemplate,
    Pause,
    PossessionNotice,
    Recommendation,
)
from rents.models.ledger import (
    Charge,
    ChargeType,
    PaymentFile,
    RentAccount,
    RentWeek,
    RentYear,
    Transaction,
    Transfer,
    WriteOff,
)
from rents.models.setting import FormulaRent, RentPolicy, RentReview, RentReviewLine

__all__ = [
    "Action",
    "Arrangement",
    "ArrearsPolicy",
    "ArrearsStage",
    "CaseEvent",
    "Charge",
    "ChargeType",
    "CourtCase",
    "FormulaRent",
    "LetterTemplate",
    "Pause",
    "PaymentFile",
    "PossessionNotice",
    "Recommendation",
    "RentAccount",
    "RentPolicy",
    "RentReview",
    "RentReviewLine",
    "RentWeek",
    "RentYear",
    "Transaction",
    "Transfer",
    "WriteOff",
]
