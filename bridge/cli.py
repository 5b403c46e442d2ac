"""`bridge` command line: serve the API, migrate the database."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `bridge` command."""
    parser = argparse.ArgumentParser(prog="bridge", description="Moodle Bridge API service")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API (migrates first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    commands.add_parser("migrate", help="bring the database schema to head")
    keys = commands.add_parser("keys", help="SSO signing keys").add_subparsers(
        dest="keys_command", required=True)
    rotate = keys.add_parser("rotate", help="publish a new key; it signs after the JWKS max-age")
    rotate.add_argument("--alg", choices=["RS256", "ES256"], default="RS256")
    keys.add_parser("list", help="signing keys and their states")
    args = parser.parse_args(argv)

    from bridge.config import get_settings
    from bridge.migrate import upgrade

    settings = get_settings()
    if settings.is_sqlite:
        from bridge.config import VAR_DIR

        VAR_DIR.mkdir(exist_ok=True)
    if args.command == "migrate":
        upgrade()
        return 0
    if args.command == "keys":
        return _keys(args.keys_command, getattr(args, "alg", None))
    if args.command == "serve":
        import uvicorn

        upgrade()
        uvicorn.run("bridge.app:app", host=args.host, port=args.port, proxy_headers=True)
        return 0
    return 2


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
