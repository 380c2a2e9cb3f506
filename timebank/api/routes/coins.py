"""Time coins: balances and statements; gifts and donations (Idempotency-Key required);
staff corrections; ledger verification and sealing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from timebank.actors import Actor
from timebank.api.context import CtxDep, IdemRequired
from timebank.api.pagination import Page, PageParams, page_of_list, page_params
from timebank.api.routes.common import policy, router
from timebank.api.schemas import ledger as S
from timebank.api.types import MAX_ID
from timebank.ledger import queries as ledger_queries
from timebank.ledger import services as ledger
from timebank.ledger.audit import seal_transfers
from timebank.ledger.audit import verify_ledger as verify
from timebank.ledger.statement import statement
from timebank.people import queries as people_queries

api = router("coins")
PersonId = Annotated[int, Path(ge=1, le=MAX_ID)]


@api.get("/people/{person_id}/balance", response_model=S.BalanceOut)
def get_balance(person_id: PersonId, ctx: CtxDep) -> Any:
    """Balances in minutes (60 = one coin): own-earned, received, held, available."""

    def work(s: Session, actor: Actor) -> S.BalanceOut:
        people_queries.person(s, actor, person_id)
        ctx.log_access(s, actor, person_id, "balance")
        return S.BalanceOut.of(person_id, ledger.balances(s, person_id=person_id, policy=policy(s)))

    return ctx.read(work)


@api.get("/people/{person_id}/statement", response_model=Page[S.StatementLineOut])
def get_statement(
    person_id: PersonId, ctx: CtxDep, page: Annotated[PageParams, Depends(page_params)]
) -> Any:
    """Every movement on the person's accounts with running balances, oldest first."""

    def work(s: Session, actor: Actor) -> Page[S.StatementLineOut]:
        people_queries.person(s, actor, person_id)
        ctx.log_access(s, actor, person_id, "statement")
        lines = [
            S.StatementLineOut(n=i, **line.__dict__)
            for i, line in enumerate(statement(s, person_id=person_id), start=1)
        ]
        return page_of_list(lines, lambda line: line.n, page)

    return ctx.read(work)


@api.post(
    "/people/{person_id}/gifts",
    status_code=201,
    response_model=S.TransferOut,
    dependencies=[IdemRequired],
)
def gift(person_id: PersonId, body: S.GiftIn, ctx: CtxDep) -> JSONResponse:
    """Give coins to a verified direct relative. Irrevocable. From ``received`` coins only
    where the policy allows re-gifting."""

    def work(s: Session, actor: Actor) -> S.TransferOut:
        people_queries.person(s, actor, person_id)
        return S.TransferOut.of(
            ledger.gift(
                s,
                actor=actor,
                key=ctx.ledger_key("gift"),
                giver_id=person_id,
                recipient_id=body.recipient_id,
                amount=body.amount,
                source=body.source,
                policy=policy(s),
                at=ctx.now,
            )
        )

    return ctx.run(work, body=body, status=201, moves_coins=True)


@api.post(
    "/people/{person_id}/donations",
    status_code=201,
    response_model=S.TransferOut,
    dependencies=[IdemRequired],
)
def donate(person_id: PersonId, body: S.DonationIn, ctx: CtxDep) -> JSONResponse:
    """Donate coins to the city pool, which funds care for priority elders."""

    def work(s: Session, actor: Actor) -> S.TransferOut:
        people_queries.person(s, actor, person_id)
        return S.TransferOut.of(
            ledger.donate(
                s,
                actor=actor,
                key=ctx.ledger_key("donation"),
                donor_id=person_id,
                amount=body.amount,
                source=body.source,
                at=ctx.now,
            )
        )

    return ctx.run(work, body=body, status=201, moves_coins=True)


@api.post(
    "/people/{person_id}/pool-allocations",
    status_code=201,
    response_model=S.TransferOut,
    dependencies=[IdemRequired],
)
def allocate_from_pool(person_id: PersonId, body: S.AllocationIn, ctx: CtxDep) -> JSONResponse:
    """Give pool coins to a priority elder (district or city admin)."""

    def work(s: Session, actor: Actor) -> S.TransferOut:
        people_queries.person(s, actor, person_id)
        return S.TransferOut.of(
            ledger.allocate_from_pool(
                s,
                actor=actor,
                key=ctx.ledger_key("allocation"),
                elder_id=person_id,
                amount=body.amount,
                reason=body.reason,
                at=ctx.now,
            )
        )

    return ctx.run(work, body=body, status=201, moves_coins=True)


@api.post(
    "/transfers/{transfer_id}/reversal",
    status_code=201,
    response_model=S.TransferOut,
    dependencies=[IdemRequired],
)
def reverse_transfer(
    transfer_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: S.ReversalIn, ctx: CtxDep
) -> JSONResponse:
    """Undo a posted transfer with a new one in the opposite direction (at most once)."""

    def work(s: Session, actor: Actor) -> S.TransferOut:
        ledger_queries.transfer(s, actor, transfer_id)
        return S.TransferOut.of(
            ledger.reverse(
                s,
                actor=actor,
                key=ctx.ledger_key("reversal"),
                transfer_id=transfer_id,
                reason=body.reason,
                at=ctx.now,
            )
        )

    return ctx.run(work, body=body, status=201, moves_coins=True)


@api.get("/ledger/verification", response_model=S.VerifyOut)
def verify_ledger(ctx: CtxDep) -> Any:
    """Recompute every balance and every seal; name the first transfer that disagrees."""

    def work(s: Session, _: Actor) -> S.VerifyOut:
        r = verify(s, settings=ctx.services.settings)
        return S.VerifyOut(
            ok=r.ok,
            transfers=r.transfers,
            accounts=r.accounts,
            seals=r.seals,
            sealed_transfers=r.sealed_transfers,
            outstanding_minutes=r.outstanding,
            first_bad_transfer=r.first_bad_transfer,
            problems=[p.__dict__ for p in r.problems[:100]],
        )

    return ctx.read(work)


@api.post("/ledger/seals", response_model=S.SealOut)
def seal_ledger(ctx: CtxDep) -> JSONResponse:
    """Seal the transfers committed since the last seal into a signed checkpoint."""

    def work(s: Session, _: Actor) -> S.SealOut:
        seal = seal_transfers(s, settings=ctx.services.settings, at=ctx.now)
        if seal is None:
            return S.SealOut(sealed=False)
        return S.SealOut(
            sealed=True,
            seal_id=seal.id,
            transfer_count=seal.transfer_count,
            merkle_root=seal.merkle_root,
        )

    return ctx.run(work)
