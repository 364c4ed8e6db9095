"""``scsync emulator serve`` and ``scsync emulator seed``: the click group of the main CLI."""

from __future__ import annotations

import ssl
import tempfile
from pathlib import Path

import click

from scsync.emulator.errors import EmulatorError
from scsync.emulator.faults import Faults

# The server, the store and the rate limiter are imported by the commands that use them, so that
# registering this group in the main CLI costs nothing at start-up.


def _rate(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    from scsync.emulator.ratelimit import parse

    try:
        return parse(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not CALLS/SECONDS (e.g. 350/3600)") from None


def _say(line: str) -> None:
    click.echo(line)


@click.group("emulator")
def emulator() -> None:
    """The local Social Connect platform (SQLite-backed)."""


@emulator.command("serve")
@click.option("--db", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=0, type=int, help="0: an ephemeral port")
@click.option("--fixture", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rate-limit", callback=_rate, help="CALLS/SECONDS, default 350/3600")
@click.option("--fault-error-rate", default=0.0, type=float)
@click.option("--fault-drop-rate", default=0.0, type=float)
@click.option("--fault-lost-response-rate", default=0.0, type=float)
@click.option("--fault-slow-rate", default=0.0, type=float)
@click.option("--latency-ms", default=0, type=int)
@click.option("--fault-seed", default=None, type=int)
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="serve https with this PEM certificate (with --tls-key)")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tls-self-signed", is_flag=True,
              help="serve https with a throwaway CA; prints ca_file: PATH for the clients")
@click.option("--api", type=click.Choice(["full", "public"]), default="full", show_default=True,
              help="public: answer not_found for every operation without public evidence.")
def serve(db: Path, host: str, port: int, fixture: Path | None,
          rate_limit: tuple[int, int] | None, fault_error_rate: float, fault_drop_rate: float,
          fault_lost_response_rate: float, fault_slow_rate: float, latency_ms: int,
          fault_seed: int | None, tls_cert: Path | None, tls_key: Path | None,
          tls_self_signed: bool, api: str) -> None:
    """Serve the platform API and its web-app origin (OAuth) on HTTP or HTTPS (loopback unless
    --host says otherwise)."""
    from scsync.emulator.emulator import open_emulator
    from scsync.emulator.server import serve as serve_forever

    with tempfile.TemporaryDirectory(prefix="scsync-emulator-tls-") as scratch:
        try:
            tls = _tls(tls_cert, tls_key, tls_self_signed, Path(scratch))
            faults = Faults(error_rate=fault_error_rate, drop_rate=fault_drop_rate,
                            lost_response_rate=fault_lost_response_rate,
                            slow_rate=fault_slow_rate, latency_ms=latency_ms, seed=fault_seed)
            emu = open_emulator(db, fixture=fixture, rate_limit=rate_limit, faults=faults,
                                api=api)
        except EmulatorError as exc:
            raise click.ClickException(str(exc)) from None
        context, ca_file = tls or (None, None)
        serve_forever(emu, host=host, port=port, tls=context, ca_file=ca_file, announce=_say)


def _tls(cert: Path | None, key: Path | None, self_signed: bool,
         scratch: Path) -> tuple[ssl.SSLContext, Path | None] | None:
    """The server's TLS context and the CA file clients need (self-signed only), or None."""
    from scsync.emulator import tls

    if self_signed and (cert or key):
        raise click.UsageError("give either --tls-self-signed or --tls-cert/--tls-key")
    if self_signed:
        return tls.self_signed(scratch)
    if bool(cert) != bool(key):
        raise click.UsageError("--tls-cert and --tls-key go together")
    if cert and key:
        return tls.from_files(cert, key), None
    return None


@emulator.command("seed")
@click.option("--db", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--fixture", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path))
def seed(db: Path, fixture: Path) -> None:
    """Create a platform database from a fixture."""
    from scsync.emulator.emulator import seed_database

    try:
        seed_database(db, fixture).close()
    except EmulatorError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"seeded {db} from {fixture}")


if __name__ == "__main__":
    emulator()
