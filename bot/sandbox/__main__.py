"""Run the sandbox Bot API server standalone: ``python -m bot.sandbox --host 127.0.0.1 --port 8081``."""

import argparse
import asyncio

from .server import SandboxServer


async def serve(args: argparse.Namespace) -> None:
    limits = {"enabled": not args.no_limits, "scale": args.limit_scale}
    server = SandboxServer(limits=limits, privacy_mode=not args.no_privacy, seed=args.seed)
    base_url = await server.start(args.host, args.port)
    print(base_url, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--no-limits", action="store_true", help="switch Telegram's flood limits off")
    parser.add_argument("--limit-scale", type=float, default=1.0, help="multiply every flood allowance")
    parser.add_argument("--no-privacy", action="store_true", help="bots see every group message")
    parser.add_argument("--seed", type=int, help="seed for probabilistic faults")
    try:
        asyncio.run(serve(parser.parse_args()))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
