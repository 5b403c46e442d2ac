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
    if args.command == "serve":
        import uvicorn

        upgrade()
        uvicorn.run("bridge.app:app", host=args.host, port=args.port, proxy_headers=True)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
