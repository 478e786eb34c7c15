"""Worker processes for ``leadspec qualify --jobs N``: units out, results back in order, and a clean stop.

Built on plain processes and pipes rather than ``concurrent.futures``:
its manager thread, joined when the interpreter exits, could block for
ever on a result pipe that a killed worker had half written, so a run
stopped with Ctrl-C or SIGTERM hung after saying "nothing written".
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
import threading
from typing import Any, Callable

STOP_SIGNALS = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
"""Signals that stop a run as Ctrl-C does: outputs discarded, workers ended, exit 128 + the signal."""


def _worker_signals(parent: int) -> None:
    """A worker process: interrupted by its parent only (the parent cleans up and ends it), and ended with it.

    SIGINT (a Ctrl-C reaches the whole process group) is left to the
    parent; SIGTERM and SIGHUP end the worker at once, silently. The
    worker is started with these signals blocked (see :class:`Pool`) and
    unblocks them only once they are set so: a signal in between cannot run
    the parent's handlers here. When the parent dies without ending its
    workers (SIGKILL, a crash), Linux ends them too (:func:`_die_with_parent`);
    a worker never outlives its run.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS + [signal.SIGINT])
    _die_with_parent(parent)


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when its parent ends (prctl PR_SET_PDEATHSIG); elsewhere, nothing.

    The parent may have died before the request was made: then the parent
    pid is no longer ours, and the worker ends at once.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError, ImportError):  # no libc to ask: the parent still ends its workers on any exit it sees
        return
    if os.getppid() != parent:
        os._exit(1)


class WorkerDied(Exception):
    """A worker process ended before giving back its work (killed, out of memory): the run stops."""


def _worker_main(tasks: Any, results: Any, parent: int, init: Callable[..., None], init_args: tuple[Any, ...], work: Callable[[Any], Any], passthrough: tuple[type[BaseException], ...]) -> None:
    """A worker's loop: a pickled unit in, ``("done", Done)`` out, until its task pipe closes.

    A unit or a result that cannot cross between the processes (a JSON
    value nested a few hundred levels deep: pickle recurses where json does
    not) is sent back as ``("redo",)``: the parent does that unit itself, so
    ``--jobs 2`` gives what ``--jobs 1`` gives. An exception of a
    ``passthrough`` type comes back as ``("raised", index of its type, args)``. Results are sent by a thread of their own, so the
    worker always reads its next unit and the parent never waits on a
    worker that waits on it.
    """
    import queue

    _worker_signals(parent)
    init(*init_args)
    gc.freeze()  # what the worker inherited or loaded (the rules, the modules) is never walked by its collections again
    outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def send() -> None:
        while True:
            item = outbox.get()
            if item is None:
                return
            try:
                results.send_bytes(item)
            except OSError:  # the parent is gone or stopped reading: nothing left to do
                return

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    from multiprocessing.reduction import ForkingPickler

    while True:
        try:
            data = tasks.recv_bytes()
        except (EOFError, OSError):
            break
        try:
            unit = ForkingPickler.loads(data)
            reply: Any = ("done", work(unit))
        except passthrough as exc:
            reply = ("raised", [isinstance(exc, kind) for kind in passthrough].index(True), exc.args)
        except Exception:  # a unit too deep to unpickle, or anything else: the parent does it again itself
            reply = ("redo",)
        try:
            payload = ForkingPickler.dumps(reply)
        except Exception:  # a result too deep to pickle
            payload = ForkingPickler.dumps(("redo",))
        outbox.put(payload)
    outbox.put(None)
    sender.join()


