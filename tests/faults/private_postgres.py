"""A throwaway PostgreSQL server of the test's own, for faults that restart the database:
the shared server on 5432 serves other people's tests and benchmarks and is never touched.

`initdb` into a temporary directory, trust authentication, listening on 127.0.0.1 on a
free port. PostgreSQL refuses to run as root, so when the tests run as root the server's
tools run as the `postgres` user (`runuser`), in a directory that user owns.
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from processes import free_port

__all__ = ["PrivatePostgres", "find_server_binaries"]

SERVER_BINARIES_GLOB = "/usr/lib/postgresql/*/bin"
SERVER_USER = "postgres"
TOOL_TIMEOUT_S = 60


def find_server_binaries() -> Path | None:
    """The newest installed PostgreSQL's bin directory with initdb and pg_ctl, if any."""
    candidates = sorted(
        (Path(d) for d in glob.glob(SERVER_BINARIES_GLOB)),
        key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0,
        reverse=True,
    )
    for bin_dir in candidates:
        if (bin_dir / "initdb").is_file() and (bin_dir / "pg_ctl").is_file():
            return bin_dir
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found and shutil.which("pg_ctl") else None


class PrivatePostgres:
    """Create with `PrivatePostgres.create()`; always `destroy()` it (a fixture's finally)."""

    def __init__(self, bin_dir: Path, root: Path, run_as: str | None) -> None:
        self.bin_dir = bin_dir
        self.root = root
        self.run_as = run_as
        self.port = free_port()
        self.data_dir = root / "data"
        self.log_file = root / "server.log"

    @classmethod
    def create(cls, bin_dir: Path) -> "PrivatePostgres":
        run_as = SERVER_USER if os.geteuid() == 0 else None
        root = Path(tempfile.mkdtemp(prefix="stationhooks-pg-"))
        if run_as:
            user = pwd.getpwnam(run_as)
            os.chown(root, user.pw_uid, user.pw_gid)
        server = cls(bin_dir, root, run_as)
        server._tool(
            "initdb", "-D", server.data_dir, "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-sync", "--no-instructions",
        )  # fmt: skip
        return server

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        self._pg_ctl("start", "-o", options, "-l", self.log_file)

    def restart(self) -> None:
        """Fast shutdown (every session is disconnected), then start with the same options."""
        self._pg_ctl("restart", "-m", "fast", "-l", self.log_file)

    def create_database(self, name: str) -> None:
        self._tool("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)

    def destroy(self) -> None:
        """Stop the server if it runs and remove every file of it."""
        if (self.data_dir / "postmaster.pid").exists():
            self._pg_ctl("stop", "-m", "immediate", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def _pg_ctl(self, action: str, *args, check: bool = True) -> None:
        self._tool("pg_ctl", action, "-D", self.data_dir, "-w", "-t", "30", *args, check=check)

    def _tool(self, name: str, *args, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin_dir / name), *map(str, args)]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        return subprocess.run(
            command,
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            check=check,
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT_S,
        )
