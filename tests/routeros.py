"""A small RouterOS API server on 127.0.0.1 for tests: the real client library
connects to it, logs in and reads, over the real wire protocol.

The protocol: a sentence is a series of words, each preceded by its length
(1 to 5 bytes), ended by an empty word. A command's words are its path
('/ppp/active/print'), attributes ('=name=value'), queries ('?name=value')
and a tag ('.tag=1'); the answers are '!re' sentences (one row each) and a
'!done', or a '!trap' with a '=message=', each echoing the tag. Login
(RouterOS 6.43+) is '/login' with '=name=' and '=password='."""
from __future__ import annotations

import socket
import threading
from contextlib import contextmanager

import keyring
from keyring.backend import KeyringBackend


class MemoryKeyring(KeyringBackend):
    """A keyring that works anywhere (a test's own; set with keyring.set_keyring)."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.items = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        self.items.pop((service, username), None)


@contextmanager
def memory_keyring():
    """A MemoryKeyring as the system keyring while the block runs."""
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    try:
        yield memory
    finally:
        keyring.set_keyring(previous)


def _encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    if n < 0x4000:
        return (n | 0x8000).to_bytes(2, "big")
    if n < 0x200000:
        return (n | 0xC00000).to_bytes(3, "big")
    if n < 0x10000000:
        return (n | 0xE0000000).to_bytes(4, "big")
    return b"\xf0" + n.to_bytes(4, "big")


def _read_exact(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _read_word(conn: socket.socket) -> bytes:
    first = _read_exact(conn, 1)[0]
    if first < 0x80:
        n = first
    elif first < 0xC0:
        n = ((first & 0x3F) << 8) | _read_exact(conn, 1)[0]
    elif first < 0xE0:
        n = ((first & 0x1F) << 16) | int.from_bytes(_read_exact(conn, 2), "big")
    elif first < 0xF0:
        n = ((first & 0x0F) << 24) | int.from_bytes(_read_exact(conn, 3), "big")
    else:
        n = int.from_bytes(_read_exact(conn, 4), "big")
    return _read_exact(conn, n)


def read_sentence(conn: socket.socket) -> list[bytes]:
    words = []
    while word := _read_word(conn):
        words.append(word)
    return words


def write_sentence(conn: socket.socket, words: list[bytes]) -> None:
    conn.sendall(b"".join(_encode_length(len(w)) + w for w in [*words, b""]))


class FakeRouter:
    """Serves `tables` ({'/ppp/active': [{'name': ..., ...}], ...}) to the
    user `user` with `password`; `commands` records every command word asked
    (never the password); `fatal_login` ends every login with a '!fatal'. Use
    it as a context manager; `port` is where it listens."""

    def __init__(self, user: str = "api", password: str = "s3cret", tables: dict | None = None,
                 fatal_login: bool = False):
        self.user, self.password, self.fatal_login = user, password, fatal_login
        self.tables = tables or {}
        self.commands: list[str] = []
        self.logins: list[str] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> FakeRouter:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._server.shutdown(socket.SHUT_RDWR)  # wakes the accept() waiting in the thread
        except OSError:
            pass
        self._server.close()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        while True:
            try:
                conn, _addr = self._server.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        logged_in = False
        with conn:
            while True:
                try:
                    words = read_sentence(conn)
                except (ConnectionError, OSError):
                    return
                if not words:
                    continue
                command, rest = words[0].decode(errors="replace"), words[1:]
                attrs, queries, tag = {}, {}, []
                for w in (x.decode(errors="replace") for x in rest):
                    if w.startswith(".tag="):
                        tag = [f".tag={w[5:]}".encode()]
                    elif w.startswith("="):
                        key, _sep, value = w[1:].partition("=")
                        attrs[key] = value
                    elif w.startswith("?"):
                        key, _sep, value = w[1:].partition("=")
                        queries[key] = value
                self.commands.append(command)

                def trap(message: str, tag: list[bytes] = tag) -> None:
                    write_sentence(conn, [b"!trap", f"=message={message}".encode(), *tag])
                    write_sentence(conn, [b"!done", *tag])

                if command == "/login" and self.fatal_login:
                    write_sentence(conn, [b"!fatal", b"=message=session terminated", *tag])
                    return
                if command == "/login":
                    self.logins.append(attrs.get("name", ""))
                    logged_in = (attrs.get("name"), attrs.get("password")) == (self.user, self.password)
                    if logged_in:
                        write_sentence(conn, [b"!done", *tag])
                    else:
                        trap("invalid user name or password (6)")
                elif not logged_in:
                    write_sentence(conn, [b"!fatal", b"not logged in"])
                    return
                elif command.endswith("/print") and command.removesuffix("/print") in self.tables:
                    for row in self.tables[command.removesuffix("/print")]:
                        if all(str(row.get(k, "")) == v for k, v in queries.items()):
                            write_sentence(conn, [b"!re", *(f"={k}={v}".encode() for k, v in row.items()), *tag])
                    write_sentence(conn, [b"!done", *tag])
                else:
                    trap("no such command prefix")
