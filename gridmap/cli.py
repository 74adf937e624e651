"""The command line: ``python -m gridmap COMMAND``."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path

from gridmap import hotspots, schema
from gridmap.coverage import household_status
from gridmap.demo import SCALES, build_demo, default_as_of
from gridmap.errors import GridmapError
from gridmap.indicators import INDICATORS
from gridmap.mapview import SCHEMES
from gridmap.policy import load_policy
from gridmap.readmodel import ReadModel
from gridmap.store import open_store

log = logging.getLogger("gridmap")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-20") from exc


def _store_arg(p: argparse.ArgumentParser, *, as_user: bool = False) -> None:
    p.add_argument("--store", help="GeoPackage path or postgresql:// URL "
                   "(default: $GRIDMAP_STORE or data/gridmap.gpkg)")
    if as_user:
        p.add_argument("--as", dest="as_user", metavar="USER",
                       help="run as this account, seeing only what it may (password from "
                            "$GRIDMAP_PASSWORD or asked)")


def _open(args):
    """The store, or with ``--as USER`` the store as that account may see it."""
    store = open_store(args.store)
    if not getattr(args, "as_user", None):
        return store
    from gridmap.access import LoginRefused, authenticate
    from gridmap.guard import GuardedStore
    try:
        who = authenticate(store, args.as_user, _password(), load_policy(), source="cli",
                           session="cli")
    except LoginRefused as refused:
        until = f" until {refused.until:%Y-%m-%d %H:%M}" if refused.until is not None else ""
        raise GridmapError(f"login refused for {args.as_user!r}: {refused.reason}{until}"
                           ) from None
    return GuardedStore(store, who)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gridmap", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="create an empty store with the full schema")
    _store_arg(p)

    p = sub.add_parser("demo", help="build a demo data set into a store (replaces it)")
    p.add_argument("--scale", choices=sorted(SCALES), default="city")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--as-of", type=_iso_date, default=None,
                   help="last day of the visit history (default: yesterday)")
    _store_arg(p)

    p = sub.add_parser("upgrade", help="bring a store made by an earlier gridmap up to this "
                       "schema version (the app does it when it starts)")
    _store_arg(p)

    p = sub.add_parser("info", help="row counts per layer and the store's meta data")
    _store_arg(p)

    sub.add_parser("schema", help="print the schema reference as Markdown")

    p = sub.add_parser("assess", help="score a survey file (Excel or CSV, Chinese headers)")
    p.add_argument("file", help="survey .xlsx or .csv; headers are the indicator names")
    p.add_argument("--config", help="assessment configuration (default data/assessment.toml)")
    p.add_argument("--out", help="file to write (.csv, .json or .xlsx; default standard output)")

    report = sub.add_parser("report", help="tables for meetings and other tools")
    kinds = report.add_subparsers(dest="report", required=True)
    p = kinds.add_parser("coverage", help="visit coverage per area (see README: definitions)")
    p.add_argument("--level", choices=schema.LEVELS, default="district")
    p.add_argument("--as-of", type=_iso_date, default=None, help="the day D (default: today)")
    p.add_argument("--format", choices=("csv", "json", "xlsx"), default="csv")
    p.add_argument("--out", help="file to write (default: standard output; xlsx needs --out)")
    _store_arg(p, as_user=True)

    for name, help_text in (("cases", "the closed loop per area: open, overdue, closed, "
                                      "followed up, median days to close"),
                            ("needs", "needs per area (or category): posted, claimed, "
                                      "delivered, match rate")):
        p = kinds.add_parser(name, help=help_text)
        levels = (*schema.LEVELS, "category") if name == "needs" else schema.LEVELS
        p.add_argument("--level", choices=levels, default="district")
        p.add_argument("--as-of", type=_iso_date, default=None,
                       help="the day D (default: today)")
        p.add_argument("--format", choices=("csv", "json", "xlsx"), default="csv")
        p.add_argument("--out", help="file to write (default: standard output)")
        _store_arg(p, as_user=True)

    p = kinds.add_parser("alerts", help="alerts from department feeds per area or source: "
                         "new, verified, confirmed, dismissed, overdue, confirm rate")
    p.add_argument("--level", choices=(*schema.LEVELS, "source"), default="district")
    p.add_argument("--as-of", type=_iso_date, default=None, help="the day D (default: today)")
    p.add_argument("--format", choices=("csv", "json", "xlsx"), default="csv")
    p.add_argument("--out", help="file to write (default: standard output)")
    _store_arg(p, as_user=True)

    p = kinds.add_parser("workload", help="workers' load and utilisation (one row per worker, "
                         "or a summary per area with --level)")
    p.add_argument("--level", choices=("worker", "community", "street", "district"),
                   default="worker")
    p.add_argument("--as-of", type=_iso_date, default=None, help="the day D (default: today)")
    p.add_argument("--format", choices=("csv", "json", "xlsx"), default="csv")
    p.add_argument("--out", help="file to write (default: standard output)")
    _store_arg(p, as_user=True)
    p = kinds.add_parser("services", help="services owed and delivered per area or provider "
                         "in a month: hours entitled, delivered, delivery rate, households short")
    p.add_argument("--month", default=None, help="YYYY-MM (default: the month of --as-of)")
    p.add_argument("--level", choices=(*schema.LEVELS, "provider"), default="district")
    p.add_argument("--as-of", type=_iso_date, default=None, help="the day D (default: today)")
    p.add_argument("--format", choices=("csv", "json", "xlsx"), default="csv")
    p.add_argument("--out", help="file to write (default: standard output)")
    _store_arg(p, as_user=True)
    p = kinds.add_parser("hotspots", help="Getis-Ord Gi* hotspots per grid")
    p.add_argument("--indicator", required=True, choices=hotspots.INDICATORS)
    p.add_argument("--permutations", type=int, default=999)
    p.add_argument("--seed", type=int, default=None,
                   help="the permutations' random seed (default: the policy's hotspots.seed)")
    p.add_argument("--fdr", action="store_true", help="false-discovery-rate correction")
    p.add_argument("--as-of", type=_iso_date, default=None, help="the day D (default: today)")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--out", help="file to write (default: standard output)")
    _store_arg(p, as_user=True)
    p = sub.add_parser("rebalance", help="propose new responsibilities for a scope's workers "
                       "(changes nothing without --apply)")
    p.add_argument("--scope", required=True, help="community:ID, street:ID or chief:WORKER_ID")
    p.add_argument("--max-moves", type=int, default=None, help="at most this many moves")
    p.add_argument("--time-limit", type=float, default=10.0, help="seconds (default 10)")
    p.add_argument("--as-of", type=_iso_date, default=None, help="the day D (default: today)")
    p.add_argument("--format", choices=("json", "csv"), default="json",
                   help="json: the whole proposal; csv: the moves")
    p.add_argument("--apply", action="store_true", help="write the moves to the store")
    p.add_argument("--by", default="cli", help="who accepts, with --apply (default: cli)")
    _store_arg(p, as_user=True)
    export = sub.add_parser("export", help="files for meetings: the ledger, a map snapshot")
    kinds = export.add_subparsers(dest="export", required=True)
    p = kinds.add_parser("ledger", help="the ledger (台账) as Excel, one sheet per tier")
    p.add_argument("--scope", required=True, help="community:ID or grid:ID")
    p.add_argument("--out", required=True, help="FILE.xlsx")
    p.add_argument("--personal", action="store_true",
                   help="include names, ID numbers, phones and addresses")
    p.add_argument("--as-of", type=_iso_date, default=None, help="the day D (default: today)")
    _store_arg(p, as_user=True)
    p = kinds.add_parser("map", help="a printable map (PNG or PDF) of an area and indicator")
    p.add_argument("--scope", default=None, help="LEVEL:ID (default: the whole city)")
    p.add_argument("--indicator", required=True, choices=list(INDICATORS))
    p.add_argument("--scheme", choices=SCHEMES, default="quantiles")
    p.add_argument("--out", required=True, help="FILE.png or FILE.pdf")
    p.add_argument("--title", default=None)
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument("--as-of", type=_iso_date, default=None, help="the day D (default: today)")
    _store_arg(p, as_user=True)
    p = sub.add_parser("import", help="import a ledger (Excel/CSV): households, workers or "
                       "visits; all or nothing")
    p.add_argument("kind", choices=("areas", "grids", "households", "workers", "visits",
                                    "services", "persons", "feed", "undo"))
    p.add_argument("--source", help="for feed: the department or system that sent it "
                   "(e.g. 医保)")
    p.add_argument("--received", type=_iso_date, default=None,
                   help="for feed: the day it was received (default: today)")
    p.add_argument("file", help="the .xlsx or .csv file (for undo: the import id)")
    p.add_argument("--mapping", help="a saved header mapping (JSON: file header -> column)")
    p.add_argument("--save-mapping", help="save the mapping used to this JSON file")
    p.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    p.add_argument("--level", choices=("district", "street", "community"),
                   help="for areas: the level of the file's areas")
    p.add_argument("--crs", help="for boundaries without one, or from web maps: EPSG:NNNN, "
                   "gcj02 or bd09")
    p.add_argument("--encoding", help="attribute encoding of a Shapefile (default: detected)")
    p.add_argument("--as-of", type=_iso_date, default=None, help="the import day (tier since)")
    p.add_argument("--by", default="cli", help="who imports (default: cli)")
    _store_arg(p)
    user = sub.add_parser("user", help="accounts: the first admin, more accounts, the list")
    kinds = user.add_subparsers(dest="user", required=True)
    p = kinds.add_parser("create-admin", help="create an admin account (e.g. the first one)")
    p.add_argument("username")
    _store_arg(p)
    p = kinds.add_parser("create", help="create an account with a role and an area")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=schema.ROLES)
    p.add_argument("--scope", default=None, help="LEVEL:ID the role covers (default: all)")
    p.add_argument("--worker", default=None, help="the worker id (worker, chief, helper)")
    _store_arg(p)
    p = kinds.add_parser("list", help="accounts by name, role, area")
    _store_arg(p)
    token = sub.add_parser("token", help="tokens that log a screen in unattended")
    kinds = token.add_subparsers(dest="token", required=True)
    p = kinds.add_parser("create", help="create a token and print it (shown once)")
    p.add_argument("--role", choices=schema.TOKEN_ROLES, default="screen")
    p.add_argument("--name", default=None, help="a name for the device (default: screen-N)")
    _store_arg(p)
    p = kinds.add_parser("revoke", help="revoke a token by name")
    p.add_argument("name")
    _store_arg(p)
    p = kinds.add_parser("list", help="tokens by name, role, created, revoked")
    _store_arg(p)

    p = sub.add_parser("serve", help="serve many users: N app replicas behind HAProxy "
                       "(cookie affinity, shared store); Ctrl-C stops them all")
    p.add_argument("--replicas", type=int, default=2)
    p.add_argument("--port", type=int, default=8501, help="the proxy's port (default 8501)")
    p.add_argument("--address", default="0.0.0.0", help="the proxy's address")
    p.add_argument("--stats-port", type=int, default=None,
                   help="HAProxy's statistics page on 127.0.0.1:PORT")
    _store_arg(p)
    return parser


def _export(args) -> int:
    from gridmap.places import Area
    store = _open(args)
    as_of = args.as_of or date.today()
    policy = load_policy()
    if args.export == "ledger":
        from gridmap.io import ledger, spreadsheet
        area = Area.parse(args.scope)
        if area.level not in ("community", "grid"):
            raise GridmapError("a ledger is per community or grid: --scope community:ID|grid:ID")
        who = getattr(store, "principal", None)
        if who is not None and not who.lists_households:
            raise GridmapError(f"the {who.role} role sees aggregates only, not a ledger of "
                               "households")
        households = store.read("households", area=area)
        if households.empty:
            raise GridmapError(f"no households in {area}")
        status = household_status(households, store.read("visits", area=area), policy,
                                  as_of=as_of)
        sheets = ledger.ledger_sheets(
            households, status, store.read("grids", area=area), store.read("workers"),
            store.read("assignments", area=area), store.read("household_helpers", area=area),
            personal=args.personal, services=ReadModel(store, policy, as_of).service_texts())
        spreadsheet.write_xlsx(sheets, args.out)
        if args.personal:
            _audit_export(store, str(area), len(households), args.out)
        print(f"wrote {len(households)} households to {args.out}")
        return 0
    from gridmap.i18n import t
    from gridmap.render import snapshot
    fmt = Path(args.out).suffix.lstrip(".").lower()
    if fmt not in snapshot.FORMATS:
        raise GridmapError("--out must end in .png or .pdf")
    area = Area.parse(args.scope) if args.scope else None
    model = ReadModel(store, policy, as_of)
    view = model.map_view(area, args.indicator, args.scheme)
    if area is None:
        place = t("overview.whole_city", args.lang)
    else:
        from gridmap import places
        place = places.name_of(model.frame("areas"), model.frame("grids"), area)
    title = args.title or f"{place} · {t('indicator.' + args.indicator, args.lang)}"
    Path(args.out).write_bytes(snapshot.render(view, title=title, fmt=fmt, lang=args.lang))
    print(f"wrote {args.out}")
    return 0


def _audit_export(store, scope: str, households: int, out: str) -> None:
    """An export with personal fields leaves an audit row: the account with ``--as``,
    else the operator (the OS user running the command)."""
    if hasattr(store, "principal"):  # a GuardedStore: the account, its session
        store.audit("export_personal", scope, households=households, file=Path(out).name,
                    via="cli")
        return
    import getpass
    import json

    import pandas as pd
    store.append_audit([{"at": pd.Timestamp.now().floor("s"),
                         "username": f"operator:{getpass.getuser()}", "session": "cli",
                         "action": "export_personal", "target": scope,
                         "detail": json.dumps({"households": households,
                                               "file": Path(out).name, "via": "cli"},
                                              ensure_ascii=False)}])


def _password() -> str:
    """From $GRIDMAP_PASSWORD (scripts), else asked twice on the terminal."""
    import getpass

    from gridmap.settings import password_from_env
    if password := password_from_env():
        return password
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise GridmapError("the passwords differ")
    return first


def _import(args) -> int:
    from gridmap.io import importing
    store = open_store(args.store)
    if args.kind == "undo":
        store.undo_import(args.file)
        print(f"undid import {args.file}", file=sys.stderr)
        return 0
    name = Path(args.file).name
    mapping = importing.load_mapping(args.mapping) if args.mapping else None
    if args.kind in ("feed", "persons"):
        return _import_matching(args, store, name, mapping)
    if args.kind == "services":  # a provider's service records (issue 21)
        from gridmap.io import services as service_import
        prepared = service_import.prepare(args.file, name, store=store)
    elif args.kind in ("areas", "grids"):
        from gridmap.io.boundaries import prepare_boundaries
        prepared = prepare_boundaries(args.kind, args.file, store=store, level=args.level,
                                      crs=args.crs, encoding=args.encoding, mapping=mapping)
    else:
        prepared = importing.prepare(args.kind, args.file, name, store=store,
                                     mapping=mapping, as_of=args.as_of, progress=_progress)
    if args.save_mapping:
        importing.save_mapping(prepared.mapping, args.save_mapping)
    for problem in prepared.problems:
        print(f"{problem.severity}: {problem}", file=sys.stderr)
    main_layer = "service_records" if args.kind == "services" else args.kind
    accepted = sum(len(f) for layer, f in prepared.frames.items() if layer == main_layer)
    print(f"{name}: {prepared.rows_read} rows read, {accepted} accepted, "
          f"{len(prepared.errors)} errors, {len(prepared.warnings)} warnings", file=sys.stderr)
    if prepared.errors:
        print("error: nothing written", file=sys.stderr)
        return 2
    if args.dry_run:
        return 0
    import_id = importing.commit(store, prepared, by=args.by, progress=_progress)
    print(import_id)
    print(f"imported as {import_id}; undo with: python -m gridmap import undo {import_id}",
          file=sys.stderr)
    return 0


def _import_matching(args, store, name: str, mapping) -> int:
    """``import feed`` (a department's list, matched into alerts) and ``import persons``
    (household members), all or nothing (issue 20)."""
    from gridmap.io import feeds as feed_io
    from gridmap.store.alerts import prepare_feed
    policy = load_policy()
    if args.kind == "persons":
        read = feed_io.read_persons(args.file, name, households=store.read(
            "households", columns=["household_id"]), mapping=mapping)
    else:
        if not args.source:
            raise GridmapError("import feed needs --source NAME (the department, e.g. 医保)")
        received = args.received or date.today()
        read = feed_io.read_feed(args.file, name, policy, received_on=received,
                                 mapping=mapping)
    for problem in read.problems:
        print(f"{problem.severity}: {problem}", file=sys.stderr)
    if read.errors:
        print(f"{name}: {read.rows_read} rows read, {len(read.errors)} errors; error: nothing "
              "written", file=sys.stderr)
        return 2
    if args.kind == "persons":
        print(f"{name}: {len(read.rows)} persons", file=sys.stderr)
        if not args.dry_run:
            print(store.import_rows({"persons": read.rows}, source=name, by=args.by))
        return 0
    prepared = prepare_feed(store, read.rows, source=args.source, file=name,
                            received_on=received, by=args.by, policy=policy)
    feed = prepared.feed
    print(f"{name}: {feed['rows']} rows, {feed['new_rows']} new, {len(prepared.alerts)} "
          f"alerts ({(prepared.alerts['kind'] == 'lead').sum()} leads)", file=sys.stderr)
    if args.dry_run:
        return 0
    print(store.save_feed(prepared))
    purged = store.purge_feed_rows(retention_days=policy.feeds.retention_days,
                                   today=date.today())
    if purged:
        print(f"deleted {purged} feed rows past retention ({policy.feeds.retention_days} "
              "days); their alerts stay", file=sys.stderr)
    return 0


def _user(args) -> int:
    store = open_store(args.store)
    if args.user == "list":
        _write_table(store.read("accounts")[["username", "role", "scope", "worker_id",
                                             "disabled"]], "csv", None)
        return 0
    role = "admin" if args.user == "create-admin" else args.role
    store.create_account(args.username, role, _password(),
                         scope=getattr(args, "scope", None),
                         worker_id=getattr(args, "worker", None))
    print(f"created {role} account {args.username!r}", file=sys.stderr)
    return 0


def _token(args) -> int:
    store = open_store(args.store)
    if args.token == "create":
        tokens = store.read("tokens")
        name = args.name or f"screen-{len(tokens) + 1}"
        token = store.create_token(name, args.role)
        print(token)
        print(f"token {name!r} grants {args.role}; open /screen?token=<it> on the screen. "
              "It is shown only now.", file=sys.stderr)
    elif args.token == "revoke":
        store.revoke_token(args.name)
        print(f"revoked {args.name!r}", file=sys.stderr)
    else:
        _write_table(store.read("tokens")[["name", "role", "created_at", "revoked_at"]], "csv",
                     None)
    return 0


def _rebalance(args) -> int:
    import json

    from gridmap import rebalance
    store = _open(args)
    if args.max_moves is not None and args.max_moves < 0:
        raise GridmapError("--max-moves must be 0 or more")
    scope = rebalance.Scope.parse(args.scope)
    instance = rebalance.instance_from_store(store, scope, load_policy(),
                                             as_of=args.as_of or date.today())
    proposal = rebalance.solve(instance, max_moves=args.max_moves, time_limit=args.time_limit)
    if args.format == "json":
        print(json.dumps(proposal.to_json(), ensure_ascii=False, indent=1))
    else:
        _write_table(proposal.moves, "csv", None)
    if args.apply:
        n = store.reassign(proposal.moves, scope=str(scope), accepted_by=args.by)
        print(f"applied {n} moves to {store.url}", file=sys.stderr)
    return 0


def _progress(fraction: float, message: str) -> None:
    print(f"[{fraction:4.0%}] {message}", file=sys.stderr)


def _write_table(table, fmt: str, out: str | None) -> None:
    """A report to ``out`` (or standard output); CSV and Excel cells never formulas."""
    from gridmap.io import spreadsheet
    if fmt == "xlsx":
        if not out:
            raise GridmapError("--format xlsx needs --out FILE.xlsx")
        spreadsheet.write_xlsx({"report": table}, out)
    elif fmt == "json":
        text = table.to_json(orient="records", force_ascii=False, indent=1)
        Path(out).write_text(text, encoding="utf-8") if out else print(text)
    else:
        text = spreadsheet.csv_text(table)
        Path(out).write_text(text, encoding="utf-8-sig") if out else print(text, end="")


def _assess(args) -> int:
    """Score the valid rows of a survey; the malformed ones are listed by row on
    standard error and left out (an assessment writes nothing to the store). None
    valid: status 2."""
    from gridmap import assessment
    from gridmap.io import survey
    config = assessment.load_config(args.config)
    name = Path(args.file).name
    answers, problems = survey.parse_answers(survey.read_table(args.file, name), config,
                                             name=name)
    if problems:
        for line in survey.problems_text(problems, name):
            print(f"warning: {line}", file=sys.stderr)
        rows = len({p.row for p in problems if p.row})
        print(f"warning: {len(problems)} problems in {rows} rows of {name}: those rows are "
              f"not scored; {len(answers)} rows scored", file=sys.stderr)
    if answers.empty:
        print(f"error: no row of {name} could be scored", file=sys.stderr)
        return 2
    scored = assessment.score_table(answers[config.keys], config)
    dims = [d.key for d in config.dimensions]
    table = scored[["score", *dims, "conclusion", "suggested_tier", "suggested_items"]]
    table.insert(0, "household_id", answers["household_id"])
    fmt = Path(args.out).suffix.lstrip(".") if args.out else "csv"
    _write_table(table, fmt if fmt in ("csv", "json", "xlsx") else "csv", args.out)
    return 0


def _report(model: ReadModel, args):
    """The table of ``report KIND``: the read model's figure, as the CLI prints it."""
    if args.report == "coverage":
        return model.coverage_table(args.level)
    if args.report == "cases":
        return model.case_report(args.level)
    if args.report == "needs":
        return model.need_report(args.level)
    if args.report == "alerts":
        from gridmap import alerts
        table = model.alert_report(args.level)
        who = getattr(model.reader, "principal", None)
        if who is not None and who.households != "full":  # leader, screen: suppressed
            table = alerts.shown_report(table, model.policy.min_count)
        return table
    if args.report == "services":
        table = model.service_report(args.level, args.month)
        who = getattr(model.reader, "principal", None)
        if who is not None and not who.lists_households:  # aggregates only: small counts
            from gridmap.services import suppress_report
            table = suppress_report(table, model.policy.min_count)
        return table
    if args.report == "workload":
        if args.level != "worker":
            return model.workload_summary(args.level)
        return model.worker_loads()[[
            "worker_id", "name", "kind", "capacity", "households", "visits_per_month",
            "load_minutes", "utilisation"]].round({"visits_per_month": 2, "load_minutes": 1,
                                                   "utilisation": 4})
    result = model.hotspots(args.indicator, "gi", permutations=args.permutations, fdr=args.fdr,
                            seed=args.seed)
    return result.rename_axis("grid_id").reset_index()


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        if args.command == "init":
            store = open_store(args.store)
            store.init()
            print(f"created an empty store at {store.url}")
        elif args.command == "demo":
            store = open_store(args.store)
            as_of = args.as_of or default_as_of()
            frames = build_demo(args.scale, seed=args.seed, as_of=as_of, progress=_progress)
            store.init(frames, overwrite=True)
            print(f"built the {args.scale} demo (seed {args.seed}, as of {as_of}) "
                  f"into {store.url}: {len(frames['grids'])} grids, "
                  f"{len(frames['households'])} households, {len(frames['visits'])} visits")
        elif args.command == "upgrade":
            store = open_store(args.store)
            done = store.upgrade()
            for step in done:
                print(f"upgraded to schema version {step}")
            print(f"the store is at schema version {schema.SCHEMA_VERSION}"
                  + ("" if done else " already"))
        elif args.command == "info":
            store = open_store(args.store)
            for layer, spec in schema.LAYERS.items():
                rows = len(store.read(layer, columns=[spec.key[0]]))
                print(f"{layer:18} {rows:>10,}")
            for key, value in store.meta().items():
                print(f"meta.{key} = {value}")
        elif args.command == "assess":
            return _assess(args)
        elif args.command == "rebalance":
            return _rebalance(args)
        elif args.command == "export":
            return _export(args)
        elif args.command == "token":
            return _token(args)
        elif args.command == "user":
            return _user(args)
        elif args.command == "import":
            return _import(args)
        elif args.command == "schema":
            print(schema.schema_markdown())
        elif args.command == "serve":
            from gridmap.serve import serve
            return serve(replicas=args.replicas, port=args.port, address=args.address,
                         store=args.store, stats_port=args.stats_port,
                         say=lambda m: print(m, flush=True))
        elif args.command == "report":
            model = ReadModel(_open(args), load_policy(), args.as_of or date.today())
            _write_table(_report(model, args), args.format, args.out)
    except (GridmapError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
