"""The relational model: taxonomies, organizations and people, credentials, and the outbox.

Taxonomies are generic (a scheme holds concepts) so a state can load its own sector list beside
NAICS. Credentials refer to concepts by code, and the scheme each editor field uses is a binding
that operators can change.
"""
from __future__ import annotations

import enum
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from store.ctids import CTID_LENGTH, new_ctid
from store.facts import MAX_LENGTH, Status  # noqa: F401 - Status is part of the models' interface


# Ids are 32-bit integers on PostgreSQL: a larger number cannot even be bound as a parameter,
# so anything that turns user text into an id checks this first.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict: JSON, list: JSON}


# --- Taxonomies -------------------------------------------------------------------------------


class Scheme(Base):
    __tablename__ = "schemes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Concept(Base):
    __tablename__ = "concepts"
    __table_args__ = (UniqueConstraint("scheme_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("schemes.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(400))
    alt_labels: Mapped[list] = mapped_column(default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    broader: Mapped[str | None] = mapped_column(String(64))
    # Scheme-specific facts: the CIP-SOC crosswalk, an occupation's skills, a NAICS level, ...
    links: Mapped[dict] = mapped_column(default=dict)

    scheme: Mapped[Scheme] = relationship()


class VocabularyBinding(Base):
    """Which scheme feeds which editor field (vocabulary). States may swap in their own lists."""

    __tablename__ = "vocabulary_bindings"

    vocabulary: Mapped[str] = mapped_column(String(32), primary_key=True)
    scheme_name: Mapped[str] = mapped_column(String(64))


# --- Organizations and people -----------------------------------------------------------------


class OrgKind(str, enum.Enum):
    issuer = "issuer"
    verifier = "verifier"
    education_provider = "education_provider"


class Role(str, enum.Enum):
    admin = "admin"
    editor = "editor"


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # The Credential Registry identifier (store.ctids): minted once, never changed. The column is
    # `ce_ctid` because PostgreSQL reserves `ctid` for a system column of every table.
    ctid: Mapped[str] = mapped_column("ce_ctid", String(CTID_LENGTH), unique=True, default=new_ctid)
    kinds: Mapped[list] = mapped_column(default=list)
    website: Mapped[str] = mapped_column(String(500), default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def can_author(self) -> bool:
        return bool({OrgKind.issuer.value, OrgKind.verifier.value} & set(self.kinds or []))


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Part of every login session's id (get_id): raising it ends all of the user's sessions at
    # once, wherever their cookies are. Logging out and changing the password raise it.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    # Flask-Login's protocol, written out so the model does not import Flask.
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        """What the session stores (Flask-Login's "alternative token"): `<id>:<session_version>`."""
        return f"{self.id}:{self.session_version}"

    def role_in(self, org_id: int) -> str | None:
        for m in self.memberships:
            if m.org_id == org_id:
                return m.role
        return None


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default=Role.editor.value)

    user: Mapped[User] = relationship(back_populates="memberships")
    organization: Mapped[Organization] = relationship(lazy="joined")


class AccessRequest(Base):
    """A registered user asks to join an organization, or to have a new one created."""

    __tablename__ = "access_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    proposed_name: Mapped[str] = mapped_column(String(200), default="")
    proposed_kinds: Mapped[list] = mapped_column(default=list)
    proposed_website: Mapped[str] = mapped_column(String(500), default="")
    proposed_location: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    organization: Mapped[Organization | None] = relationship()


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Only a SHA-256 of the token is kept; the token itself is shown once, when created.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Written at most once a minute (webapp.auth), so read-only API traffic is not a write per request.
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    # None: valid until revoked. Set with `catalog tokens create --expires-in 90d`.
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(lazy="joined")


class PasswordReset(Base):
    """A password-reset link sent by mail: single use, short-lived, kept only as a hash."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the secret in the link: a copy of the database cannot reset anyone's password.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    # Set when the link is used, or when another link or a password change makes it void.
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


# --- Credentials ------------------------------------------------------------------------------


class Credential(Base):
    __tablename__ = "credentials"
    __table_args__ = (Index("ix_credentials_import_key", "org_id", "import_key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    # The Credential Registry identifier (store.ctids): minted once, never changed; imports match on
    # it. The column is `ce_ctid` because PostgreSQL reserves `ctid` for a system column.
    ctid: Mapped[str] = mapped_column("ce_ctid", String(CTID_LENGTH), unique=True, default=new_ctid)
    name: Mapped[str] = mapped_column(String(MAX_LENGTH["name"]))
    alternate_names: Mapped[list] = mapped_column(default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    credential_type: Mapped[str] = mapped_column(String(MAX_LENGTH["code"]), default="")
    url: Mapped[str] = mapped_column(String(MAX_LENGTH["url"]), default="")
    language: Mapped[str] = mapped_column(String(MAX_LENGTH["language"]), default="en")
    cost_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    cost_currency: Mapped[str] = mapped_column(String(MAX_LENGTH["currency"]), default="USD")
    cost_note: Mapped[str] = mapped_column(String(MAX_LENGTH["cost_note"]), default="")
    duration_value: Mapped[int | None] = mapped_column(Integer)
    duration_unit: Mapped[str] = mapped_column(String(16), default="")
    delivery_mode: Mapped[str] = mapped_column(String(16), default="")
    keywords: Mapped[list] = mapped_column(default=list)
    lifecycle: Mapped[str] = mapped_column(String(16), default="active")
    status: Mapped[str] = mapped_column(String(16), default=Status.draft.value, index=True)
    # Every save bumps the revision: what editors' conflict checks and the history count.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # The search document's version, which the relay writes as the external version. It goes up
    # with every outbox event for the credential (indexer.dependents.queue_credentials), so also
    # when only something the document embeds changed (an issuer's name, a label): two relays
    # writing the same revision after an organization rename could otherwise let the older
    # content win, and `verify` would not see the difference.
    index_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The name the public last saw, kept while it is published. Once it is archived, or a draft
    # again, this is all of it that may still be shown: an archived credential's 410 page and
    # another organization's link to it. None: it was never published, so it is not public at all.
    last_published_name: Mapped[str | None] = mapped_column(String(MAX_LENGTH["name"]))
    # Set by imports (catalog.imports): the source's own id, and the key a re-import matches on
    # within the organization ("id:<external id>" or "name:<normalised name>|<provider>").
    external_id: Mapped[str | None] = mapped_column(String(200))
    import_key: Mapped[str | None] = mapped_column(String(400))

    organization: Mapped[Organization] = relationship(lazy="joined")
    occupations: Mapped[list["CredentialOccupation"]] = relationship(
        cascade="all, delete-orphan", order_by="CredentialOccupation.position"
    )
    sectors: Mapped[list["CredentialSector"]] = relationship(
        cascade="all, delete-orphan", order_by="CredentialSector.position"
    )
    cips: Mapped[list["CredentialCip"]] = relationship(
        cascade="all, delete-orphan", order_by="CredentialCip.position"
    )
    relations: Mapped[list["CredentialRelation"]] = relationship(
        cascade="all, delete-orphan",
        foreign_keys="CredentialRelation.credential_id",
        order_by="CredentialRelation.id",
    )
    skills: Mapped[list["CredentialSkill"]] = relationship(
        cascade="all, delete-orphan", order_by="CredentialSkill.position"
    )
    custom_levels: Mapped[list["CustomLevel"]] = relationship(
        cascade="all, delete-orphan", order_by="CustomLevel.position"
    )
    programs: Mapped[list["Program"]] = relationship(cascade="all, delete-orphan", order_by="Program.id")
    notes: Mapped[list["Note"]] = relationship(cascade="all, delete-orphan", order_by="Note.created_at")

    @property
    def cip_codes(self) -> list[str]:
        """The CIP 2020 codes of the programs it follows, in the editor's order (read-only)."""
        return [link.code for link in self.cips]


class CredentialOccupation(Base):
    __tablename__ = "credential_occupations"
    __table_args__ = (UniqueConstraint("credential_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class CredentialSector(Base):
    __tablename__ = "credential_sectors"
    __table_args__ = (UniqueConstraint("credential_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class CredentialCip(Base):
    """A CIP 2020 program code the credential follows: a link row, like occupations and sectors."""

    __tablename__ = "credential_cips"
    __table_args__ = (UniqueConstraint("credential_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(MAX_LENGTH["cip_code"]), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class CredentialRelation(Base):
    """`related` or `required` (a prerequisite); the target is in the catalog or external."""

    __tablename__ = "credential_relations"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int | None] = mapped_column(ForeignKey("credentials.id", ondelete="CASCADE"), index=True)
    external_cip: Mapped[str] = mapped_column(String(16), default="")
    external_type: Mapped[str] = mapped_column(String(64), default="")
    external_name: Mapped[str] = mapped_column(String(300), default="")

    target: Mapped["Credential | None"] = relationship(foreign_keys=[target_id], lazy="joined")


class CredentialSkill(Base):
    __tablename__ = "credential_skills"
    __table_args__ = (UniqueConstraint("credential_id", "skill_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id", ondelete="CASCADE"))
    skill_code: Mapped[str] = mapped_column(String(64), index=True)
    min_level: Mapped[str] = mapped_column(String(64), default="")
    acquired_level: Mapped[str] = mapped_column(String(64), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class CustomLevel(Base):
    """An experience level a credential adds to the default scale, at a chosen position."""

    __tablename__ = "custom_levels"
    __table_args__ = (UniqueConstraint("credential_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    # Index in the merged scale where this level sits (0 = before the first default level).
    position: Mapped[int] = mapped_column(Integer, default=0)


class Program(Base):
    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id", ondelete="CASCADE"), index=True)
    provider_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))
    provider_name: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(1000), default="")
    delivery_mode: Mapped[str] = mapped_column(String(16), default="")
    duration_value: Mapped[int | None] = mapped_column(Integer)
    duration_unit: Mapped[str] = mapped_column(String(16), default="")
    cost_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    location: Mapped[str] = mapped_column(String(200), default="")
    cip_code: Mapped[str] = mapped_column(String(16), default="")

    provider: Mapped[Organization | None] = relationship(lazy="joined")

    @property
    def provider_display(self) -> str:
        return self.provider.name if self.provider else self.provider_name


class Note(Base):
    """Contributor notes: seen by the credential's editors and platform admins, never the public."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    author: Mapped[User | None] = relationship(lazy="joined")


class RevisionEntry(Base):
    """Who changed what, and when: one row per save."""

    __tablename__ = "revision_entries"
    __table_args__ = (UniqueConstraint("credential_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Sections a save changed, joined by "+" (service.SECTION_JOINER): every tab fits.
    section: Mapped[str] = mapped_column(String(64))
    changes: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User | None] = relationship(lazy="joined")


class ImportJob(Base):
    """One uploaded file and what became of it: preview, dry run, the confirmed run, its report.

    `kind` names the source format (`table` for CSV/XLSX, `ctdl` for Credential Engine JSON-LD),
    so every importer shares the page, the worker task and the report. The upload is kept in the
    row because the web process and the worker need not share a disk.
    """

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="table")
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(300), default="")
    upload: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The mapping and flags (publish, create_providers, with_suggested_occupations).
    options: Mapped[dict] = mapped_column(default=dict)
    # uploaded -> queued -> running -> done | failed; dry_run says which kind of run it was.
    state: Mapped[str] = mapped_column(String(16), default="uploaded")
    dry_run: Mapped[bool] = mapped_column(Boolean, default=True)
    done_rows: Mapped[int] = mapped_column(Integer, default=0)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    # The report's header, summary and first rows (catalog.imports.report.Report); every row is
    # in `report_rows`, gzip-compressed JSON lines, loaded only when asked for.
    report: Mapped[dict | None] = mapped_column(JSON)
    report_rows: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship(lazy="joined")


# --- The outbox -------------------------------------------------------------------------------


class OutboxEvent(Base):
    """A change that the index must learn about, written in the same transaction as the change.

    It names the entity and its revision, never the document: the relay re-reads the row, so a
    late or repeated event can only ever write the current state.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "state", "available_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # pending -> done, or -> dead after too many failed attempts.
    state: Mapped[str] = mapped_column(String(8), default="pending")
    available_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The web request that wrote the row (store/request_ids.py), for following one publish end to end.
    request_id: Mapped[str | None] = mapped_column(String(64))


# --- CTDL ---------------------------------------------------------------------------------------


class CtdlOriginal(Base):
    """The CTDL record a credential was imported from, as received (catalog.ctdl.imports).

    Export merges back whatever in it we do not model, so nothing a source said is dropped. A
    table of its own, not a column: the indexer reads every credential row on a rebuild and has
    no use for these documents.
    """

    __tablename__ = "ctdl_originals"

    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id", ondelete="CASCADE"), primary_key=True)
    # The record itself, plus the blank nodes of its @graph that it refers to ({"record", "nodes"}).
    document: Mapped[dict] = mapped_column(default=dict)
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
