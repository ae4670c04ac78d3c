"""HouseholdStore: RSU households of RNP persons, as append-only versions, one active household per person.

Every write is one transaction that

1. locks the households it changes (PostgreSQL: a row lock on `households`, taken in id order so
   that two moves between the same households cannot deadlock; SQLite: BEGIN IMMEDIATE already
   serialises writers);
2. checks that each member it adds is a registered person whose latest version is ACTIVE, under
   a shared lock on their `identities` rows, so that a concurrent UpdatePerson cannot mark one
   deceased or merged before the household commits;
3. checks that no such member is active in another household;
4. appends the new version (residence, variables, the index computed by the configured
   `IndexFormula` with the formula's version) and its member rows; and
5. rewrites the household's rows of `household_active_members`.

Step 3 only names the offending member in the error. What makes the rule hold when two
transactions race on PostgreSQL is the primary key of `household_active_members`: the loser's
insert waits for the winner's commit and fails, and that IntegrityError becomes
MemberAlreadyActive naming the member. Error fields are request paths (``household.members[2].idcs``);
no IDCS, name or other value ever appears in a message or a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

from sqlalchemy import Connection, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from registry_store.engine import WRITE_OPTION, db_errors, unique_violation
from registry_store.errors import (
    HouseholdNotFound,
    IdempotencyConflict,
    InvalidField,
    MemberAlreadyActive,
    MemberNotActive,
    MembershipConflict,
    StoreUnavailable,
    UnknownMember,
    VersionConflict,
)
from registry_store.idcs import validate_idcs
from registry_store.index_formula import IndexFormula
from registry_store.model import PersonStatus
from registry_store.schema import (
    household_active_members,
    household_members,
    household_versions,
    households,
    identities,
    person_versions,
)
from registry_store.social_model import (
    Household,
    HouseholdChange,
    HouseholdMember,
    HouseholdResidence,
    HouseholdStatus,
    Relation,
    SocioEconomicVariables,
)
from registry_store.social_rows import (
    checked_key,
    checked_positive,
    checked_public_id,
    household_digest,
    household_from_rows,
    new_public_id,
    residence_row,
    variables_row,
)
from registry_store.store import RegistryStore

__all__ = ["MAX_MEMBERS", "HouseholdStore", "RegisterResult"]

logger = logging.getLogger(__name__)

MAX_MEMBERS = 60

_hh, _hv, _hm, _am, _pv = households, household_versions, household_members, household_active_members, person_versions

# (idcs, request path of the member) pairs: what the checks need to name a member.
_Paths = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class RegisterResult:
    """The outcome of a registration: the household, and whether this call created it."""

    household: Household
    created: bool


def _now() -> datetime:
    return datetime.now(UTC)


def _checked_members(members: object, field: str, *, allow_empty: bool) -> tuple[HouseholdMember, ...]:
    """Members as given, checked for shape: valid IDCSs, no one twice, exactly one head."""
    if isinstance(members, str | bytes) or not isinstance(members, Sequence):
        raise InvalidField(f"{field}.members", "must be a sequence of HouseholdMember")
    checked = tuple(members)
    if not checked and not allow_empty:
        raise InvalidField(f"{field}.members", "must have at least one member")
    if len(checked) > MAX_MEMBERS:
        raise InvalidField(f"{field}.members", f"must have at most {MAX_MEMBERS} members")
    seen: dict[str, int] = {}
    for i, member in enumerate(checked):
        path = f"{field}.members[{i}]"
        if not isinstance(member, HouseholdMember):
            raise InvalidField(path, "must be a HouseholdMember")
        validate_idcs(member.idcs, f"{path}.idcs")
        if not isinstance(member.relation, Relation):
            raise InvalidField(f"{path}.relation", "must be a Relation")
        if member.idcs in seen:
            raise InvalidField(f"{path}.idcs", f"is the same person as {field}.members[{seen[member.idcs]}]")
        seen[member.idcs] = i
    if checked and sum(m.relation is Relation.HEAD for m in checked) != 1:
        raise InvalidField(f"{field}.members", "must have exactly one member with relation HEAD")
    return checked


def _paths(members: Sequence[HouseholdMember], field: str) -> _Paths:
    return [(m.idcs, f"{field}.members[{i}].idcs") for i, m in enumerate(members)]


class HouseholdStore:
    """RSU households over the register's database (same engine, same backends as `RegistryStore`).

    It shares the RegistryStore's connection pool; closing the RegistryStore closes it too.
    """

    def __init__(self, registry: RegistryStore, formula: IndexFormula | None = None) -> None:
        """`formula` computes every index written; None is the packaged (illustrative) default."""
        self._engine = registry.engine
        self._writer = self._engine.execution_options(**{WRITE_OPTION: True})
        self._formula = formula if formula is not None else IndexFormula.default()

    @property
    def formula(self) -> IndexFormula:
        """The formula that computes the index of every version written from now on."""
        return self._formula

    def _read(self) -> Connection:
        return self._engine.connect()

    def _write(self) -> AbstractContextManager[Connection]:
        return self._writer.begin()

    # -- reads ------------------------------------------------------------------------------------

    @staticmethod
    def _load(conn: Connection, household_id: str, version: int | None = None) -> Household | None:
        stmt = (
            select(*_hv.c, _hh.c.created_at)
            .join(_hh, _hh.c.household_id == _hv.c.household_id)
            .where(_hv.c.household_id == household_id)
        )
        if version is None:
            stmt = stmt.order_by(_hv.c.version.desc()).limit(1)
        else:
            stmt = stmt.where(_hv.c.version == version)
        row = conn.execute(stmt).mappings().first()
        if row is None:
            return None
        members = (
            conn.execute(select(_hm).where(_hm.c.household_id == household_id, _hm.c.version == row["version"]))
            .mappings()
            .all()
        )
        return household_from_rows(row, members, row["created_at"])

    @db_errors("get_household")
    def get_household(self, household_id: str, version: int | None = None, *, field: str = "household_id") -> Household:
        """The latest version of the household, or `version`; HouseholdNotFound if it does not exist."""
        checked_public_id(household_id, field)
        if version is not None:
            checked_positive(version, "version")
        with self._read() as conn:
            household = self._load(conn, household_id, version)
            if household is None and version is not None and self._load(conn, household_id) is not None:
                raise InvalidField("version", "no such version of this household")
        if household is None:
            raise HouseholdNotFound(field)
        return household

    @db_errors("household_versions")
    def household_versions(self, household_id: str, *, field: str = "household_id") -> list[int]:
        """Every version number of the household, oldest first; HouseholdNotFound if none."""
        checked_public_id(household_id, field)
        with self._read() as conn:
            versions = list(
                conn.execute(
                    select(_hv.c.version).where(_hv.c.household_id == household_id).order_by(_hv.c.version)
                ).scalars()
            )
        if not versions:
            raise HouseholdNotFound(field)
        return versions

    @db_errors("active_household_of")
    def active_household_of(self, idcs: str) -> str | None:
        """The id of the household the person is an active member of, or None."""
        validate_idcs(idcs)
        with self._read() as conn:
            found = conn.execute(select(_am.c.household_id).where(_am.c.idcs == idcs)).scalar_one_or_none()
        return None if found is None else str(found)

    @db_errors("count_households")
    def count_households(self) -> int:
        """How many households are registered (dissolved ones included)."""
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(_hh)).scalar_one())

    def iter_households(self, batch_size: int = 1000) -> Iterator[Household]:
        """Every household's latest version, in id order, read `batch_size` households at a time."""
        checked_positive(batch_size, "batch_size")
        return self._iter_households(batch_size)

    def _iter_households(self, batch_size: int) -> Iterator[Household]:
        after = ""
        while True:
            latest = (
                select(_hv.c.household_id, func.max(_hv.c.version).label("version"))
                .where(_hv.c.household_id > after)
                .group_by(_hv.c.household_id)
                .order_by(_hv.c.household_id)
                .limit(batch_size)
                .subquery()
            )
            on_latest = and_(latest.c.household_id == _hv.c.household_id, latest.c.version == _hv.c.version)
            versions = (
                select(*_hv.c, _hh.c.created_at)
                .join(latest, on_latest)
                .join(_hh, _hh.c.household_id == _hv.c.household_id)
                .order_by(_hv.c.household_id)
            )
            members = select(_hm).join(
                latest, and_(latest.c.household_id == _hm.c.household_id, latest.c.version == _hm.c.version)
            )
            with db_errors("iter_households"), self._read() as conn:
                rows = conn.execute(versions).mappings().all()
                member_rows = conn.execute(members).mappings().all()
            by_household: dict[str, list[Any]] = {}
            for m in member_rows:
                by_household.setdefault(m["household_id"], []).append(m)
            for row in rows:
                yield household_from_rows(row, by_household.get(row["household_id"], []), row["created_at"])
            if len(rows) < batch_size:
                return
            after = rows[-1]["household_id"]

    # -- checks inside a write transaction --------------------------------------------------------

    @staticmethod
    def _check_persons(conn: Connection, paths: _Paths) -> None:
        """Each person is registered (UnknownMember) and ACTIVE (MemberNotActive), under a share lock."""
        ids = sorted({idcs for idcs, _ in paths})
        if not ids:
            return
        found = set(
            conn.execute(
                select(identities.c.idcs)
                .where(identities.c.idcs.in_(ids))
                .order_by(identities.c.idcs)
                .with_for_update(read=True)
            ).scalars()
        )
        for idcs, path in paths:
            if idcs not in found:
                raise UnknownMember(path)
        latest = (
            select(_pv.c.idcs, func.max(_pv.c.version).label("version"))
            .where(_pv.c.idcs.in_(ids))
            .group_by(_pv.c.idcs)
            .subquery()
        )
        statuses = {
            str(idcs): status
            for idcs, status in conn.execute(
                select(_pv.c.idcs, _pv.c.status).join(
                    latest, and_(latest.c.idcs == _pv.c.idcs, latest.c.version == _pv.c.version)
                )
            ).all()
        }
        for idcs, path in paths:
            if statuses.get(idcs) != PersonStatus.ACTIVE.value:
                raise MemberNotActive(path)

    @staticmethod
    def _check_not_active_elsewhere(conn: Connection, household_id: str | None, paths: _Paths) -> None:
        ids = sorted({idcs for idcs, _ in paths})
        if not ids:
            return
        rows = conn.execute(select(_am.c.idcs, _am.c.household_id).where(_am.c.idcs.in_(ids))).all()
        elsewhere = {str(r.idcs) for r in rows if r.household_id != household_id}
        for idcs, path in paths:
            if idcs in elsewhere:
                raise MemberAlreadyActive(path)

    def _raise_race(self, household_id: str | None, paths: _Paths, field: str) -> NoReturn:
        """After losing a race on household_active_members: name the member now active elsewhere."""
        with self._read() as conn:
            self._check_not_active_elsewhere(conn, household_id, paths)
        raise MembershipConflict(field, "another change of these members was written at the same time; retry")

    @staticmethod
    def _lock(conn: Connection, household_id: str, field: str) -> None:
        found = conn.execute(
            select(_hh.c.household_id).where(_hh.c.household_id == household_id).with_for_update()
        ).first()
        if found is None:
            raise HouseholdNotFound(field)

    # -- writes -----------------------------------------------------------------------------------

    def _write_version(
        self,
        conn: Connection,
        household_id: str,
        version: int,
        change: HouseholdChange,
        members: Sequence[HouseholdMember],
        residence: HouseholdResidence,
        variables: SocioEconomicVariables,
        now: datetime,
    ) -> None:
        index: dict[str, Any] = {"index_value": None, "index_formula_version": None, "index_computed_at": None}
        if members:
            index = {
                "index_value": self._formula.compute(variables, residence.area, len(members)),
                "index_formula_version": self._formula.version,
                "index_computed_at": now,
            }
        conn.execute(
            insert(_hv),
            {
                "household_id": household_id,
                "version": version,
                "status": (HouseholdStatus.ACTIVE if members else HouseholdStatus.DISSOLVED).value,
                "change_kind": change.value,
                "member_count": len(members),
                **residence_row(residence, "residence"),
                **variables_row(variables, "variables"),
                **index,
                "written_at": now,
            },
        )
        if members:
            conn.execute(
                insert(_hm),
                [
                    {
                        "household_id": household_id,
                        "version": version,
                        "ordinal": i,
                        "idcs": m.idcs,
                        "relation": m.relation.value,
                    }
                    for i, m in enumerate(members)
                ],
            )

    @staticmethod
    def _sync_active(conn: Connection, household_id: str, version: int, before: set[str], after: set[str]) -> None:
        gone = sorted(before - after)
        if gone:
            conn.execute(delete(_am).where(_am.c.household_id == household_id, _am.c.idcs.in_(gone)))
        added = sorted(after - before)
        if added:
            conn.execute(
                insert(_am),
                [{"idcs": idcs, "household_id": household_id, "since_version": version} for idcs in added],
            )

    def _replay(self, conn: Connection, key: str, digest: str) -> Household | None:
        found = conn.execute(
            select(_hh.c.household_id, _hh.c.request_digest).where(_hh.c.idempotency_key == key)
        ).first()
        if found is None:
            return None
        if found.request_digest != digest:
            raise IdempotencyConflict("household registration")
        return self._load(conn, found.household_id)

    @db_errors("register_household")
    def register_household(
        self,
        members: Sequence[HouseholdMember],
        residence: HouseholdResidence,
        variables: SocioEconomicVariables,
        *,
        idempotency_key: str | None = None,
        field: str = "household",
    ) -> RegisterResult:
        """Register a new household (version 1) at most once per idempotency key.

        `field` prefixes the paths errors name (``household.members[1].idcs``). A key already used
        for the same household returns it (created=False); for another, IdempotencyConflict.
        """
        key = checked_key(idempotency_key)
        checked = _checked_members(members, field, allow_empty=False)
        residence_values = residence_row(residence, f"{field}.residence")
        variable_values = variables_row(variables, f"{field}.variables")
        digest = household_digest(checked, residence_values, variable_values)
        paths = _paths(checked, field)
        household_id = new_public_id()
        now = _now()
        try:
            with self._write() as conn:
                if key is not None:
                    replay = self._replay(conn, key, digest)
                    if replay is not None:
                        return RegisterResult(replay, created=False)
                self._check_persons(conn, paths)
                self._check_not_active_elsewhere(conn, None, paths)
                conn.execute(
                    insert(_hh),
                    {"household_id": household_id, "created_at": now, "idempotency_key": key, "request_digest": digest},
                )
                self._write_version(
                    conn, household_id, 1, HouseholdChange.REGISTERED, checked, residence, variables, now
                )
                self._sync_active(conn, household_id, 1, set(), {m.idcs for m in checked})
                household = self._load(conn, household_id)
        except IntegrityError as exc:
            violated = unique_violation(exc)
            if violated == "households.idempotency_key" and key is not None:
                # A concurrent call with the same key committed first (PostgreSQL): a retry.
                with self._read() as conn:
                    replay = self._replay(conn, key, digest)
                if replay is not None:
                    return RegisterResult(replay, created=False)
                raise StoreUnavailable("register_household: a concurrent registration rolled back; retry") from None
            if violated == "household_active_members.idcs":
                self._raise_race(None, paths, f"{field}.members")
            raise
        if household is None:  # written above in the same transaction
            raise HouseholdNotFound()
        logger.debug("household registered: members=%d", len(checked))
        return RegisterResult(household, created=True)

    @db_errors("update_household")
    def update_household(
        self,
        household_id: str,
        members: Sequence[HouseholdMember],
        residence: HouseholdResidence,
        variables: SocioEconomicVariables,
        *,
        expected_version: int | None = None,
        field: str = "household",
    ) -> Household:
        """Write version n+1: the full new members, residence and variables, and a new index.

        Every member must be registered and ACTIVE and not active in another household. No
        members dissolves the household. With `expected_version`, a household whose latest
        version is not that one raises VersionConflict and nothing is written.
        """
        checked_public_id(household_id, f"{field}.household_id")
        checked = _checked_members(members, field, allow_empty=True)
        residence_row(residence, f"{field}.residence")
        variables_row(variables, f"{field}.variables")
        if expected_version is not None:
            checked_positive(expected_version, "expected_version")
        paths = _paths(checked, field)
        now = _now()
        try:
            with self._write() as conn:
                self._lock(conn, household_id, f"{field}.household_id")
                current = self._load(conn, household_id)
                if current is None:
                    raise HouseholdNotFound(f"{field}.household_id")
                if expected_version is not None and expected_version != current.version:
                    raise VersionConflict("the household has changed since this version")
                self._check_persons(conn, paths)
                self._check_not_active_elsewhere(conn, household_id, paths)
                version = current.version + 1
                self._write_version(
                    conn, household_id, version, HouseholdChange.UPDATED, checked, residence, variables, now
                )
                self._sync_active(
                    conn, household_id, version, {m.idcs for m in current.members}, {m.idcs for m in checked}
                )
                household = self._load(conn, household_id, version)
        except IntegrityError as exc:
            violated = unique_violation(exc)
            if violated == "household_versions.version":
                raise VersionConflict("another change of the household was written at the same time") from None
            if violated == "household_active_members.idcs":
                self._raise_race(household_id, paths, f"{field}.members")
            raise
        if household is None:
            raise HouseholdNotFound(f"{field}.household_id")
        logger.debug("household updated: version=%d members=%d", household.version, len(checked))
        return household

    @db_errors("move_member")
    def move_member(
        self,
        idcs: str,
        from_household_id: str,
        to_household_id: str,
        relation: Relation,
        *,
        from_expected_version: int | None = None,
        to_expected_version: int | None = None,
    ) -> tuple[Household, Household]:
        """Move a person between households in one transaction; return both new versions.

        The person must be an ACTIVE RNP person and an active member of `from_household_id`
        (MembershipConflict otherwise). A head cannot leave a household that keeps other members;
        `relation` is HEAD exactly when the household joined has no members. Both households get a
        new version (MEMBER_LEFT, MEMBER_JOINED) with a recomputed index; the one left is dissolved
        if the person was its last member.
        """
        validate_idcs(idcs, "idcs")
        checked_public_id(from_household_id, "from_household_id")
        checked_public_id(to_household_id, "to_household_id")
        if from_household_id == to_household_id:
            raise InvalidField("to_household_id", "must differ from from_household_id")
        if not isinstance(relation, Relation):
            raise InvalidField("relation", "must be a Relation")
        for value, name in (
            (from_expected_version, "from_expected_version"),
            (to_expected_version, "to_expected_version"),
        ):
            if value is not None:
                checked_positive(value, name)
        now = _now()
        try:
            with self._write() as conn:
                for household_id, name in sorted(
                    ((from_household_id, "from_household_id"), (to_household_id, "to_household_id"))
                ):
                    self._lock(conn, household_id, name)
                source = self._load(conn, from_household_id)
                target = self._load(conn, to_household_id)
                if source is None or target is None:
                    raise HouseholdNotFound("from_household_id" if source is None else "to_household_id")
                for household, expected, name in (
                    (source, from_expected_version, "from_expected_version"),
                    (target, to_expected_version, "to_expected_version"),
                ):
                    if expected is not None and expected != household.version:
                        raise VersionConflict("the household has changed since this version", field=name)
                self._check_move(conn, source, target, idcs, relation)
                remaining = tuple(m for m in source.members if m.idcs != idcs)
                joined = (*target.members, HouseholdMember(idcs=idcs, relation=relation))
                self._write_version(
                    conn,
                    from_household_id,
                    source.version + 1,
                    HouseholdChange.MEMBER_LEFT,
                    remaining,
                    source.residence,
                    source.variables,
                    now,
                )
                self._write_version(
                    conn,
                    to_household_id,
                    target.version + 1,
                    HouseholdChange.MEMBER_JOINED,
                    joined,
                    target.residence,
                    target.variables,
                    now,
                )
                conn.execute(
                    update(_am)
                    .where(_am.c.idcs == idcs)
                    .values(household_id=to_household_id, since_version=target.version + 1)
                )
                left = self._load(conn, from_household_id, source.version + 1)
                arrived = self._load(conn, to_household_id, target.version + 1)
        except IntegrityError as exc:
            if unique_violation(exc) == "household_versions.version":
                raise VersionConflict("another change of the households was written at the same time") from None
            raise
        if left is None or arrived is None:
            raise HouseholdNotFound()
        logger.debug("member moved: from_version=%d to_version=%d", left.version, arrived.version)
        return left, arrived

    def _check_move(
        self, conn: Connection, source: Household, target: Household, idcs: str, relation: Relation
    ) -> None:
        active_in = conn.execute(select(_am.c.household_id).where(_am.c.idcs == idcs)).scalar_one_or_none()
        leaving = next((m for m in source.members if m.idcs == idcs), None)
        if active_in != source.household_id or leaving is None:
            raise MembershipConflict("idcs", "the person is not an active member of the household from_household_id")
        self._check_persons(conn, [(idcs, "idcs")])
        if leaving.relation is Relation.HEAD and len(source.members) > 1:
            raise MembershipConflict(
                "idcs",
                "the head cannot leave a household that keeps other members: "
                "name a new head with UpdateHousehold first",
            )
        if relation is Relation.HEAD and target.members:
            raise MembershipConflict("relation", "the household to_household_id already has a head")
        if relation is not Relation.HEAD and not target.members:
            raise MembershipConflict("relation", "the household to_household_id has no members: join it as its HEAD")
        if len(target.members) >= MAX_MEMBERS:
            raise MembershipConflict("to_household_id", f"the household already has {MAX_MEMBERS} members")
