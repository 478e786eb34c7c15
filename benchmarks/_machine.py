"""What the benchmarks print about the machine they ran on."""

from __future__ import annotations

import os
import platform


def cpu_name() -> str:
    """The processor's model name (from /proc/cpuinfo where there is one)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return cpu


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def git_state(where: str, paths: str = ".") -> tuple[str, bool] | None:
    """``(short commit, whether PATHS have uncommitted changes)`` of the checkout at WHERE, or None."""
    import subprocess

    try:
        run = lambda *args: subprocess.run(["git", "-C", where, *args], capture_output=True, text=True, timeout=5, check=True).stdout.strip()  # noqa: E731
        return run("rev-parse", "--short", "HEAD"), bool(run("status", "--porcelain", "--", paths))
    except (OSError, subprocess.SubprocessError):
        return None


def bytecode(package: str) -> str:
    """Byte-compile ``package``'s modules (where its files are) before timed runs start new interpreters; what to print.

    An installed package runs from the bytecode ``pip`` compiled, and a checkout's from what the first import wrote
    to ``__pycache__``. With ``PYTHONDONTWRITEBYTECODE`` set (as on the machines these figures come from) a checkout
    installed in editable mode is compiled from source again by every new process: about 0.2 s for leadspec's command
    line and SQL modules, which a user's install does not pay. ``compileall`` writes the bytecode whatever the variable
    says (``__pycache__`` is ignored by git)."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec(package)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    done = all(compileall.compile_dir(folder, quiet=1) for folder in folders)
    flag = " (PYTHONDONTWRITEBYTECODE is set here)" if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""
    return f"{package}'s modules byte-compiled before the runs{flag}" + ("" if done and folders else ": it failed, the runs compile them")
