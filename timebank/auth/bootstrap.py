"""Open the first staff account on a fresh installation (there is no one yet to do it):

    python -m timebank.auth.bootstrap --phone 13800000000 --role city_admin --name 管理员

The password is read from TIMEBANK_BOOTSTRAP_PASSWORD or asked for on the terminal.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from timebank.actors import SYSTEM
from timebank.auth.accounts import STAFF_ROLES, create_user
from timebank.auth.passwords import Passwords, make_hasher
from timebank.clock import SystemClock
from timebank.config import get_settings
from timebank.db import make_engine, make_session_factory, transaction
from timebank.errors import TimebankError, exit_code_for


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Open a staff account.")
    parser.add_argument("--phone", required=True)
    parser.add_argument("--role", choices=STAFF_ROLES, default="city_admin")
    parser.add_argument("--name", default="管理员")
    parser.add_argument("--org-id", type=int, default=None)
    parser.add_argument("--district-code", default=None)
    args = parser.parse_args(argv)
    password = os.environ.get("TIMEBANK_BOOTSTRAP_PASSWORD") or getpass.getpass("password: ")
    settings = get_settings()
    factory = make_session_factory(make_engine(settings.database_url))
    try:
        with transaction(factory) as session:
            user = create_user(
                session,
                actor=SYSTEM,
                phone=args.phone,
                password=password,
                role=args.role,
                display_name=args.name,
                passwords=Passwords(make_hasher()),
                at=SystemClock().now(),
                org_id=args.org_id,
                district_code=args.district_code,
            )
            session.commit()
    except TimebankError as exc:
        print(f"error [{exc.field or '-'}]: {exc.message}", file=sys.stderr)
        return exit_code_for(exc)
    print(f"user {user.id}: {user.role} {user.phone}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
