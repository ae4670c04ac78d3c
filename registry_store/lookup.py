"""Exact look-up of active RNP persons by their identity attributes (until the matcher's 1:N search).

A person matches when the latest version of their record is ACTIVE and every identity column
equals the given one, empty ones included: the four first/last names in both scripts, sex, the
birth date with its precision, the birth place code and the CIN. Values are compared as stored,
that is after the normalisation the service applies at enrolment (trimmed names, CIN upper
case, ...), so the same demographics sent to Registry/Enrol find the person enrolled. Phone and
residence are contact details that change and are left out. The `PERSON_LOOKUP_INDEX` (surname in
both scripts and birth year) keeps the query an index range scan.
"""

from __future__ import annotations

from sqlalchemy import func, select

from registry_store.engine import db_errors
from registry_store.errors import InvalidField
from registry_store.model import Demographics, PersonStatus
from registry_store.rows import demographics_row
from registry_store.schema import person_versions
from registry_store.store import RegistryStore

__all__ = ["IDENTITY_COLUMNS", "find_active_by_identity"]

IDENTITY_COLUMNS = (
    "first_name_latin",
    "first_name_arabic",
    "last_name_latin",
    "last_name_arabic",
    "father_first_name_latin",
    "father_first_name_arabic",
    "mother_first_name_latin",
    "mother_first_name_arabic",
    "sex",
    "birth_year",
    "birth_month",
    "birth_day",
    "birth_precision",
    "birth_place_code",
    "cin",
)
_MAX_LIMIT = 100

_pv = person_versions
_later = person_versions.alias("later")


@db_errors("find_active_by_identity")
def find_active_by_identity(registry: RegistryStore, demographics: Demographics, *, limit: int = 2) -> list[str]:
    """The IDCSs (sorted, at most `limit`) of the active persons whose identity equals `demographics`'.

    A `limit` of 2 is enough to tell "exactly one" from "several".
    """
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= _MAX_LIMIT:
        raise InvalidField("limit", f"must be an integer from 1 to {_MAX_LIMIT}")
    row = demographics_row(demographics)
    latest = select(func.max(_later.c.version)).where(_later.c.idcs == _pv.c.idcs).scalar_subquery()
    stmt = (
        select(_pv.c.idcs)
        .where(*(_pv.c[column] == row[column] for column in IDENTITY_COLUMNS))
        .where(_pv.c.version == latest, _pv.c.status == PersonStatus.ACTIVE.value)
        .order_by(_pv.c.idcs)
        .limit(limit)
    )
    with registry.engine.connect() as conn:
        return [str(idcs) for idcs in conn.execute(stmt).scalars()]
