#!/usr/bin/python3
"""tests/integration/package_chroot_test.py: the Lambda package is portable.

Usage: package_chroot_test.py [--arch x86_64|arm64]
  x86_64 (default): build/function.zip, run natively;
  arm64: build/arm64/function.zip, its bootstrap run by qemu-aarch64-static
  (Debian's qemu-user-static: a static user-mode emulator, copied into the
  chroot beside the package, so the test needs no binfmt_misc registration).

- The zip holds exactly `bootstrap` (mode 755) and `model/iris-model.json`, and
  is at most 3 MB.
- `bootstrap` is one static ELF for the architecture: readelf finds no dynamic
  section, no NEEDED library and no program interpreter.
- Unpacked into an empty directory with nothing else but a CA bundle (at Amazon
  Linux's path), and run there under chroot by the Runtime API emulator
  (outside the chroot, over 127.0.0.1), it initialises, answers a correct
  batch, and on a drifted batch publishes an alert over HTTPS (a TLS front on
  127.0.0.1 whose certificate only that CA bundle vouches for) to the local SNS,
  which verifies the SigV4 signature.  The fake secrets never appear in output.
Needs root (chroot).  Closes with "N passed, N failed".
"""
import argparse
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "deploy"))
from demo_stack import ROOT, Stack, StackError, http_json, invoke, sns_published  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib"))
from testlib import check, finish  # noqa: E402

ARCHES = {
    # zip, readelf's Machine, how the chroot runs /bootstrap
    "x86_64": (os.path.join(ROOT, "build", "function.zip"), "Advanced Micro Devices X86-64", []),
    "arm64": (os.path.join(ROOT, "build", "arm64", "function.zip"), "AArch64",
              ["/qemu-aarch64-static"]),
}
QEMU = "/usr/bin/qemu-aarch64-static"
MAX_ZIP = 3_000_000
CA_PATH = "etc/pki/tls/certs/ca-bundle.crt"




def event(name):
    with open(os.path.join(ROOT, "events", name), "rb") as f:
        return f.read()


def make_certs(d):
    """A throwaway CA and a server certificate for IP 127.0.0.1."""
    def run(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=30)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=iris-lambda test CA")
    run("req", *ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "extendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "srv.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "srv.crt", "-days", "2", "-extfile", "ext.cnf")
    return os.path.join(d, "ca.crt"), os.path.join(d, "srv.crt"), os.path.join(d, "srv.key")


class TlsFront:
    """TLS on 127.0.0.1, relaying the plaintext to an HTTP port."""

    def __init__(self, cert, key, upstream_port):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.upstream = upstream_port
        self.handshakes = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.relay, args=(conn,), daemon=True).start()

    @staticmethod
    def pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def relay(self, conn):
        try:
            tls = self.ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            conn.close()
            return
        self.handshakes += 1
        up = socket.create_connection(("127.0.0.1", self.upstream))
        t = threading.Thread(target=self.pipe, args=(up, tls), daemon=True)
        t.start()
        self.pipe(tls, up)
        t.join(5)
        tls.close()
        up.close()

    def close(self):
        self.sock.close()


def check_zip(zip_path):
    size = os.path.getsize(zip_path)
    check(f"function.zip is at most 3 MB ({size} bytes)", size <= MAX_ZIP, f"<= {MAX_ZIP}", size)
    with zipfile.ZipFile(zip_path) as z:
        names = sorted(z.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in z.infolist()}
    check("the zip holds exactly bootstrap and model/iris-model.json",
          names == ["bootstrap", "model/iris-model.json"], ["bootstrap", "model/iris-model.json"],
          names)
    check("bootstrap is stored with mode 755", modes.get("bootstrap") == 0o755, "0o755",
          oct(modes.get("bootstrap") or 0))


def check_elf(path, machine):
    dyn = subprocess.run(["readelf", "-d", path], capture_output=True, text=True).stdout
    check("readelf -d: no dynamic section", "There is no dynamic section" in dyn,
          "There is no dynamic section in this file.", dyn.strip()[:300])
    check("readelf -d: no NEEDED libraries", "(NEEDED)" not in dyn, "none", dyn.count("(NEEDED)"))
    ph = subprocess.run(["readelf", "-lW", path], capture_output=True, text=True).stdout
    check("readelf -l: no program interpreter", "INTERP" not in ph and "DYNAMIC" not in ph,
          "no INTERP/DYNAMIC segment", [line for line in ph.splitlines()
                                       if "INTERP" in line or "DYNAMIC" in line])
    hdr = subprocess.run(["readelf", "-hW", path], capture_output=True, text=True).stdout
    fields = dict(line.strip().split(":", 1) for line in hdr.splitlines() if ":" in line)
    got = (fields.get("Type", "").strip(), fields.get("Machine", "").strip())
    check(f"an executable for {machine}", got[0].startswith("EXEC") and got[1] == machine,
          ("EXEC (Executable file)", machine), got)
    syms = subprocess.run(["readelf", "-SW", path], capture_output=True, text=True).stdout
    check("stripped (no .symtab)", ".symtab" not in syms, "no .symtab", ".symtab present")


