"""The render's kernel client (neocloud.pipeline.kernels.ReadyKernelClient): ready as soon as the
kernel has answered on shell and IOPub, never before, and starting over as jupyter_client does when
IOPub was not yet connected; against scripted channels (each case of the protocol) and a real kernel."""

from __future__ import annotations

from queue import Empty

import pytest
from jupyter_client import AsyncKernelManager
from jupyter_core.utils import run_sync

from neocloud.pipeline.kernels import ReadyKernelClient, WarmKernel


class ScriptedChannel:
    """A channel whose ``get_msg`` hands out the messages queued for each request in turn; a
    request with nothing (left) queued times out with ``Empty``, as a ZMQ channel does."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self._queue: list[dict] = []

    def send(self, msg: dict) -> None:
        """A request goes nowhere: what answers it is queued by :class:`Kernel`."""

    def arrive(self, messages: list[dict]) -> None:
        self._queue.extend(messages)

    async def get_msg(self, timeout: float | None = None) -> dict:
        self.waits.append(timeout)
        if not self._queue:
            raise Empty
        return self._queue.pop(0)


def _msg(parent_id: str, msg_type: str, **content) -> dict:
    return {"parent_header": {"msg_id": parent_id}, "msg_type": msg_type, "header": {"msg_type": msg_type},
            "content": content}


def _reply(parent_id: str, protocol_version: str = "5.3") -> dict:
    return _msg(parent_id, "kernel_info_reply", status="ok", protocol_version=protocol_version)


def _status(parent_id: str, state: str) -> dict:
    return _msg(parent_id, "status", execution_state=state)


class Kernel:
    """What the kernel answers to the n-th ``kernel_info_request``: ``(shell, iopub)`` messages,
    written with the ids of the requests the client actually sent."""

    def __init__(self, client: ReadyKernelClient, answers, alive: bool = True):
        self.answers, self.alive, self.requests = answers, alive, []
        shell, iopub = ScriptedChannel(), ScriptedChannel()
        client._shell_channel, client._iopub_channel = shell, iopub
        original = client.kernel_info

        def kernel_info() -> str:
            msg_id = original()
            self.requests.append(msg_id)
            n = len(self.requests) - 1
            to_shell, to_iopub = self.answers(self.requests, n) if n < 10 else ([], [])
            shell.arrive(to_shell)
            iopub.arrive(to_iopub)
            return msg_id

        client.kernel_info = kernel_info

        async def is_alive() -> bool:
            return self.alive

        client._async_is_alive = is_alive
        self.shell, self.iopub = shell, iopub


def _client() -> ReadyKernelClient:
    return ReadyKernelClient(parent=AsyncKernelManager())


def test_ready_when_the_kernel_answered_on_both_channels_and_nothing_older_is_left_on_iopub():
    client = _client()
    k = Kernel(client, lambda ids, n: ([_reply(ids[n], "4.1")], [_status(ids[n], "busy"), _status(ids[n], "idle")]))
    k.iopub.arrive([_status("an-earlier-request", "idle"), _msg("an-earlier-request", "stream", text="x")])
    run_sync(client.wait_for_ready)(timeout=5)
    assert len(k.requests) == 1
    assert k.iopub._queue == []  # everything older than the answer was read past, as jupyter_client flushes
    assert client.session.adapt_version == 4  # the reply was handled: messages adapted to the kernel's protocol


def test_a_late_iopub_subscription_sends_the_request_again():
    # the first answer's IOPub messages were published before the client subscribed (lost): the
    # client asks again, as jupyter_client starts over, and is ready on the second answer
    def answers(ids, n):
        if n == 0:
            return [_reply(ids[0])], []
        return [_reply(ids[n])], [_status(ids[n], "busy"), _status(ids[n], "idle")]

    client = _client()
    k = Kernel(client, answers)
    run_sync(client.wait_for_ready)(timeout=5)
    assert len(k.requests) == 2


def test_replies_to_older_requests_are_read_past():
    # a slow kernel answers the first request after the client gave up on it (no reply within
    # 1 s): the second attempt reads past the first's reply and statuses to its own
    def answers(ids, n):
        if n == 0:
            return [], []
        return ([_reply(ids[0]), _reply(ids[1])],
                [_status(ids[0], "busy"), _status(ids[0], "idle"), _status(ids[1], "busy"), _status(ids[1], "idle")])

    client = _client()
    k = Kernel(client, answers)
    run_sync(client.wait_for_ready)(timeout=5)
    assert len(k.requests) == 2 and k.iopub._queue == []


def test_busy_alone_is_not_ready():
    # an answer whose idle status has not come is not an answer: ask again
    def answers(ids, n):
        return [_reply(ids[n])], [_status(ids[n], "busy")] + ([_status(ids[n], "idle")] if n == 2 else [])

    client = _client()
    k = Kernel(client, answers)
    run_sync(client.wait_for_ready)(timeout=5)
    assert len(k.requests) == 3


def test_a_dead_kernel_and_a_silent_kernel_raise_as_jupyter_client_does():
    client = _client()
    Kernel(client, lambda ids, n: ([], []), alive=False)
    with pytest.raises(RuntimeError, match="Kernel died before replying to kernel_info"):
        run_sync(client.wait_for_ready)(timeout=5)
    client = _client()
    k = Kernel(client, lambda ids, n: ([], []))
    with pytest.raises(RuntimeError, match="Kernel didn't respond in 0 seconds"):
        run_sync(client.wait_for_ready)(timeout=0)
    assert k.shell.waits == [1]  # waited for the reply as jupyter_client does (1 s), then gave up


def test_a_real_kernel_is_ready_and_runs_code_with_nothing_stale_on_iopub(tmp_path):
    kernel = WarmKernel()
    try:
        km = kernel.manager_for(tmp_path)
        assert km.client_factory is ReadyKernelClient

        async def run() -> list[str]:
            kc = km.client()
            kc.start_channels()
            try:
                await kc.wait_for_ready(timeout=60)
                with pytest.raises(Empty):
                    await kc.iopub_channel.get_msg(timeout=0)  # nothing left over from the handshake
                msg_id = kc.execute("print(6 * 7)")
                texts = []
                while True:
                    msg = await kc.iopub_channel.get_msg(timeout=30)
                    if msg["parent_header"].get("msg_id") != msg_id:
                        continue
                    if msg["msg_type"] == "stream":
                        texts.append(msg["content"]["text"])
                    if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                        return texts
            finally:
                kc.stop_channels()

        assert run_sync(run)() == ["42\n"]
    finally:
        kernel.shutdown()
