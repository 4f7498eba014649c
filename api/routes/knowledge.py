"""Contacts, labels, saved replies and FAQ entries, through the services the settings pages use."""

from typing import Annotated, Literal, cast

from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field, StringConstraints

from accounts.policy import Perm
from api.auth import ApiRequest, require, scoped
from api.problems import not_found
from api.schemas import ERRORS, ContactOut, LabelOut, StrictIn, contact_out, label_out
from assistant.models import FaqEntry, Language
from assistant.selectors import faq_entries, get_faq_entry_for_member
from assistant.services.faq import faq_entry_create, faq_entry_deactivate, faq_entry_update
from inbox import services as inbox_services
from inbox.models import Contact, Label, SavedReply
from inbox.saved_replies import (
    get_saved_reply_for_member,
    saved_reply_create,
    saved_reply_delete,
    saved_reply_update,
)
from inbox.services import LABEL_MAX_CHARS

router = Router()


# --- Contacts ------------------------------------------------------------------------------------------


class ContactDetail(ContactOut):
    notes: str


@router.get("/contacts/{contact_id}", response=ContactDetail, tags=["contacts"], summary="Get a contact")
@scoped("contacts:read")
def get_contact(request: ApiRequest, contact_id: int) -> ContactDetail:
    contact = Contact.objects.filter(pk=contact_id, workspace_id=request.member.workspace_id).first()
    if contact is None:
        raise not_found()
    return ContactDetail(**contact_out(contact).model_dump(), notes=contact.notes)


class ContactNotes(StrictIn):
    notes: str = Field(..., max_length=5000)


@router.put(
    "/contacts/{contact_id}/notes", response=ContactDetail, tags=["contacts"], summary="Set a contact's notes"
)
@scoped("contacts:write")
def set_contact_notes(request: ApiRequest, contact_id: int, body: ContactNotes) -> ContactDetail:
    contact = Contact.objects.filter(pk=contact_id, workspace_id=request.member.workspace_id).first()
    if contact is None:
        raise not_found()
    require(request, Perm.REPLY)
    contact = inbox_services.contact_set_notes(contact=contact, notes=body.notes, by=request.member)
    return ContactDetail(**contact_out(contact).model_dump(), notes=contact.notes)


# --- Labels --------------------------------------------------------------------------------------------


class LabelIn(StrictIn):
    name: str = Field(..., min_length=1, max_length=LABEL_MAX_CHARS)


@router.get("/labels", response=list[LabelOut], tags=["knowledge"], summary="List labels")
@scoped("knowledge:read")
def list_labels(request: ApiRequest) -> list[LabelOut]:
    return [
        label_out(label)
        for label in Label.objects.filter(workspace_id=request.member.workspace_id).order_by("name")
    ]


@router.post(
    "/labels",
    response={200: LabelOut, 201: LabelOut, **ERRORS},
    tags=["knowledge"],
    summary="Create a label (or get the one of that name)",
)
@scoped("knowledge:write")
def create_label(request: ApiRequest, body: LabelIn) -> Status:
    """201 with the new label, or 200 with the workspace's label of that name (whatever its case)."""
    require(request, Perm.REPLY)
    label, created = inbox_services.label_get_or_create(name=body.name, by=request.member)
    return Status(201 if created else 200, label_out(label))


# --- Saved replies -------------------------------------------------------------------------------------


class SavedReplyIn(StrictIn):
    title: str = Field(..., min_length=1, max_length=120, pattern=r"\S")
    body: str = Field(..., min_length=1, max_length=10000, pattern=r"\S")
    shortcut: str = Field("", max_length=40, pattern=r"^[-a-zA-Z0-9_]*$", description="Typed as /shortcut.")
    language: Literal["", "en", "fr"] = ""


class SavedReplyOut(SavedReplyIn):
    id: int


def _saved_out(reply: SavedReply) -> SavedReplyOut:
    return SavedReplyOut(
        id=reply.pk,
        title=reply.title,
        body=reply.body,
        shortcut=reply.shortcut,
        language=cast(Literal["", "en", "fr"], reply.language),
    )


def _saved(request: ApiRequest, reply_id: int) -> SavedReply:
    return get_saved_reply_for_member(request.member, reply_id)


@router.get("/saved-replies", response=list[SavedReplyOut], tags=["knowledge"], summary="List saved replies")
@scoped("knowledge:read")
def list_saved_replies(request: ApiRequest) -> list[SavedReplyOut]:
    replies = SavedReply.objects.filter(workspace_id=request.member.workspace_id).order_by("title", "pk")
    return [_saved_out(reply) for reply in replies]


