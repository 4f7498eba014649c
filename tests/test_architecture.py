"""The dependency direction, checked on every import (module level and inside functions):

    core <- accounts <- networks, notifications <- inbox, posts <- assistant <- reports, ops, hooks
         <- api <- demo, cmhub

An app imports only apps below it, never one beside or above it, and inbox and posts reach a network only
through the provider interface (`networks.providers.base`) and the registry, never a concrete provider.
What does not hold yet is listed in KNOWN, each with its reason: the list may only shrink."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {
    "core": 0,
    "accounts": 1,
    "networks": 2,
    "notifications": 2,
    "inbox": 3,
    "posts": 3,
    "assistant": 4,
    "reports": 5,
    "ops": 5,
    "hooks": 5,
    "api": 6,
    "demo": 7,
    "cmhub": 7,
}
#: Imports inbox and posts may make inside networks.providers: the interface and its network-free rules
#: (limits: image and text checks), never a network.
PROVIDER_INTERFACE = {"networks.providers", "networks.providers.base", "networks.providers.limits"}

KNOWN: set[tuple[str, str]] = set()


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from networks.providers import facebook` imports the module networks.providers.facebook.
            submodules = {f"{node.module}.{alias.name}" for alias in node.names}
            modules |= {name for name in submodules if _is_module(name)} or {node.module}
    return modules


def violations() -> set[tuple[str, str]]:
    found = set()
    for app, layer in LAYERS.items():
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            source = str(path.relative_to(ROOT))
            for module in imported_modules(path):
                top = module.split(".")[0]
                if top in LAYERS and top != app and LAYERS[top] >= layer:
                    found.add((source, module))
                concrete = module.startswith("networks.providers.") and module not in PROVIDER_INTERFACE
                if app in ("inbox", "posts") and concrete:
                    found.add((source, module))
    return found


def _is_module(dotted: str) -> bool:
    path = ROOT / dotted.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def test_no_import_runs_against_the_dependency_direction():
    new = violations() - KNOWN
    assert not new, "imports against the dependency direction:\n" + "\n".join(sorted(map(str, new)))


def test_the_known_exceptions_are_still_needed():
    """Fixing one is the point: then it leaves KNOWN, so it cannot come back unnoticed."""
    gone = KNOWN - violations()
    assert not gone, f"no longer imported, remove from KNOWN: {sorted(gone)}"


# --- One door per network -------------------------------------------------------------------------------

#: Network names in code outside the networks' own modules (networks/providers/<network>*, fakes, the
#: registry): each with its reason. Adding a network must touch only its provider, its fake and its
#: registry entry (with its name in the providers' Network enum).
NETWORK_NAMES_ALLOWED = {
    # Meta's Graph API version and its sunset on the health page: one platform that two networks share.
    ("networks/selectors.py", "facebook"),
    ("networks/selectors.py", "instagram"),
}
NETWORK_VALUES = {"facebook", "instagram", "linkedin"}  # "x" alone is too common a word to scan for
NETWORK_MEMBERS = {"FACEBOOK", "INSTAGRAM", "X", "LINKEDIN"}


def network_names() -> set[tuple[str, str]]:
    found = set()
    for app in LAYERS:
        for path in (ROOT / app).rglob("*.py"):
            source = str(path.relative_to(ROOT))
            own = (
                source.startswith(("networks/providers/", "networks/fakes/"))
                or source == "networks/registry.py"
            )
            if "migrations" in path.parts or own or app == "demo":
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=source)):
                if isinstance(node, ast.Attribute) and node.attr in NETWORK_MEMBERS:
                    owner = node.value
                    name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
                    if name == "Network":
                        found.add((source, node.attr.lower()))
                elif isinstance(node, ast.Constant) and node.value in NETWORK_VALUES:
                    found.add((source, node.value))
    return found


def test_no_code_outside_a_networks_own_modules_names_it():
    """Where the inbox, posts, the assistant or the settings name a network, adding one means editing
    them: each such place asks the provider (registry.provider_class) instead."""
    new = network_names() - NETWORK_NAMES_ALLOWED
    assert not new, "network named outside its own modules:\n" + "\n".join(sorted(map(str, new)))


def test_the_allowed_network_names_are_still_needed():
    assert network_names() >= NETWORK_NAMES_ALLOWED
