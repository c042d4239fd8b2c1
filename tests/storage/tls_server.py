"""A throwaway PostgreSQL server that speaks TLS only, for the ``verify-full`` tests.

The shared test server runs without SSL and is not ours to reconfigure, so the TLS tests
start their own cluster: ``initdb`` into a temporary folder, a private CA and a server
certificate made with ``cryptography``, ``ssl = on``, and a ``pg_hba.conf`` with
``hostssl`` lines only (a client in the clear is refused). It listens on 127.0.0.1 on a
free port and is stopped and deleted afterwards.

``initdb`` refuses to run as root, so under root (CI containers, this machine) the server
runs as the ``postgres`` system account through ``runuser``; its folder is then given to
that account.
"""

from __future__ import annotations

import datetime as dt
import glob
import ipaddress
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

BINDIR_ENV = "MENTORMATCH_PG_BINDIR"
SERVER_ACCOUNT = "postgres"


def find_bindir() -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` live: ``$MENTORMATCH_PG_BINDIR``, ``pg_config
    --bindir``, the newest Debian/Ubuntu ``/usr/lib/postgresql/N/bin``, or the PATH."""
    candidates: list[str] = []
    if os.environ.get(BINDIR_ENV):
        candidates.append(os.environ[BINDIR_ENV])
    pg_config = shutil.which("pg_config")
    if pg_config:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if done.returncode == 0:
            candidates.append(done.stdout.strip())
    debian = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(debian, key=lambda p: int(Path(p).parent.name), reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).parent))
    for folder in candidates:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def unavailable_reason() -> str | None:
    """Why a TLS server cannot be started here, or None when it can."""
    if find_bindir() is None:
        return (
            "no PostgreSQL server binaries (initdb, pg_ctl) found: install the server "
            f"package or set {BINDIR_ENV}"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_ACCOUNT)
        except KeyError:
            return f"running as root and there is no {SERVER_ACCOUNT!r} account to run initdb"
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing: initdb cannot run as root"
    return None


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)  # the server refuses a key others can read


def make_ca(common_name: str, folder: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A self-signed CA; its certificate is written to ``folder/<common name>.crt``."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    (folder / f"{common_name.replace(' ', '-')}.crt").write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
    )
    return key, cert


def make_server_cert(
    ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate, folder: Path
) -> tuple[Path, Path]:
    """``server.crt``/``server.key`` for ``localhost`` and ``127.0.0.1``, signed by ``ca``."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    crt, pem = folder / "server.crt", folder / "server.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(key, pem)
    return crt, pem


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class TlsServer:
    """A running TLS-only PostgreSQL; ``ca`` signed its certificate, ``wrong_ca`` did not."""

    port: int
    ca: Path
    wrong_ca: Path
    folder: Path
    bindir: Path

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_ACCOUNT, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=check)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop",
                  check=False)  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)


def start_tls_server(client_dir: Path) -> TlsServer:
    """Start the server; the CA certificates the clients use are written to ``client_dir``."""
    bindir = find_bindir()
    assert bindir is not None
    # Not under pytest's tmp dir: that is private to the test's user, and the server may
    # run as another account.
    folder = Path(tempfile.mkdtemp(prefix="mm-tls-pg-"))
    folder.chmod(0o700)
    ca_key, ca = make_ca("MentorMatch Test CA", client_dir)
    make_ca("Some Other CA", client_dir)
    crt, key = make_server_cert(ca_key, ca, folder)
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVER_ACCOUNT)
        for path in (folder, crt, key):
            os.chown(path, account.pw_uid, account.pw_gid)
    server = TlsServer(
        port=0, ca=client_dir / "MentorMatch-Test-CA.crt",
        wrong_ca=client_dir / "Some-Other-CA.crt", folder=folder, bindir=bindir,
    )  # fmt: skip
    data = folder / "data"
    try:
        server._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                    "--no-sync", "--no-instructions")  # fmt: skip
        # TLS or nothing over TCP; the Unix socket (in our folder) is for pg_ctl only.
        hba = "local all all trust\nhostssl all all 127.0.0.1/32 trust\n"
        _write_as_server(data / "pg_hba.conf", hba)
        last_error = ""
        for _attempt in range(5):  # a free port may be taken between finding and binding it
            port = _free_port()
            options = " ".join(
                [
                    f"-c port={port}",
                    "-c listen_addresses=127.0.0.1",
                    f"-c unix_socket_directories={folder}",
                    "-c ssl=on",
                    f"-c ssl_cert_file={crt}",
                    f"-c ssl_key_file={key}",
                    "-c fsync=off",
                    "-c max_connections=20",
                    "-c shared_buffers=16MB",
                ]
            )
            done = server._run("pg_ctl", "-D", str(data), "-l", str(folder / "server.log"),
                               "-w", "-t", "60", "-o", options, "start", check=False)  # fmt: skip
            if done.returncode == 0:
                server.port = port
                return server
            last_error = done.stdout + done.stderr + _tail(folder / "server.log")
            time.sleep(0.2)
        raise RuntimeError(f"the TLS PostgreSQL server did not start: {last_error}")
    except BaseException:
        server.stop()
        raise


def _write_as_server(path: Path, text: str) -> None:
    """Write a file in the server's data folder, owned by the server's account."""
    path.write_text(text)
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVER_ACCOUNT)
        os.chown(path, account.pw_uid, account.pw_gid)
    path.chmod(0o600)


def _tail(path: Path) -> str:
    try:
        return path.read_text()[-2000:]
    except OSError:
        return ""
