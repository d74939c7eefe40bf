"""deploy/procs.py: start, wait for and stop the processes of a local stack.
`make demo` (deploy/demo_stack.py) and every integration test harness
(tests/lib/) share it, so a process is started, awaited and stopped the same
way everywhere.  Standard library only."""
import os
import signal
import subprocess
import time

# What a Lambda function sees of PATH and locale; nothing else of the host's
# environment leaks into a process started with clean_env=True.
CLEAN_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C.UTF-8"}


class ProcError(RuntimeError):
    """A process exited, or was not ready in time."""


def start(cmd, log_path=None, env=None, clean_env=False, exact_env=False, stdout=None,
          **popen_kw):
    """Starts cmd in its own process group (so stop() can end its children
    too), stdin from /dev/null.  Output goes to log_path (appended) unless
    stdout is given.  env is added to this process's environment, or to
    CLEAN_ENV with clean_env=True, or is the whole environment with
    exact_env=True.  Returns the Popen."""
    full_env = {} if exact_env else dict(CLEAN_ENV if clean_env else os.environ)
    full_env.update(env or {})
    log = open(log_path, "ab") if log_path else None
    try:
        return subprocess.Popen(cmd, env=full_env, stdin=subprocess.DEVNULL,
                                stdout=stdout if stdout is not None else log,
                                stderr=log if log else None, start_new_session=True,
                                **popen_kw)
    finally:
        if log:
            log.close()


def wait_file(path, proc, what, timeout=60.0):
    """The first non-empty text of path (a port or address file the process
    writes when it is ready); ProcError if the process exits first or the
    file stays empty for timeout seconds (a hang detector: start-up on a
    loaded machine takes seconds, and a process that dies is seen at once)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                text = f.read().strip()
            if text:
                return text
        except OSError:
            pass
        if proc.poll() is not None:
            raise ProcError(f"{what} exited with {proc.returncode} before it was ready")
        time.sleep(0.02)
    raise ProcError(f"{what} was not ready within {timeout:.0f} s")


def stop(proc, grace=5.0):
    """SIGTERM to the process (it may stop its own children), then after
    grace seconds SIGKILL to whatever is left in its process group."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if proc.poll() is None:
        proc.wait()


def read_log(path):
    """A log file's text (invalid UTF-8 replaced); "" if it does not exist."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""
