"""The worker's side of the runner protocol: frames on the exec stream, jobs and outcomes.

Both directions carry a decimal length, a newline and that many bytes of JSON. The runner's
answers arrive inside Docker's multiplexed exec framing (stdout and stderr interleaved).
"""

from __future__ import annotations

import json
import logging
import struct
import time
from base64 import b64decode, b64encode
from typing import Any

from grader.sandbox import ProcessOutcome, SandboxJob, SandboxOutcome, Step

log = logging.getLogger(__name__)

MAX_RESULT_BYTES = 256 * 1024 * 1024


class RunnerStream:
    """The open stdin/stdout of one runner exec: one job out, one answer back, many times."""

    def __init__(self, attached: Any) -> None:
        self.attached = attached  # keeps the SDK's wrapper (and the connection) alive
        self.sock: Any = getattr(attached, "_sock", attached)
        self.buffer = bytearray()
        self.deadline = 0.0

    def exchange(self, payload: bytes, deadline: float) -> dict[str, Any]:
        """Send one job; wait until `deadline` for its answer."""
        self.deadline = deadline
        self.sock.settimeout(max(deadline - time.monotonic(), 0.1))
        self.sock.sendall(str(len(payload)).encode() + b"\n" + payload)
        return self.read_frame(deadline)

    def read_frame(self, deadline: float) -> dict[str, Any]:
        """One framed JSON document from the runner."""
        self.deadline = deadline
        length = int(self._read_line())
        if not 0 < length <= MAX_RESULT_BYTES:
            raise ValueError(f"runner announced {length} bytes")
        answer: dict[str, Any] = json.loads(self._read_exact(length))
        return answer

    def close(self) -> None:
        try:
            self.sock.close()
        finally:
            self.attached.close()

    def _recv(self, n: int) -> bytes:
        data = bytearray()
        while len(data) < n:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            self.sock.settimeout(remaining)
            chunk = self.sock.recv(n - len(data))  # socket.timeout is TimeoutError
            if not chunk:
                raise EOFError("runner ended without a result")
            data += chunk
        return bytes(data)

    def _fill(self) -> None:
        stream, size = struct.unpack(">BxxxL", self._recv(8))
        payload = self._recv(size)
        if stream == 1:
            self.buffer += payload
        elif stream == 2:
            log.debug("runner stderr: %r", payload[:500])

    def _read_line(self) -> bytes:
        while b"\n" not in self.buffer:
            if len(self.buffer) > 32:
                raise ValueError("malformed runner header")
            self._fill()
        line, _, rest = bytes(self.buffer).partition(b"\n")
        self.buffer = bytearray(rest)
        return line

    def _read_exact(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self._fill()
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        return data


def _step(step: Step) -> dict[str, Any]:
    return {
        "id": step.id,
        "argv": step.argv,
        "time_s": step.time_s,
        "stdin": b64encode(step.stdin).decode(),
        "files": {k: b64encode(v).decode() for k, v in step.files.items()},
        "env": step.env,
        "read_back": step.read_back,
        "memory_mb": step.memory_mb,
    }


def encode_job(job: SandboxJob) -> bytes:
    """The job as the runner reads it."""
    limits = job.limits
    return json.dumps({
        "files": {k: b64encode(v).decode() for k, v in job.files.items()},
        "compile": _step(job.compile) if job.compile else None,
        "tests": [_step(t) for t in job.tests],
        "limits": {
            "memory_mb": limits.memory_mb,
            "processes": limits.processes,
            "output_bytes": limits.output_bytes,
            "file_size_bytes": limits.file_size_bytes,
            "total_time_s": limits.total_time_s,
            "address_space_extra_mb": limits.address_space_extra_mb,
        },
    }).encode()


def _outcome(raw: dict[str, Any]) -> ProcessOutcome:
    def number(key: str) -> Any:
        value = raw.get(key)
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None

    read_back = raw.get("read_back")
    return ProcessOutcome(
        id=str(raw.get("id", "")),
        exit_code=number("exit_code"),
        signal=number("signal"),
        timed_out=bool(raw.get("timed_out")),
        output_exceeded=bool(raw.get("output_exceeded")),
        stdout=b64decode(raw.get("stdout") or ""),
        stderr=b64decode(raw.get("stderr") or ""),
        wall_s=float(number("wall_s") or 0.0),
        cpu_s=number("cpu_s"),
        max_rss_kb=number("max_rss_kb"),
        read_back=b64decode(read_back) if isinstance(read_back, str) else None,
        skipped=raw.get("skipped") if isinstance(raw.get("skipped"), str) else None,
    )


def decode_outcome(job: SandboxJob, image_id: str, raw: dict[str, Any]) -> SandboxOutcome:
    """The runner's answer as outcomes in the job's test order; a missing test is skipped."""
    compiled = _outcome(raw["compile"]) if isinstance(raw.get("compile"), dict) else None
    by_id = {str(t.get("id")): t for t in raw.get("tests", []) if isinstance(t, dict)}
    tests = [_outcome(by_id[t.id]) if t.id in by_id else ProcessOutcome(id=t.id, skipped="not run")
             for t in job.tests]
    return SandboxOutcome(image_digest=image_id, compile=compiled, tests=tests)


def aborted(job: SandboxJob, image_id: str, why: str, timed_out: bool) -> SandboxOutcome:
    """Every test of a run that broke as a whole."""
    tests = [ProcessOutcome(id=t.id, timed_out=timed_out, skipped=why) for t in job.tests]
    return SandboxOutcome(image_digest=image_id, compile=None, tests=tests, error=why)
