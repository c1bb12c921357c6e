"""Recording stand-ins for govc, virsh, qm, pvesh and openstack, for running vmplan's scripts.

Each stub is a small Python program written into a ``bin`` folder that a test puts first on
``PATH``. They keep a fake placement (VM name, or qm's id -> host) in a JSON file, change it on a
migration (under a lock: the moves of a wave run at the same time), answer the tool's query from
it, and append every call to a log. They parse arguments the way the real tools do where it
matters here: a VM name is only ever taken after ``--`` (govc, virsh, openstack), so a name that
looks like an option would be caught. A key listed in the ``FAKE_FAIL`` file fails its migration.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

TOOLS = ("govc", "virsh", "qm", "pvesh", "openstack")
URI_PREFIX, URI_SUFFIX = "qemu+ssh://", "/system"

STUB = r"""
import fcntl
import json
import os
import sys
from pathlib import Path

tool = Path(sys.argv[0]).name
args = sys.argv[1:]
state_path = Path(os.environ["FAKE_STATE"])


def record(kind):
    line = json.dumps({"tool": tool, "kind": kind, "args": args}) + "\n"
    with open(os.environ["FAKE_LOG"], "a", encoding="utf-8") as f:
        f.write(line)


def die(message, code=1):
    sys.stderr.write(f"{tool}: {message}\n")
    sys.exit(code)


def state():
    return json.loads(state_path.read_text(encoding="utf-8"))


def after_dashes(count):
    if "--" not in args:
        die(f"no -- before the names in {args!r}")
    i = args.index("--")
    rest = args[i + 1 :]
    if len(rest) != count:
        die(f"expected {count} argument(s) after --, got {rest!r}")
    return args[:i], rest


def migrate(key, source, dest):
    record("migrate")
    fail = os.environ.get("FAKE_FAIL")
    if fail and key in json.loads(Path(fail).read_text(encoding="utf-8")):
        die(f"migration of {key!r} failed")
    with open(str(state_path) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        now = state()
        if key not in now:
            die(f"no VM {key!r}")
        if source is not None and now[key] != source:
            die(f"{key!r} is on {now[key]!r}, not {source!r}")
        now[key] = dest
        tmp = state_path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(now), encoding="utf-8")
        os.replace(tmp, state_path)  # a query running meanwhile reads the old or the new file


def uri_host(uri):
    if not (uri.startswith("qemu+ssh://") and uri.endswith("/system")):
        die(f"unexpected URI {uri!r}")
    return uri[len("qemu+ssh://") : -len("/system")]


def option(flags, name):
    found = [f[len(name) + 1 :] for f in flags if f.startswith(name + "=")]
    if len(found) != 1:
        die(f"expected one {name}=VALUE in {flags!r}")
    return found[0]


if tool == "govc":
    if args[:1] == ["vm.info"]:
        record("query")
        _, (name,) = after_dashes(1)
        if name not in state():
            die(f"vm {name!r} not found")
        print(f"Name:           {name}\n  Path:           /dc/vm/x\n  Host:           {state()[name]}")
    elif args[:1] == ["vm.migrate"]:
        flags, (name,) = after_dashes(1)
        migrate(name, None, option(flags, "-host"))
    else:
        die(f"unexpected {args!r}")
elif tool == "virsh":
    if args[:1] != ["-c"]:
        die(f"expected -c URI first, got {args!r}")
    host, command = uri_host(args[1]), args[2]
    if command == "domstate":
        record("query")
        _, (name,) = after_dashes(1)
        if state().get(name) != host:
            die(f"error: failed to get domain {name!r}")
        print("running\n")
    elif command == "migrate":
        flags, (name, dest) = after_dashes(2)
        if not {"--live", "--persistent", "--undefinesource"} <= set(flags):
            die(f"not a live, persistent migration: {flags!r}")
        migrate(name, host, uri_host(dest))
    else:
        die(f"unexpected {args!r}")
elif tool == "qm":
    if args[:1] != ["migrate"] or not args[1].isdigit() or "--online" not in args[3:]:
        die(f"unexpected {args!r}")
    migrate(args[1], None, args[2])
elif tool == "pvesh":
    if args != ["get", "/cluster/resources", "--type", "vm", "--output-format", "json"]:
        die(f"unexpected {args!r}")
    record("query")
    rows = []
    for i, (vmid, node) in enumerate(sorted(state().items())):
        row = {"id": f"qemu/{vmid}", "vmid": int(vmid), "node": node, "type": "qemu"}
        if i % 2:  # Perl's hash order is not fixed: vmid before node on every other row
            row = {"vmid": int(vmid), "type": "qemu", "node": node, "id": f"qemu/{vmid}"}
        rows.append(row)
    print(json.dumps(rows, separators=(",", ":")))
elif tool == "openstack":
    if args[:2] == ["server", "show"]:
        record("query")
        flags, (name,) = after_dashes(1)
        if flags[2:] != ["-f", "value", "-c", "OS-EXT-SRV-ATTR:host"]:
            die(f"unexpected {flags!r}")
        if name not in state():
            die(f"No server with a name or ID of {name!r} exists.")
        print(state()[name])
    elif args[:2] == ["server", "migrate"]:
        flags, (name,) = after_dashes(1)
        if "--live-migration" not in flags or "--wait" not in flags:
            die(f"not a live migration that waits: {flags!r}")
        migrate(name, None, option(flags, "--host"))
    else:
        die(f"unexpected {args!r}")
"""


@dataclass(frozen=True, slots=True)
class Fake:
    """The fake hypervisor of one test: its ``bin`` folder, placement and call log."""

    bin: Path
    state: Path
    log: Path
    fail: Path

    def placement(self) -> dict[str, str]:
        return dict(json.loads(self.state.read_text(encoding="utf-8")))

    def put(self, placement: dict[str, str]) -> None:
        self.state.write_text(json.dumps(placement), encoding="utf-8")

    def calls(self, kind: str | None = None) -> list[dict[str, object]]:
        if not self.log.exists():
            return []
        rows = [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]
        return [r for r in rows if kind is None or r["kind"] == kind]

    def env(
        self, base: dict[str, str], fail: list[str] | None = None, **extra: str
    ) -> dict[str, str]:
        env = dict(base)
        env["PATH"] = f"{self.bin}:{base.get('PATH', '/usr/bin:/bin')}"
        env.update(FAKE_STATE=str(self.state), FAKE_LOG=str(self.log), **extra)
        env.pop("FAKE_FAIL", None)
        env.pop("DRY_RUN", None)
        if fail:
            self.fail.write_text(json.dumps(fail), encoding="utf-8")
            env["FAKE_FAIL"] = str(self.fail)
        env.update(extra)
        return env


def install(folder: Path, placement: dict[str, str]) -> Fake:
    """Write the stubs into ``folder/bin`` and the placement into ``folder/state.json``."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(parents=True)
    for tool in TOOLS:
        path = bin_dir / tool
        path.write_text(f"#!{sys.executable} -IS\n{STUB}", encoding="utf-8")  # -IS: starts faster
        path.chmod(0o755)
    fake = Fake(bin_dir, folder / "state.json", folder / "calls.jsonl", folder / "fail.json")
    fake.put(placement)
    return fake
