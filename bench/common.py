"""Shared helpers for benchmarks: Django set-up on PostgreSQL, timing, percentiles, printing."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable


def scale() -> float:
    """BENCH_SCALE (default 1.0): every bench multiplies its sizes by it. Smoke runs on a shared machine use
    0.01 or less; the targets hold at 1.0 only."""
    raw = os.environ.get("BENCH_SCALE", "").strip() or "1"
    try:
        value = float(raw)
    except ValueError:
        raise SystemExit(f"BENCH_SCALE must be a number, not {raw!r}") from None
    if not 0 < value < 1000:
        raise SystemExit(f"BENCH_SCALE must be above 0 (and sane), not {raw!r}")
    return value


def scaled(size: int, *, minimum: int) -> int:
    """`size` times BENCH_SCALE, never below `minimum` (what keeps the bench meaningful at all)."""
    return max(minimum, round(size * scale()))


def worker_counts(variable: str, default: list[int]) -> list[int]:
    """The worker process counts a bench runs with, one run each: `variable` as a comma-separated list
    (BENCH_INGEST_WORKERS=1,2,4), in the order given, each once; unset or blank: `default` (what the bench
    did before it could sweep)."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return list(default)
    counts: list[int] = []
    for item in raw.split(","):
        if not item.strip():  # a trailing comma, as env_list allows
            continue
        try:
            count = int(item.strip())
        except ValueError:
            raise SystemExit(f"{variable} must be worker counts like 1,2,4, not {raw!r}") from None
        if not 0 < count <= 64:
            raise SystemExit(f"{variable}: a worker count is between 1 and 64, not {count}")
        if count not in counts:
            counts.append(count)
    return counts


def processes(count: int) -> str:
    """'1 worker process', '4 worker processes': how a figure's name says what ran it."""
    return f"{count} worker process" + ("" if count == 1 else "es")


def split_evenly(total: int, parts: int) -> list[int]:
    """`total` in `parts` shares that differ by one at most, the larger first (messages over channels)."""
    if parts < 1:
        raise ValueError(f"parts must be at least 1, not {parts}")
    share, extra = divmod(total, parts)
    return [share + (index < extra) for index in range(parts)]


def threads_per_worker(*, workers: int, per_worker: int, total: int | None) -> int:
    """Poll threads for each of `workers` processes: `per_worker` each, or with a `total` the same number
    in flight whatever the process count (total // workers, at least 1). Each thread holds a database
    connection, so a total keeps the connections under PostgreSQL's max_connections at 4 processes too."""
    if total is None:
        return per_worker
    return max(1, total // workers)


def load_text() -> str:
    """The load average now (1/5/15 min), for a figure's note: the machine may be shared."""
    return "load " + "/".join(f"{load:.2f}" for load in os.getloadavg())


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cmhub.settings")
    os.environ.setdefault("CMHUB_HTTPS", "0")
    os.environ.setdefault("CMHUB_STATIC_MANIFEST", "0")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    # The benches' fakes listen on loopback ports chosen at random (what the tests allow too).
    listed = [host for host in os.environ.get("CMHUB_ALLOWED_API_HOSTS", "").split(",") if host]
    os.environ["CMHUB_ALLOWED_API_HOSTS"] = ",".join(dict.fromkeys([*listed, "127.0.0.1"]))
    import django

    django.setup()


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def summary(name: str, samples_ms: list[float]) -> str:
    return (
        f"{name:<34} n={len(samples_ms):<4} p50={statistics.median(samples_ms):7.1f} ms"
        f"  p95={percentile(samples_ms, 95):7.1f} ms  max={max(samples_ms):7.1f} ms"
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and of every descendant, live or already reaped (a prefork worker's children
    work, not the parent)."""
    children = _children_by_parent()
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        try:
            total += cpu_seconds(current) + _reaped_children_seconds(current)
        except OSError:
            continue
        stack.extend(children.get(current, []))
    return total


def _children_by_parent() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    return children


def tree_pids(pid: int) -> list[int]:
    """A process and its live descendants (a prefork worker's children, gunicorn's workers)."""
    children = _children_by_parent()
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def rss_bytes(pid: int) -> int:
    """Resident memory of one process (Linux /proc); 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and its live descendants, summed (pages a fork still shares with its
    parent count in both: a growth is what a soak looks for, and a copied page is real memory)."""
    return sum(rss_bytes(current) for current in tree_pids(pid))


def postgres_cpu_seconds() -> float:
    """CPU of every PostgreSQL process so far, the backends that already exited included: a backend's
    time goes to the postmaster's children's time when it ends (a bench whose workers reconnect would
    otherwise see PostgreSQL's CPU shrink)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as comm:
                    is_postgres = comm.read().strip().startswith("postgres")
                if is_postgres:
                    total += cpu_seconds(int(entry)) + _reaped_children_seconds(int(entry))
            except OSError:
                continue
    return total


def _reaped_children_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def members(workspace, *, email_prefix: str) -> list:
    """An admin, a manager and two agents of `workspace` (created once, found again on later runs)."""
    from accounts.models import Membership, User

    users = []
    for n, role in enumerate(["admin", "manager", "agent", "agent"]):
        email = f"{email_prefix}{n}@bench.test"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email=email, password=None, display_name=f"Bench {n}"
        )
        Membership.objects.get_or_create(user=user, workspace=workspace, defaults={"role": role})
        users.append(user)
    return users


def four_channels(workspace) -> list:
    """Four channels of `workspace` that never reach a network (the data is built in the database)."""
    from networks.models import Channel

    return [
        Channel.objects.create(
            workspace=workspace,
            network=network,
            external_id=f"bench-{network}",
            name=f"Bench {network}",
            api_base_url="http://127.0.0.1:9",
        )
        for network in ("facebook", "instagram", "x", "linkedin")
    ]
