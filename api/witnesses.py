"""Asking the configured witnesses (bên chứng kiến) to cosign each new checkpoint, over HTTP
(C2SP tlog-witness), off the integrator's path.

The process that signs checkpoints (``hoso serve``'s leader, or its single process) pokes a
``WitnessAsker`` after each step of its integrator. The asker's own thread then asks every
configured witness that has not cosigned the latest checkpoint, with a short timeout, verifies
the cosignature against the configured key and stores it (``ledger.witness.client``). A failing
witness is logged once until it recovers and is asked again on the next poke; a slow or dead one
never holds up commands or checkpoints, since nobody waits for the asker.
"""

from __future__ import annotations

import logging
import threading

from api.settings import WitnessSetting
from ledger.log.storage import MerkleLog
from ledger.witness.client import Post, request_cosignature
from ledger.witness.errors import WitnessRequestError
from signing.cosignature import CosignatureVerifier

log = logging.getLogger("hoso.witness")


def http_poster(url: str, timeout: float) -> Post:
    """POST add-checkpoint bodies to ``url``/add-checkpoint with httpx."""
    import httpx

    endpoint = url.rstrip("/") + "/add-checkpoint"

    def post(body: bytes) -> tuple[int, str, bytes]:
        try:
            response = httpx.post(
                endpoint,
                content=body,
                timeout=timeout,
                headers={"Content-Type": "text/plain; charset=utf-8"},
            )
        except httpx.HTTPError as e:
            raise WitnessRequestError(f"cannot reach the witness at {endpoint}: {e}") from e
        return response.status_code, response.headers.get("content-type", ""), response.content

    return post


def ask_witness(log_: MerkleLog, witness: WitnessSetting, timeout: float) -> bool:
    """Ask one witness to cosign the latest checkpoint unless it already has; True if it had
    or now has. Raises ``WitnessError`` (unreachable, refused, invalid answer)."""
    latest = log_.latest_checkpoint()
    if latest is None:
        return False
    verifier = CosignatureVerifier.from_vkey(witness.vkey)
    cosigned = log_.last_cosigned_size(verifier.name)
    if cosigned >= latest.size:
        return True
    request_cosignature(
        log_, http_poster(witness.url, timeout), verifier.name, cosigned, verifier=verifier
    )
    return True


class WitnessAsker:
    """A thread that asks the configured witnesses whenever it is poked."""

    def __init__(
        self, log_: MerkleLog, witnesses: tuple[WitnessSetting, ...], *, timeout: float
    ) -> None:
        self._log = log_
        self._witnesses = witnesses
        self._timeout = timeout
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._failing: set[str] = set()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def poke(self) -> None:
        """There may be a new checkpoint: ask the witnesses soon (never waits for them)."""
        if not self._witnesses or self._stop.is_set():
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="hoso-witnesses", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def ask_all(self) -> None:
        """Ask every witness once, in this thread; failures logged once, never raised."""
        for witness in self._witnesses:
            if self._stop.is_set():
                return
            try:
                ask_witness(self._log, witness, self._timeout)
            except Exception as e:  # a witness is another party: nothing of it may stop us
                if witness.vkey not in self._failing:
                    self._failing.add(witness.vkey)
                    log.warning("witness %s did not cosign: %s", witness.name, e)
                continue
            if witness.vkey in self._failing:
                self._failing.discard(witness.vkey)
                log.info("witness %s cosigns again", witness.name)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                return
            self.ask_all()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=self._timeout * max(1, len(self._witnesses)) + 5)