@router.post(
    "/saved-replies", response={201: SavedReplyOut}, tags=["knowledge"], summary="Create a saved reply"
)
@scoped("knowledge:write")
def create_saved_reply(request: ApiRequest, body: SavedReplyIn) -> Status:
    require(request, Perm.MANAGE_SAVED_REPLIES)
    return Status(201, _saved_out(saved_reply_create(by=request.member, **body.model_dump())))


@router.put(
    "/saved-replies/{reply_id}", response=SavedReplyOut, tags=["knowledge"], summary="Change a saved reply"
)
@scoped("knowledge:write")
def update_saved_reply(request: ApiRequest, reply_id: int, body: SavedReplyIn) -> SavedReplyOut:
    reply = _saved(request, reply_id)
    require(request, Perm.MANAGE_SAVED_REPLIES)
    reply = saved_reply_update(reply=reply, by=request.member, **body.model_dump())
    return _saved_out(reply)


@router.delete(
    "/saved-replies/{reply_id}", response={204: None}, tags=["knowledge"], summary="Delete a saved reply"
)
@scoped("knowledge:write")
def delete_saved_reply(request: ApiRequest, reply_id: int) -> Status:
    reply = _saved(request, reply_id)
    require(request, Perm.MANAGE_SAVED_REPLIES)
    saved_reply_delete(reply=reply, by=request.member)
    return Status(204, None)


# --- FAQ -----------------------------------------------------------------------------------------------


class FaqIn(StrictIn):
    group: str = Field(
        ..., min_length=1, max_length=80, pattern=r"^[-a-zA-Z0-9_]+$", description="Translations share it."
    )
    language: Language
    questions: list[Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=r"\S")]] = Field(
        ..., min_length=1, max_length=50
    )
    answer: str = Field(..., min_length=1, max_length=5000, pattern=r"\S")
    url: str = Field("", max_length=500, pattern=r"^(https?://\S+)?$", description="An http(s) help page.")
    tags: list[Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"\S")]] = Field(
        default_factory=list, max_length=20
    )
    active: bool = True


class FaqOut(Schema):
    id: int
    group: str
    language: str
    questions: list[str]
    answer: str
    url: str
    tags: list[str]
    active: bool


def _faq_out(entry: FaqEntry) -> FaqOut:
    return FaqOut(
        id=entry.pk,
        group=entry.group,
        language=entry.language,
        questions=list(entry.questions),
        answer=entry.answer,
        url=entry.url,
        tags=list(entry.tags),
        active=entry.active,
    )


def _faq(request: ApiRequest, entry_id: int) -> FaqEntry:
    return get_faq_entry_for_member(request.member, entry_id)


@router.get("/faq", response=list[FaqOut], tags=["knowledge"], summary="List FAQ entries")
@scoped("knowledge:read")
def list_faq(request: ApiRequest) -> list[FaqOut]:
    entries = faq_entries(request.member.workspace)
    return [_faq_out(entry) for entry in entries]


@router.post("/faq", response={201: FaqOut}, tags=["knowledge"], summary="Create a FAQ entry")
@scoped("knowledge:write")
def create_faq(request: ApiRequest, body: FaqIn) -> Status:
    require(request, Perm.MANAGE_FAQ)
    return Status(201, _faq_out(faq_entry_create(by=request.member, **body.model_dump())))


@router.put("/faq/{entry_id}", response=FaqOut, tags=["knowledge"], summary="Change a FAQ entry")
@scoped("knowledge:write")
def update_faq(request: ApiRequest, entry_id: int, body: FaqIn) -> FaqOut:
    entry = _faq(request, entry_id)
    require(request, Perm.MANAGE_FAQ)
    return _faq_out(faq_entry_update(entry=entry, by=request.member, **body.model_dump()))


@router.delete("/faq/{entry_id}", response=FaqOut, tags=["knowledge"], summary="Turn a FAQ entry off")
@scoped("knowledge:write")
def deactivate_faq(request: ApiRequest, entry_id: int) -> FaqOut:
    """Kept, not deleted (its suggestion history still counts): answered with `active: false`."""
    entry = _faq(request, entry_id)
    require(request, Perm.MANAGE_FAQ)
    return _faq_out(faq_entry_deactivate(entry=entry, by=request.member))