def run_chroot(st, root, runner):
    """runner: the command prefix inside the chroot that runs /bootstrap."""
    ca, cert, key = make_certs(st.dir)
    os.makedirs(os.path.join(root, os.path.dirname(CA_PATH)))
    with open(ca, "rb") as src, open(os.path.join(root, CA_PATH), "wb") as dst:
        dst.write(src.read())
    files = sorted(os.path.relpath(os.path.join(d, f), root)
                   for d, _, fs in os.walk(root) for f in fs)
    want = sorted(["bootstrap", "model/iris-model.json", CA_PATH] +
                  [r.lstrip("/") for r in runner])
    check("the chroot holds only the zip's files and the CA bundle" +
          (f" (and {runner[0].lstrip('/')})" if runner else ""), files == want, want, files)

    sns_url, topic_arn = st.sns("iris-alerts")
    front = TlsFront(cert, key, int(sns_url.rsplit(":", 1)[1]))
    try:
        # Lambda sets LAMBDA_TASK_ROOT to where it unpacked the zip; here, the
        # chroot's root.
        env = st.function_env(f"https://127.0.0.1:{front.port}", topic_arn, LAMBDA_TASK_ROOT="/",
                              ALERT_FAILURE="fail")
        base = st.emulator(["/usr/sbin/chroot", root, *runner, "/bootstrap"], env=env,
                           function_name="iris-chroot")
        ferr, out = invoke(base, event("batch-correct.json"), "iris-chroot")
        ok = ferr is None and isinstance(out, list) and len(out) == 20 and all(
            "predictedSpecies" in e.get("payload", {}) for e in out)
        check("in the chroot it initialises and answers a 20-record batch", ok,
              "20 scored elements", f"{ferr}: {str(out)[:400]}")
        ferr, out = invoke(base, event("batch-drifted.json"), "iris-chroot")
        check("it answers a drifted batch", ferr is None and isinstance(out, list),
              "a scored batch", f"{ferr}: {str(out)[:400]}")
        pubs = sns_published(sns_url)
        check("the drifted batch's alert reached the local SNS over HTTPS (signature verified)",
              len(pubs) == 1 and front.handshakes >= 1, "1 alert, >= 1 TLS handshake",
              f"{len(pubs)} alerts, {front.handshakes} handshakes")
        state = http_json(f"{base}/_emulator/state")[2]
        check("one process served both invocations, no init error",
              isinstance(state, dict) and not state.get("initErrors") and
              not state.get("exits") and state.get("alive"), "no init error, no exit",
              str(state)[:400])

        # Peer verification is real: with another CA in the bundle, no alert.
        other = os.path.join(st.dir, "other")
        os.mkdir(other)
        other_ca = make_certs(other)[0]
        with open(other_ca, "rb") as src, open(os.path.join(root, CA_PATH), "wb") as dst:
            dst.write(src.read())
        base = st.emulator(["/usr/sbin/chroot", root, *runner, "/bootstrap"], env=env,
                           function_name="iris-chroot", name="rapi-emulator-2")
        ferr, out = invoke(base, event("batch-drifted.json"), "iris-chroot")
        msg = out.get("errorMessage", "") if isinstance(out, dict) else str(out)
        check("with a CA bundle that does not vouch for the server, the alert fails "
              "(AlertPublishFailed, certificate error)",
              ferr is not None and isinstance(out, dict) and out.get("errorType") ==
              "AlertPublishFailed" and "certificate" in msg.lower(),
              "AlertPublishFailed ... certificate ...", f"{ferr}: {str(out)[:300]}")
        check("and nothing was published", len(sns_published(sns_url)) == 1, 1,
              len(sns_published(sns_url)))
    finally:
        front.close()
    logs = "\n".join(st.logs().values())
    leaked = [s[:6] + "..." for s in st.secrets() if s in logs]
    check("the fake secret key and session token appear in no output", not leaked, "none",
          leaked)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", choices=sorted(ARCHES), default="x86_64")
    args = ap.parse_args()
    zip_path, machine, runner = ARCHES[args.arch]
    if not os.path.isfile(zip_path):
        target = "make package" + (f" ARCH={args.arch}" if args.arch != "x86_64" else "")
        print(f"FAIL - {zip_path} is missing ({target})\n0 passed, 1 failed")
        return 1
    if runner and not os.access(QEMU, os.X_OK):
        print(f"FAIL - {QEMU} is missing (Debian package qemu-user-static; scripts/deps.sh "
              "installs it)\n0 passed, 1 failed")
        return 1
    check_zip(zip_path)
    if os.geteuid() != 0:
        check("running as root (chroot needs it; CI runs as root)", False, "uid 0", os.geteuid())
    else:
        try:
            with Stack() as st:
                root = os.path.join(st.dir, "root")
                os.mkdir(root)
                subprocess.run(["unzip", "-q", zip_path, "-d", root], check=True, timeout=30)
                check_elf(os.path.join(root, "bootstrap"), machine)
                if runner:
                    shutil.copy2(QEMU, os.path.join(root, runner[0].lstrip("/")))
                run_chroot(st, root, runner)
        except (StackError, subprocess.CalledProcessError, OSError) as e:
            check("the chroot run completes", False, "no error", e)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
