"""A fault-injecting TCP proxy for weak-signal tests (kernel traffic shaping is unavailable).

Between a client and a server on loopback it adds latency, caps bandwidth, drops connections
at random and can cut a response after N bytes — the half-delivered replies of EDGE links.
Seeded, so a failing scenario replays.
"""
from __future__ import annotations

import random
import socket
import threading
import time


class WeakLink:
    def __init__(self, upstream_port: int, *, latency_ms: float = 0, bytes_per_s: float = 0,
                 drop_probability: float = 0.0, cut_response_after: int | None = None,
                 seed: int = 112, upstream_host: str = "127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self.latency_s, self.bytes_per_s = latency_ms / 1000, bytes_per_s
        self.drop_probability, self.cut_response_after = drop_probability, cut_response_after
        self.rng, self.rng_lock = random.Random(seed), threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = self.dropped = 0
        self._stop = threading.Event()

    def start(self) -> "WeakLink":
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.rng_lock:
                self.connections += 1
                drop_after = None
                if self.rng.random() < self.drop_probability:
                    self.dropped += 1
                    drop_after = self.rng.randint(0, 400)  # mid-request or mid-response
            threading.Thread(target=self._serve, args=(client, drop_after), daemon=True).start()

    def _serve(self, client: socket.socket, drop_after: int | None) -> None:
        try:
            server = socket.create_connection(self.upstream, timeout=30)
        except OSError:
            client.close()
            return
        done = threading.Event()
        cut = self.cut_response_after if drop_after is None else drop_after
        threading.Thread(target=self._pump, args=(client, server, None, done),
                         daemon=True).start()
        self._pump(server, client, cut, done)
        done.wait(1)
        for s in (client, server):
            try:
                s.close()
            except OSError:
                pass

    def _pump(self, src: socket.socket, dst: socket.socket, cut: int | None,
              done: threading.Event) -> None:
        sent, first = 0, True
        try:
            while True:
                data = src.recv(4096)
                if not data:
                    break
                if first and self.latency_s:
                    time.sleep(self.latency_s)
                first = False
                if cut is not None and sent + len(data) > cut:
                    dst.sendall(data[:max(0, cut - sent)])
                    break  # the link dies here
                if self.bytes_per_s:
                    time.sleep(len(data) / self.bytes_per_s)
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        finally:
            done.set()
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
