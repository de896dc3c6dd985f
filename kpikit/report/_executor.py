"""Executors run a parameterized notebook; the report runner is given one (papermill by default).

An executor is any callable with the signature of :class:`Executor`. It must write the executed
notebook to ``output``, and when the notebook fails part-way it must still write what ran (the
evidence) and raise :class:`ExecutionFailed`. Tests pass a fake that needs no kernel.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from kpikit.errors import ReportError

__all__ = ["ExecutionFailed", "Executor", "PapermillExecutor"]


class ExecutionFailed(Exception):
    """The notebook stopped: a cell raised, timed out, or the kernel died.

    Attributes:
        execution_count: the ``In [n]`` number of the failed cell, when known.
        source: the failed cell's source ('' when unknown).
        error: what went wrong, e.g. ``ZeroDivisionError: division by zero``.
    """

    def __init__(self, error: str, *, execution_count: int | None = None, source: str = "") -> None:
        self.error = error
        self.execution_count = execution_count
        self.source = source
        super().__init__(error)


class Executor(Protocol):
    """Runs ``template`` with ``parameters`` in ``cwd`` and writes the result to ``output``."""

    def __call__(
        self,
        template: Path,
        output: Path,
        *,
        parameters: Mapping[str, Any],
        cwd: Path,
        progress: bool,
    ) -> None:
        """Execute; raise :class:`ExecutionFailed` (after writing ``output``) when a cell fails."""


def _ipc_kernel_manager() -> type:
    """A kernel manager that talks to the kernel over local sockets (IPC) instead of TCP ports.

    Reports run in parallel (one per month, say) cannot race for the same TCP port, and the
    kernel does not warn that TCP traffic is unencrypted. jupyter_client would name the socket
    files ``kernel-ipc-<n>`` in the working folder (the template's, shared by every run), so each
    kernel gets a unique prefix in the temporary folder instead; they are removed at shutdown.
    """
    import tempfile

    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class IpcKernelManager(AsyncKernelManager):
        @default("transport")
        def _default_transport(self) -> str:
            return "ipc"

        @default("ip")
        def _default_ip(self) -> str:
            return os.path.join(tempfile.gettempdir(), f"kpikit-{uuid.uuid4().hex[:12]}-ipc")

    return IpcKernelManager


@dataclass(frozen=True)
class PapermillExecutor:
    """Run notebooks with :func:`papermill.execute_notebook` in a fresh ``python3`` kernel.

    Args:
        kernel_name: the Jupyter kernel to start (the committed templates say ``python3``).
        timeout: seconds a single cell may run before the run fails.
        start_timeout: seconds to wait for the kernel to start.
    """

    kernel_name: str = "python3"
    timeout: int = 600
    start_timeout: int = 60

    def __call__(
        self,
        template: Path,
        output: Path,
        *,
        parameters: Mapping[str, Any],
        cwd: Path,
        progress: bool,
    ) -> None:
        """Execute ``template`` into ``output`` (papermill saves it after every cell)."""
        import papermill
        from jupyter_client.kernelspec import NoSuchKernel
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
        from papermill.exceptions import PapermillExecutionError

        try:
            papermill.execute_notebook(
                str(template),
                str(output),
                parameters=dict(parameters),
                kernel_name=self.kernel_name,
                language="python",
                cwd=str(cwd),
                progress_bar=progress,
                start_timeout=self.start_timeout,
                execution_timeout=self.timeout,
                kernel_manager_class=_ipc_kernel_manager(),
            )
        except PapermillExecutionError as exc:
            raise ExecutionFailed(
                f"{exc.ename}: {exc.evalue}" if exc.evalue else str(exc.ename),
                execution_count=exc.exec_count,
                source=str(exc.source),
            ) from None
        except CellTimeoutError:
            raise ExecutionFailed(f"a cell ran for more than {self.timeout} seconds") from None
        except DeadKernelError:
            raise ExecutionFailed("the kernel died (out of memory?)") from None
        except NoSuchKernel:
            raise ReportError(
                f"no Jupyter kernel named '{self.kernel_name}'",
                hint="install one in this environment: python -m ipykernel install --user",
            ) from None
