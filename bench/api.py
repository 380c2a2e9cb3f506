"""API load benchmark: a volunteer's balance, nearby list, check-in and check-out, at 50 and
200 concurrent users, against the demo city on PostgreSQL, with the server run as
docs/operations.md says (``timebank serve --workers N``, production settings).

    .venv/bin/python bench/api.py                      # small demo city, 50 and 200 users
    .venv/bin/python bench/api.py --size city --users 50 200 --seconds 60

Each virtual user signs in once (tokens are issued in setup), then loops: GET balance,
GET nearby needs; once, on its own scheduled visit, check-in then check-out with the elder's
rotating code. Reports p50/p95/p99 per request kind and overall, and requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._pg import db_url, recreate_db  # noqa: E402
from timebank.actors import Actor, Role  # noqa: E402
from timebank.auth.models import User  # noqa: E402
from timebank.auth.passwords import Passwords, make_hasher  # noqa: E402
from timebank.auth.tokens import issue_pair  # noqa: E402
from timebank.care import assign, codes, needs  # noqa: E402
from timebank.care.models import Need, VolunteerProfile  # noqa: E402
from timebank.care.profiles import set_volunteer_profile  # noqa: E402
from timebank.catalog.models import ServiceItem  # noqa: E402
from timebank.db import make_engine, make_session_factory  # noqa: E402
from timebank.geodesy import haversine_m  # noqa: E402
from timebank.ledger.models import Account  # noqa: E402
from timebank.people.crypto import PiiVault  # noqa: E402
from timebank.people.models import Organisation, Person  # noqa: E402
from timebank.policy import Policy  # noqa: E402

SERVER = os.environ.get(
    "TIMEBANK_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SECRET = "bench-secret-key-0123456789abcdef-0123456789"
SEAL_KEY = "11" * 32
PORT = 8799
RADIUS_M = 5_000  # the bench volunteers' travel radius (the demo's default is 3 km)
THINK = 0.0  # seconds a user waits between requests (--think)


def env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "TIMEBANK_DATABASE_URL": url,
        "TIMEBANK_ENV": "prod",
        "TIMEBANK_SECRET_KEY": SECRET,
        "TIMEBANK_SEAL_SIGNING_KEY": SEAL_KEY,
    }


def seed(url: str, size: str) -> None:
    tb = str(ROOT / ".venv/bin/timebank")
    subprocess.run([tb, "db", "upgrade"], env=env(url), check=True, capture_output=True)
    t0 = time.perf_counter()
    demo = subprocess.run(
        [tb, "demo", "--seed", "1", "--size", size], env=env(url), capture_output=True, text=True
    )
    if demo.returncode == 0:
        print(f"demo city ({size}) seeded in {time.perf_counter() - t0:.0f}s")
        return
    print("`timebank demo` failed on PostgreSQL; seeding a minimal city instead:")
    print("  " + (demo.stderr.strip().splitlines() or ["?"])[-1])
    seed_minimal(url)


def seed_minimal(url: str, volunteers: int = 400, elders: int = 200, open_needs: int = 600) -> None:
    """The bench's own city: 16 districts, a station each, active volunteers, funded elders
    with addresses, and open needs for the nearby lists (used when the demo is unavailable)."""
    from random import Random

    from timebank.actors import SYSTEM
    from timebank.clock import local_date
    from timebank.demo.geography import DISTRICTS, seed_geography
    from timebank.ledger import services as ledger
    from timebank.people import services as people
    from timebank.people.idcard import make_id_number

    rng = Random(1)
    now = datetime.now(UTC)
    policy = Policy()
    vault = PiiVault(SECRET)
    with _session(url) as s:
        seed_geography(s)
        stations = []
        for d in DISTRICTS:
            org = Organisation(
                kind="station",
                name=f"{d.name_zh}服务站",
                district_code=d.code,
                created_at=now,
                confirmed_by_street_at=now,
            )
            s.add(org)
            s.flush()
            stations.append(
                (d, Actor(role=Role.STATION, org_id=org.id, district_code=d.code, name="seed"))
            )

        def person(n: int, age: int) -> Person:
            d, station = stations[n % len(stations)]
            birth = local_date(now).replace(year=local_date(now).year - age, day=1)
            p = people.register_person(
                s,
                actor=station,
                full_name=f"居民{n}",
                vault=vault,
                id_number=make_id_number(d.code, birth, n % 999),
                phone=None,
                district_code=d.code,
                address=f"{d.name_zh}某小区{n}号",
                lat=d.lat + rng.uniform(-0.02, 0.02),
                lon=d.lon + rng.uniform(-0.02, 0.02),
                at=now,
            )
            ledger.open_accounts(s, person_id=p.id, at=now)
            return p

        for n in range(volunteers):
            v = person(n, 30 + n % 30)
            station = stations[n % len(stations)][1]
            people.record_residency_proof(
                s, actor=station, person_id=v.id, kind="hukou", reference="户口簿", at=now
            )
            people.declare_health(s, actor=station, person_id=v.id, fit=True, at=now)
            people.record_training(
                s,
                actor=station,
                person_id=v.id,
                course="基础",
                completed_on=local_date(now),
                at=now,
            )
            people.activate_volunteer(s, actor=station, person_id=v.id, at=now, policy=policy)
        item = s.execute(select(ServiceItem.id).where(ServiceItem.code == "chat_visit")).scalar()
        elder_ids = []
        for n in range(volunteers, volunteers + elders):
            e = person(n, 75)
            for day in range(40):
                ledger.credit_service(
                    s,
                    actor=SYSTEM,
                    key=f"seed:{e.id}:{day}",
                    volunteer_id=e.id,
                    duration_minutes=480,
                    started_at=now - timedelta(days=400 - day),
                    reference="seed",
                    policy=policy,
                    at=now,
                )
            elder_ids.append((e, stations[n % len(stations)][1]))
        for n in range(open_needs):
            e, station = elder_ids[n % len(elder_ids)]
            start = now + timedelta(days=1 + n % 5, hours=n % 8)
            [need] = needs.publish_need(
                s,
                actor=station,
                policy=policy,
                at=now,
                request=needs.NeedRequest(
                    elder_id=e.id,
                    item_id=int(item or 1),
                    description="陪聊",
                    window_start=start,
                    window_end=start + timedelta(hours=3),
                    expected_minutes=60,
                ),
            )
            needs.review_need(
                s, actor=station, need_id=need.id, approve=True, policy=policy, at=now
            )
        s.commit()
    print(f"minimal city: {volunteers} volunteers, {elders} elders, {open_needs} open needs")


def _session(url: str):  # type: ignore[no-untyped-def]
    os.environ.update({k: v for k, v in env(url).items() if k.startswith("TIMEBANK_")})
    return make_session_factory(make_engine(url))()


def prepare(url: str, users: int) -> list[dict[str, object]]:
    """Accounts and access tokens for ``users`` active volunteers of the demo city."""
    now = datetime.now(UTC)
    out: list[dict[str, object]] = []
    with _session(url) as s:
        vols = (
            s.execute(
                select(Person)
                .where(Person.volunteer_status == "active", Person.status == "active")
                .order_by(Person.id)
                .limit(users)
            )
            .scalars()
            .all()
        )
        hash_ = Passwords(make_hasher(fast=True)).hash("bench-pass-1")
        stations = dict(
            s.execute(
                select(Organisation.district_code, Organisation.id).where(
                    Organisation.kind == "station"
                )
            )
            .tuples()
            .all()
        )
        item_cat = s.execute(
            select(ServiceItem.category_code).where(ServiceItem.code == "chat_visit")
        ).scalar_one()
        for n, vol in enumerate(vols):
            phone = f"1700000{n:04d}"
            user = s.execute(select(User).where(User.phone == phone)).scalar_one_or_none()
            if user is None:  # --reuse keeps the accounts of an earlier run
                user = User(
                    phone=phone,
                    password_hash=hash_,
                    role="volunteer",
                    person_id=vol.id,
                    display_name=vol.full_name,
                    status="active",
                    created_by="bench",
                    created_at=now,
                )
                s.add(user)
                s.flush()
            # The volunteer offers every hour of the week within 5 km (the demo's default
            # is 3 km), so the ad-hoc assignments of ``schedule`` fit their availability.
            profile = s.get(VolunteerProfile, vol.id)
            cats = list(profile.categories) if profile else []
            set_volunteer_profile(
                s,
                actor=Actor(
                    role=Role.STATION,
                    org_id=stations[vol.district_code],
                    district_code=vol.district_code,
                    name="bench",
                ),
                person_id=vol.id,
                categories=cats if item_cat in cats else [*cats, item_cat],
                radius_m=RADIUS_M,
                availability=[[d, "00:00", "23:59"] for d in range(7)],
                at=now,
                lat=profile.lat if profile else None,
                lon=profile.lon if profile else None,
            )
            token = issue_pair(s, user=user, at=now).access_token
            out.append({"person_id": vol.id, "token": token, "visit_id": None, "secret": None})
        s.commit()
    print(f"{len(out)} demo volunteers signed in")
    return out


def schedule(url: str, users: list[dict[str, object]]) -> None:
    """Give each volunteer a visit due now (a need published, reviewed and assigned)."""
    vault = PiiVault(SECRET)
    now = datetime.now(UTC)
    policy = Policy()
    with _session(url) as s:
        item = s.execute(select(ServiceItem.id).where(ServiceItem.code == "chat_visit")).scalar()

        elders = s.execute(
            select(Person.id, Person.lat, Person.lon)
            .join(Account, Account.person_id == Person.id)
            .where(
                Account.kind == "earned",
                Account.balance - Account.pending >= 120,
                Person.lat.is_not(None),
                Person.address.is_not(None),
                Person.status == "active",
                Person.birth_date <= now.date().replace(year=now.year - 61),  # 60+
            )
            .order_by(Person.id)
        ).all()
        taken: set[int] = set()
        stations = {
            o.district_code: o
            for o in s.execute(
                select(Organisation).where(
                    Organisation.kind == "station",
                    Organisation.confirmed_by_street_at.is_not(None),
                )
            ).scalars()
        }
        staff = Actor(role=Role.CITY_ADMIN, name="bench")
        for u in users:
            u["visit_id"] = u["secret"] = None
            pid = int(str(u["person_id"]))
            home = s.get(Person, pid)
            if home is None or home.lat is None or home.lon is None:
                continue
            # The nearest funded elder not yet visited in this round, within the radius.
            near = sorted(
                (haversine_m(home.lat, home.lon, lat, lon), eid)
                for eid, lat, lon in elders
                if eid not in taken
            )
            if not near or near[0][0] > RADIUS_M * 0.9:
                u["error"] = "no funded elder within the radius"
                continue
            elder = s.get(Person, near[0][1])
            org = stations.get(elder.district_code) if elder else None
            if elder is None or org is None or item is None:
                continue
            station = Actor(
                role=Role.STATION, org_id=org.id, district_code=org.district_code, name="bench"
            )
            start = now + timedelta(minutes=5)
            try:
                with s.begin_nested():
                    request = needs.NeedRequest(
                        elder_id=elder.id,
                        item_id=item,
                        description="bench",
                        window_start=start,
                        window_end=start + timedelta(hours=2),
                        expected_minutes=30,
                    )
                    [need] = needs.publish_need(
                        s, actor=station, request=request, policy=policy, at=now
                    )
                    needs.review_need(
                        s, actor=station, need_id=need.id, approve=True, policy=policy, at=now
                    )
                    visit = assign.assign_need(
                        s,
                        actor=staff,
                        need_id=need.id,
                        volunteer_id=int(u["person_id"]),  # type: ignore[arg-type]
                        policy=policy,
                        at=now,
                    )
                    u["visit_id"] = visit.id
                    taken.add(elder.id)
                    u["secret"] = codes._secret(s, elder.id, vault, now).hex()
            except Exception as exc:  # a volunteer the rules refuse (overlap, radius…)
                u["error"] = str(exc)[:80]
        s.commit()
    ready = sum(1 for u in users if u["visit_id"])
    print(f"{ready} of {len(users)} volunteers have a visit to check in and out")


def open_needs(url: str, wanted: int) -> None:
    """Top the city up to ``wanted`` open needs in the coming week, spread over the funded
    elders of every district, so the nearby lists have real work to do."""
    now = datetime.now(UTC)
    policy = Policy()
    with _session(url) as s:
        have = s.scalar(
            select(func.count())
            .select_from(Need)
            .where(Need.status == "open", Need.window_end > now)
        )
        missing = wanted - int(have or 0)
        if missing <= 0:
            return
        items = (
            s.execute(
                select(ServiceItem.id).where(
                    ServiceItem.active.is_(True),
                    ServiceItem.required_qualification.is_(None),
                    ServiceItem.district_code.is_(None),
                )
            )
            .scalars()
            .all()
        )
        stations = {
            o.district_code: o
            for o in s.execute(
                select(Organisation).where(
                    Organisation.kind == "station", Organisation.confirmed_by_street_at.is_not(None)
                )
            ).scalars()
        }
        elders = s.execute(
            select(Person.id, Person.district_code)
            .join(Account, Account.person_id == Person.id)
            .where(
                Account.kind == "earned",
                Account.balance - Account.pending >= 240,
                Person.address.is_not(None),
                Person.status == "active",
                Person.birth_date <= now.date().replace(year=now.year - 61),
            )
            .order_by(Person.id)
        ).all()
        made = 0
        for n in range(missing * 3):
            if made >= missing or not elders:
                break
            elder_id, district = elders[n % len(elders)]
            org = stations.get(district)
            if org is None:
                continue
            station = Actor(role=Role.STATION, org_id=org.id, district_code=district, name="bench")
            start = now + timedelta(hours=6 + (n * 7) % 150)
            try:
                with s.begin_nested():
                    [need] = needs.publish_need(
                        s,
                        actor=station,
                        request=needs.NeedRequest(
                            elder_id=elder_id,
                            item_id=items[n % len(items)],
                            description="bench",
                            window_start=start,
                            window_end=start + timedelta(hours=3),
                            expected_minutes=60,
                        ),
                        policy=policy,
                        at=now,
                    )
                    needs.review_need(
                        s, actor=station, need_id=need.id, approve=True, policy=policy, at=now
                    )
                made += 1
            except Exception:  # an elder whose balance is already held, etc.
                continue
        s.commit()
    print(f"open needs in the city: {int(have or 0) + made}")


def totp(secret_hex: str) -> str:
    return codes._totp(bytes.fromhex(secret_hex)).generate(int(time.time())).decode()


async def user_loop(
    client: httpx.AsyncClient,
    u: dict[str, object],
    until: float,
    samples: dict[str, list[float]],
    errors: list[str],
) -> None:
    headers = {"Authorization": f"Bearer {u['token']}"}
    pid = u["person_id"]

    async def req(kind: str, method: str, path: str, **kw: object) -> None:
        t0 = time.perf_counter()
        try:
            r = await client.request(method, path, headers=headers, **kw)  # type: ignore[arg-type]
        except httpx.TransportError as exc:  # counted, never hidden
            errors.append(f"{kind} {type(exc).__name__} after {time.perf_counter() - t0:.2f}s")
            return
        samples.setdefault(kind, []).append(time.perf_counter() - t0)
        if r.status_code >= 400 and not (kind.startswith("check") and r.status_code == 409):
            errors.append(f"{kind} {r.status_code} {r.text[:100]}")

    visited = u["visit_id"] is None
    await asyncio.sleep(THINK * (hash(str(pid)) % 1000) / 1000)  # spread the starts
    while time.perf_counter() < until:
        await req("balance", "GET", f"/api/v1/people/{pid}/balance")
        await asyncio.sleep(THINK)
        await req("nearby", "GET", f"/api/v1/people/{pid}/nearby-needs?limit=10")
        await asyncio.sleep(THINK)
        if not visited:
            visited = True
            vid, secret = u["visit_id"], str(u["secret"])
            await req(
                "check_in", "POST", f"/api/v1/visits/{vid}/check-in", json={"code": totp(secret)}
            )
            await req(
                "check_out", "POST", f"/api/v1/visits/{vid}/check-out", json={"code": totp(secret)}
            )


async def run(users: list[dict[str, object]], n: int, seconds: float) -> dict[str, object]:
    samples: dict[str, list[float]] = {}
    errors: list[str] = []
    # One client (one keep-alive connection) per user, like one phone each. A single shared
    # httpx client with n connections costs the load generator O(n) per request in its pool
    # bookkeeping and, at 200 users, used more CPU than the server.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", limits=limits, timeout=60)
        for _ in users[:n]
    ]
    t0 = time.perf_counter()
    until = t0 + seconds
    await asyncio.gather(
        *(user_loop(c, u, until, samples, errors) for c, u in zip(clients, users[:n], strict=True))
    )
    elapsed = time.perf_counter() - t0
    for c in clients:
        await c.aclose()
    return {"samples": samples, "errors": errors, "elapsed": elapsed}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def report(n: int, result: dict[str, object]) -> None:
    samples: dict[str, list[float]] = result["samples"]  # type: ignore[assignment]
    everything = [v for vs in samples.values() for v in vs]
    elapsed = float(result["elapsed"])  # type: ignore[arg-type]
    print(
        f"\n{n} users, {elapsed:.0f}s, {len(everything) / elapsed:.0f} req/s, "
        f"{len(result['errors'])} errors"
    )  # type: ignore[arg-type]
    print(f"{'kind':<10} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind, vs in [*sorted(samples.items()), ("all", everything)]:
        print(
            f"{kind:<10} {len(vs):>7} {pct(vs, 50):>8.1f} {pct(vs, 95):>8.1f} "
            f"{pct(vs, 99):>8.1f}  mean {statistics.fmean(vs) * 1000:.1f}"
        )
    for e in result["errors"][:5]:  # type: ignore[index]
        print("  error:", e)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="small", choices=["small", "city"])
    parser.add_argument("--users", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="Seconds each user waits between requests (0: closed loop).",
    )
    parser.add_argument(
        "--open-needs", type=int, default=400, help="Open needs in the city during the run."
    )
    parser.add_argument("--reuse", action="store_true", help="Keep the seeded database.")
    args = parser.parse_args()
    global THINK
    THINK = args.think
    url = db_url(SERVER, f"tb_bench_api_{args.size}")
    if not args.reuse:
        recreate_db(SERVER, f"tb_bench_api_{args.size}")
        seed(url, args.size)
    users = prepare(url, max(args.users))
    open_needs(url, args.open_needs)
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/timebank"),
            "serve",
            "--port",
            str(PORT),
            "--workers",
            str(args.workers),
        ],
        env=env(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(120):
            try:
                if httpx.get(f"http://127.0.0.1:{PORT}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        print(f"server: timebank serve --workers {args.workers} (TIMEBANK_ENV=prod)")
        for n in args.users:
            schedule(url, users[:n])
            report(n, asyncio.run(run(users, n, args.seconds)))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
