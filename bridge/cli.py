"""`bridge` command line: serve the API, migrate the database, manage signing keys, check
the connections with Moodle."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `bridge` command."""
    parser = argparse.ArgumentParser(prog="bridge", description="Moodle Bridge API service")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API (migrates first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--forwarded-allow-ips", default=os.environ.get("FORWARDED_ALLOW_IPS", ""),
        help="comma-separated proxy addresses, networks or host names whose X-Forwarded-For "
             "is believed (default: $FORWARDED_ALLOW_IPS, else none)")
    serve.add_argument(
        "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1")),
        help="API processes (default: $WEB_CONCURRENCY, else 1); compose runs one per core")
    serve.add_argument("--no-access-log", action="store_true",
                       help="leave request logging to the bridge's own access log")
    commands.add_parser("migrate", help="bring the database schema to head, publish a key")
    keys = commands.add_parser("keys", help="SSO signing keys").add_subparsers(
        dest="keys_command", required=True)
    rotate = keys.add_parser("rotate", help="publish a new key; it signs after the JWKS max-age")
    rotate.add_argument("--alg", choices=["RS256", "ES256"], default="RS256")
    keys.add_parser("list", help="signing keys and their states")
    check = commands.add_parser(
        "check-moodle", help="say whether each connection with each Moodle site works")
    check.add_argument("--site", help="only this site of MOODLE_SITES")
    check.add_argument("--bridge-url", help="the bridge as Moodle reaches it (default: "
                                            "PUBLIC_URL)")
    args = parser.parse_args(argv)

    from bridge.config import get_settings

    settings = get_settings()
    if settings.is_sqlite:
        from bridge.config import VAR_DIR

        VAR_DIR.mkdir(exist_ok=True)
    if args.command == "migrate":
        _migrate()
        return 0
    if args.command == "keys":
        return _keys(args.keys_command, getattr(args, "alg", None))
    if args.command == "check-moodle":
        return _check_moodle(args.site, args.bridge_url)
    if args.command == "serve":
        _migrate()
        _serve(args.host, args.port, args.forwarded_allow_ips, access_log=not args.no_access_log,
               workers=max(1, args.workers))
        return 0
    return 2


def _migrate() -> None:
    """Schema to head, then a signing key: Moodle may fetch the JWKS before anyone signs in."""
    from bridge.auth import signing_keys
    from bridge.db import session_scope
    from bridge.migrate import upgrade

    upgrade()
    with session_scope() as session:
        signing_keys.ensure_signing_key(session)


def served_app() -> Any:
    """The app as `bridge serve` runs it: behind $FORWARDED_ALLOW_IPS's proxies, if any."""
    from bridge.app import app
    from bridge.forwarded import ForwardedHeadersMiddleware, TrustedProxies

    trusted = TrustedProxies.parse(os.environ.get("FORWARDED_ALLOW_IPS", ""))
    # uvicorn's own proxy handling is off: it would trust 127.0.0.1 (any local client) by
    # default and cannot follow a proxy's host name.
    return ForwardedHeadersMiddleware(app, trusted) if trusted else app


def _serve(host: str, port: int, forwarded_allow_ips: str, *, access_log: bool,
           workers: int) -> None:
    import uvicorn

    # Read by served_app here and in every worker process uvicorn spawns.
    os.environ["FORWARDED_ALLOW_IPS"] = forwarded_allow_ips
    # Several workers need the app by name (each process imports it); caches and the hashing
    # slots are then per process. log_config=None: the app configures logging when imported;
    # uvicorn's own configuration would put its plain handlers in front of the bridge's.
    target: Any = "bridge.cli:served_app" if workers > 1 else served_app()
    uvicorn.run(target, factory=workers > 1, workers=workers, host=host, port=port,
                proxy_headers=False, server_header=False, access_log=access_log,
                log_config=None)


def _check_moodle(only: str | None, bridge_url: str | None) -> int:
    import httpx

    from bridge.config import get_settings
    from bridge.moodle.check import check_site

    settings = get_settings()
    sites = {k: v for k, v in settings.moodle_sites.items() if only in (None, k)}
    if not sites:
        print(f"no site {only!r} in MOODLE_SITES" if only else "MOODLE_SITES is empty")
        return 1
    failed = 0
    with httpx.Client(base_url=(bridge_url or settings.public_url).rstrip("/"),
                      timeout=10.0) as bridge:
        for site_id, site in sites.items():
            for check in check_site(site_id, site, bridge=bridge):
                print(check.line())
                failed += not check.ok
    return 1 if failed else 0


def _keys(command: str, alg: str | None) -> int:
    from bridge.auth import signing_keys
    from bridge.db import session_scope

    with session_scope() as session:
        if command == "rotate":
            assert alg is not None
            signing_keys.rotate_keys(session, alg=alg)
        for view in signing_keys.list_keys(session):
            print(f"{view.key.kid}  {view.key.alg}  {view.state:<7}  "
                  f"signs from {view.key.activates_at.isoformat(timespec='seconds')}"
                  + (f"  unpublished at {view.unpublish_at.isoformat(timespec='seconds')}"
                     if view.unpublish_at else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
