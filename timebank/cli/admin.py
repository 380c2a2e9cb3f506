"""``timebank user create``: open staff accounts from the command line (the first admin too)."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from timebank.actors import SYSTEM
from timebank.cli.common import _run, console
from timebank.clock import SystemClock
from timebank.errors import InvalidInput

user_app = typer.Typer(help="Sign-in accounts for staff.", no_args_is_help=True)


@user_app.command("create")
def create(
    phone: Annotated[str, typer.Option(help="Mobile number used to sign in.")],
    role: Annotated[str, typer.Option(help="station, district_admin, city_admin or auditor.")],
    name: Annotated[str, typer.Option(help="Name shown in the audit log.")],
    org_id: Annotated[int | None, typer.Option(help="The station, for station staff.")] = None,
    district_code: Annotated[
        str | None, typer.Option(help="The district, for district admins.")
    ] = None,
) -> None:
    """Open a staff account. The password comes from TIMEBANK_NEW_PASSWORD or a prompt."""
    from timebank.auth.passwords import Passwords, make_hasher
    from timebank.people.accounts import STAFF_ROLES, create_user

    if role not in STAFF_ROLES:
        raise typer.BadParameter(f"role must be one of {', '.join(STAFF_ROLES)}")
    password = os.environ.get("TIMEBANK_NEW_PASSWORD") or typer.prompt(
        "password", hide_input=True, confirmation_prompt=True
    )

    def go(session: Session) -> int:
        if not password:
            raise InvalidInput("a password is required", field="password")
        user = create_user(
            session,
            actor=SYSTEM,
            phone=phone,
            password=password,
            role=role,
            display_name=name,
            passwords=Passwords(make_hasher()),
            at=SystemClock().now(),
            org_id=org_id,
            district_code=district_code,
        )
        session.commit()
        return user.id

    console.print(f"user {_run(go)} created: {role} {phone}")
