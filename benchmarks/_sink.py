"""A counting SMTP sink (aiosmtpd) in a process of its own, for benchmarks/dispatch.py.

Run as `python _sink.py PORT`; it answers 250 to every message, stores nothing, and on SIGTERM
prints how many messages it accepted. In its own process, the sink's work does not compete
with the code being measured for the interpreter lock, as a real mail server would not.
"""

from __future__ import annotations

import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        self.count += 1
        return "250 OK"


def main() -> None:
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=int(sys.argv[1]))
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    print(sink.count, flush=True)


if __name__ == "__main__":
    main()