class Pool:
    """``jobs`` worker processes, each with a task pipe and a result pipe; units go round and come back in order.

    Built on plain processes and pipes, with no thread that the interpreter
    joins at exit: :meth:`close` kills the workers and waits for them (a
    bounded wait), so a run stopped at any moment (Ctrl-C, SIGTERM, a full
    disk) ends at once. Units are pickled here and handed to one daemon
    thread that writes them to the workers' pipes, so this process keeps
    reading results while a worker is busy.
    """

    def __init__(
        self,
        jobs: int,
        init: Callable[..., None],
        init_args: tuple[Any, ...],
        work: Callable[[Any], Any],
        passthrough: tuple[type[BaseException], ...] = (),
    ) -> None:
        """Start ``jobs`` workers; each runs ``init(*init_args)`` once, then ``work(unit)`` for every unit it gets."""
        import queue

        context: Any = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")  # a fork or spawn context: both have Process
        self.workers: list[tuple[Any, Any, Any]] = []  # (process, task writer, result reader)
        self._outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        masked = hasattr(signal, "pthread_sigmask")
        if masked:  # a worker starts with the stop signals blocked and unblocks them once set (no parent handler runs there)
            before = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS + [signal.SIGINT])
        try:
            for _ in range(jobs):
                task_reader, task_writer = context.Pipe(duplex=False)
                result_reader, result_writer = context.Pipe(duplex=False)
                process = context.Process(target=_worker_main, args=(task_reader, result_writer, os.getpid(), init, init_args, work, passthrough), daemon=True)
                try:
                    process.start()
                finally:
                    task_reader.close()  # the worker's ends: closed here, so a dead worker is an EOF / a broken pipe
                    result_writer.close()
                self.workers.append((process, task_writer, result_reader))
        except BaseException:
            self.close()
            raise
        finally:
            if masked:
                signal.pthread_sigmask(signal.SIG_SETMASK, before)
        self._feeder = threading.Thread(target=self._feed, daemon=True)
        self._feeder.start()

    def _feed(self) -> None:
        while True:
            item = self._outbox.get()
            if item is None:
                return
            connection, data = item
            try:
                connection.send_bytes(data)
            except Exception:  # a worker that died (its result is found missing), or the pool closing
                pass

    def submit(self, number: int, unit: tuple[Any, ...]) -> bool:
        """Send unit ``number`` to its worker; False when it cannot be pickled (do it here)."""
        from multiprocessing.reduction import ForkingPickler

        try:
            data = ForkingPickler.dumps(unit)
        except Exception:
            return False
        self._outbox.put((self.workers[number % len(self.workers)][1], data))
        return True

    def result(self, number: int) -> tuple[Any, ...]:
        """The reply to unit ``number``; WorkerDied when its worker ended first."""
        from multiprocessing.connection import wait
        from multiprocessing.reduction import ForkingPickler

        process, _, reader = self.workers[number % len(self.workers)]
        while True:
            ready = wait([reader, process.sentinel])
            if reader in ready or reader.poll():
                try:
                    return ForkingPickler.loads(reader.recv_bytes())  # type: ignore[no-any-return]
                except (EOFError, OSError):
                    pass
            elif not ready:
                continue
            process.join(5)  # its end seen on the pipe may come before the exit status is there to read
            raise WorkerDied(f"worker {process.pid} ended with exit code {process.exitcode}")

    def ready(self, number: int) -> bool:
        """Whether the reply to unit ``number`` (or its worker's end) is there to read: :meth:`result` would not wait."""
        return bool(self.workers[number % len(self.workers)][2].poll())

    def close(self) -> None:
        """Kill the workers and wait for them (at most a few seconds): nothing is left running or blocking the exit."""
        self._outbox.put(None)
        for process, writer, reader in self.workers:
            if process.pid is not None and process.exitcode is None:
                try:
                    process.kill()  # SIGKILL: a worker has nothing to save, and prints nothing
                except OSError:
                    pass
        for process, _, _ in self.workers:
            if process.pid is not None:
                process.join(5)
        feeder = getattr(self, "_feeder", None)
        if feeder is not None:  # its worker dead, a write fails at once (broken pipe); a daemon thread in any case
            feeder.join(5)
        for _, writer, reader in self.workers:
            writer.close()
            reader.close()
        self.workers = []
