"""The kernel manager the batch runner starts notebooks with.

On POSIX systems kernels talk over Unix-domain sockets (ZeroMQ ``ipc``) in a private,
short temporary folder instead of TCP ports on localhost: parallel runs cannot race for
the same port ("Address already in use", papermill #578), nothing listens on the network,
and ipykernel does not warn about unencrypted TCP. Elsewhere the default TCP transport is
used.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from jupyter_client.manager import AsyncKernelManager
from traitlets import default

__all__ = ["IPCKernelManager", "kernel_manager_class"]


class IPCKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` using ``ipc`` sockets in a private temporary folder."""

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc"

    @default("ip")
    def _default_ip(self) -> str:
        # Unix socket paths are limited to about 100 characters: keep them short and private
        self._ipc_dir = tempfile.mkdtemp(prefix="cdpk-")
        return os.path.join(self._ipc_dir, "k")

    async def _async_interrupt_kernel(self) -> None:
        # jupyter_client interrupts every kernel it shuts down; after a finished run the kernel
        # is idle, and ipykernel then prints "KeyboardInterrupt caught in kernel" into the
        # batch's output. A kernel still busy at shutdown gets SIGTERM, then SIGKILL, as usual.
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        folder = getattr(self, "_ipc_dir", None)
        if folder and not restart:
            shutil.rmtree(folder, ignore_errors=True)


def kernel_manager_class() -> str | None:
    """The import path of the kernel manager to use here (None: Jupyter's default)."""
    return f"{__name__}.IPCKernelManager" if os.name == "posix" else None
