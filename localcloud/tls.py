"""A throw-away certificate authority and server certificate for local HTTPS, issued by trustme.

crhelper always sends its response over HTTPS, whatever the ResponseURL's scheme, so the local
CloudFormation response endpoint must speak TLS with a certificate the provider trusts
(through ``SSL_CERT_FILE``, which names the CA file written here).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme

from lookoutvision_localcloud.httpserver import LOOPBACK


@dataclass(frozen=True)
class LocalCertificate:
    """``ca_file``: the PEM file a client trusts; ``server_context()``: the server's TLS context."""

    ca_file: Path
    _certificate: trustme.LeafCert

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._certificate.configure_cert(context)
        return context


def issue_certificate(directory: Path) -> LocalCertificate:
    """A new CA (written to ``directory/ca.pem``) and a certificate for 127.0.0.1 and localhost signed by it."""
    directory.mkdir(parents=True, exist_ok=True)
    authority = trustme.CA(organization_name="localcloud")
    ca_file = directory / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    return LocalCertificate(ca_file, authority.issue_cert(LOOPBACK, "localhost"))
