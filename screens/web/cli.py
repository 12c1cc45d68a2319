"""`atende web`: the web pages served by waitress (a production WSGI server)."""
from __future__ import annotations

import click

from screens.cli_base import Context
from services.core.i18n import _


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (behind a TLS proxy).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--trusted-proxy", default="127.0.0.1", show_default=True, metavar="ADDRESS",
              help="The reverse proxy whose X-Forwarded-For/-Proto headers say who the visitor is "
                   "(rate limits, consent records); '' trusts none.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.pass_obj
def web(obj: Context, host: str, port: int, trusted_proxy: str, threads: int) -> None:
    """Serve the web pages for participants and companies (events, access, certificates, Contact us)."""
    from waitress import serve

    from screens.web.app import create_app

    application = create_app(obj.target, language=obj.config.locale or "")
    click.echo(_("Atende web on http://{host}:{port}/ ; Ctrl+C stops it.").format(host=host, port=port), err=True)
    proxy = {"trusted_proxy": trusted_proxy, "trusted_proxy_count": 1, "clear_untrusted_proxy_headers": True,
             "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"}} if trusted_proxy else {}
    serve(application, host=host, port=port, threads=threads, ident="atende", **proxy)
