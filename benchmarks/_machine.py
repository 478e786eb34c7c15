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
