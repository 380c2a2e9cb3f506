"""Notices: one's in-app inbox (``X-Act-For``: the principal's), marking read, and the city
admin's list of notices that were given up after every retry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.api.context import CtxDep
from timebank.api.routes.common import router
from timebank.api.schemas import notices as S
from timebank.api.types import MAX_ID
from timebank.errors import PermissionDenied
from timebank.notices import inbox as notices

api = router("notices")
NoticeId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _whose(actor: Actor) -> int:
    """The person whose inbox this is: the principal when acting for someone, else oneself."""
    person_id = actor.on_behalf_of or actor.person_id
    if person_id is None:
        raise PermissionDenied("choose whom to act for (X-Act-For)", rule="act_for")
    return person_id


@api.get("/inbox", response_model=S.InboxOut)
def list_inbox(ctx: CtxDep) -> Any:
    """Every notice sent to you (or your principal), newest first, whether or not an SMS
    went out."""

    def work(s: Session, actor: Actor) -> S.InboxOut:
        person_id = _whose(actor)
        return S.InboxOut(
            person_id=person_id,
            unread=notices.unread_count(s, person_id=person_id),
            notices=[S.InboxNoticeOut.of(n) for n in notices.inbox(s, person_id=person_id)],
        )

    return ctx.read(work)


@api.post("/inbox/{notice_id}/read", response_model=S.InboxNoticeOut)
def mark_notice_read(notice_id: NoticeId, ctx: CtxDep) -> JSONResponse:
    """Mark one of your notices read; another person's is not found."""
    return ctx.run(
        lambda s, actor: S.InboxNoticeOut.of(
            notices.mark_read(s, person_id=_whose(actor), notice_id=notice_id, at=ctx.now)
        )
    )


@api.get("/notices/given-up", response_model=list[S.GivenUpNoticeOut])
def list_given_up_notices(ctx: CtxDep) -> Any:
    """Notices no attempt delivered (with the last error), newest first: to follow up by
    telephone or through the person's station."""
    return ctx.read(lambda s, _: [S.GivenUpNoticeOut.of(n) for n in notices.given_up(s)])
