"""The layering of ARCHITECTURE.md, checked on every module's imports (read with ``ast``).

Layers point one way: the kernel (settings, db, common, web) <- registry <- identity <- the
utility domains <- monitoring <- demo <- app/cli/models. A module imports only from its own
layer or lower ones; imports inside functions count like top-level ones. More rules:
a domain never imports a sibling domain's ``models`` or ``repository``, judged by the last
part of the module name, so ``identity.oidc.models`` is as private as ``identity.models``
(it calls the sibling's service, or reacts to its events); inside a domain only the
entrypoints (a module or package named ``api`` or ``pages``, or ``*_api``/``*_pages``) import
the web layer, and only they take a web request: a service gets the values it needs. Inside
layer 0 the kernel has its own order: settings <- db <- common <- db.uow <- web, so the
unit of work sits above the audit log and the outbox it drives, and the shared kernel never
depends on the web layer. Finally, no import cycle is left among the modules.
"""

from __future__ import annotations

import ast
import graphlib
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "dancu"

# (layer, order inside layer 0). Keys are the names below ``dancu``; the longest that
# prefixes a module ranks it (``db.uow`` ranks ``dancu.db.uow``, ``db`` the rest of ``db/``).
RANKS: dict[str, tuple[int, int]] = {
    "__init__": (0, 0),  # the package itself: version only
    "settings": (0, 0),
    "db": (0, 1),
    "common": (0, 2),
    "db.uow": (0, 3),
    "web": (0, 4),
    "registry": (1, 0),
    "identity": (2, 0),
    "procedures": (3, 0),
    "exchange": (3, 0),
    "linkage": (3, 0),
    "payments": (3, 0),
    "monitoring": (4, 0),
    "demo": (5, 0),
    "app": (6, 0),
    "home": (6, 0),  # the home page composes every domain's services
    "cli": (6, 0),
    "models": (6, 0),
}
DOMAINS = frozenset(
    {"registry", "identity", "procedures", "exchange", "linkage", "payments", "monitoring", "demo"}
)
PRIVATE_TO_DOMAIN = frozenset({"models", "repository"})
WEB_ENTRYPOINTS = frozenset({"api", "pages"})
# Parameter annotations that are a web request (a service takes the values it needs).
WEB_REQUEST_TYPES = frozenset({"Request", "HTTPConnection", "WebSocket", "StarletteRequest"})

# (importing module, imported module) -> why the rule does not apply there.
ALLOWED: dict[tuple[str, str], str] = {
    ("dancu.demo.load", "dancu.registry.models"): (
        "the demo bulk-loads a whole synthetic province with COPY straight into the registry "
        "tables; going through the registry service row by row would take hours"
    ),
}


@dataclass(frozen=True, slots=True)
class Violation:
    module: str
    line: int
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.imported}: {self.rule}"


def module_name(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules(src: Path = SRC) -> dict[str, Path]:
    return {module_name(p, src): p for p in sorted((src / PACKAGE).rglob("*.py"))}


def imported_modules(
    source: str, module: str, is_package: bool, known: frozenset[str]
) -> list[tuple[int, str]]:
    """(line, module) of every ``dancu`` import in ``source``, nested ones included.

    ``from X import Y`` counts as importing ``X.Y`` when that is a module, else ``X``.
    """
    found: list[tuple[int, str]] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.append((node.lineno, candidate if candidate in known else base))
    return [(line, name) for line, name in found if name.split(".")[0] == PACKAGE]


def _area(module: str) -> str:
    """The RANKS key of a module: the longest one that prefixes its name below ``dancu``."""
    parts = module.split(".")[1:]
    for size in range(len(parts), 0, -1):
        if ".".join(parts[:size]) in RANKS:
            return ".".join(parts[:size])
    return parts[0] if parts else "__init__"


def _domain(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def is_entrypoint(module: str) -> bool:
    """A domain's web entrypoint: any part below the domain named api/pages (or *_api...)."""
    return any(part.rpartition("_")[2] in WEB_ENTRYPOINTS for part in module.split(".")[2:])


def check_module(
    module: str, source: str, *, is_package: bool = False, known: frozenset[str] = frozenset()
) -> list[Violation]:
    violations = []
    area = _area(module)
    if area not in RANKS:
        return [Violation(module, 0, "-", f"{PACKAGE}.{area} has no layer in RANKS")]
    for line, imported in imported_modules(source, module, is_package, known):
        if (module, imported) in ALLOWED:
            continue
        target = _area(imported)
        rule = _broken_rule(module, area, imported, target)
        if rule:
            violations.append(Violation(module, line, imported, rule))
    if area in DOMAINS and not is_entrypoint(module):
        violations += _requests_taken(module, source)
    return violations


def _broken_rule(module: str, area: str, imported: str, target: str) -> str | None:
    if target not in RANKS:
        return f"{PACKAGE}.{target} has no layer in RANKS"
    if RANKS[target] > RANKS[area]:
        return f"{area} (layer {RANKS[area]}) may not import {target} (layer {RANKS[target]})"
    leaf = imported.rpartition(".")[2] if imported.count(".") >= 2 else ""
    other = _domain(imported)
    if area in DOMAINS and other in DOMAINS and other != area and leaf in PRIVATE_TO_DOMAIN:
        return f"a domain never imports another domain's {leaf}; call {other}'s service"
    if area in DOMAINS and target == "web" and not is_entrypoint(module):
        return f"only a domain's {'/'.join(sorted(WEB_ENTRYPOINTS))} import the web layer"
    return None


def _annotation_names(node: ast.expr | None) -> set[str]:
    if node is None:
        return set()
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
    }


def _requests_taken(module: str, source: str) -> list[Violation]:
    """Parameters of a non-entrypoint that are a web request: typed as one, or a ``request``
    typed ``Any`` (or untyped), as the services of the old ``login.py`` took them."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        args = node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            names = _annotation_names(arg.annotation)
            vague = arg.annotation is None or names <= {"Any"}
            if names & WEB_REQUEST_TYPES or (arg.arg in ("request", "web_request") and vague):
                rule = "a service takes the values it needs, never the web request"
                found.append(Violation(module, node.lineno, f"{node.name}({arg.arg})", rule))
    return found


def check_tree(src: Path = SRC) -> tuple[list[Violation], set[tuple[str, str]]]:
    """Every violation under ``src``, and the ALLOWED exceptions that were actually used."""
    modules = all_modules(src)
    known = frozenset(modules)
    violations, used = [], set()
    for module, path in modules.items():
        source = path.read_text(encoding="utf-8")
        is_package = path.name == "__init__.py"
        violations += check_module(module, source, is_package=is_package, known=known)
        for _, imported in imported_modules(source, module, is_package, known):
            if (module, imported) in ALLOWED:
                used.add((module, imported))
    return violations, used


# --- the checks on the real tree -----------------------------------------------------------


def test_the_tree_is_found():
    modules = all_modules()
    assert {"dancu.db", "dancu.common.audit", "dancu.registry.service", "dancu.web.deps"} <= set(
        modules
    )


def test_imports_follow_the_layers():
    violations, _ = check_tree()
    assert [str(v) for v in violations] == []


def test_every_allowed_exception_is_still_needed():
    _, used = check_tree()
    assert sorted(set(ALLOWED) - used) == []


# --- the checker itself --------------------------------------------------------------------

KNOWN = frozenset(
    {
        "dancu.db",
        "dancu.common.outbox",
        "dancu.registry.models",
        "dancu.registry.repository",
        "dancu.registry.service",
    }
)


def _check(module: str, source: str, *, is_package: bool = False) -> list[str]:
    return [str(v) for v in check_module(module, source, is_package=is_package, known=KNOWN)]


def test_the_kernel_may_not_import_a_domain():
    assert _check("dancu.common.pid", "from dancu.registry.models import Citizen\n") == [
        "dancu.common.pid:1 imports dancu.registry.models: "
        "common (layer (0, 2)) may not import registry (layer (1, 0))"
    ]


def test_imports_inside_functions_count():
    source = "def f():\n    from dancu.registry import service\n    return service\n"
    assert _check("dancu.web.auth", source) == [
        "dancu.web.auth:2 imports dancu.registry.service: "
        "web (layer (0, 4)) may not import registry (layer (1, 0))"
    ]


def test_the_kernel_may_not_import_the_web_layer():
    assert _check("dancu.common.audit", "import dancu.web.auth\n") == [
        "dancu.common.audit:1 imports dancu.web.auth: "
        "common (layer (0, 2)) may not import web (layer (0, 4))"
    ]


@pytest.mark.parametrize(
    ("source", "imported", "leaf"),
    [
        ("from dancu.registry.models import Citizen\n", "dancu.registry.models", "models"),
        ("from dancu.registry import repository\n", "dancu.registry.repository", "repository"),
    ],
)
def test_a_domain_may_not_import_a_siblings_models_or_repository(source, imported, leaf):
    assert _check("dancu.payments.service", source) == [
        f"dancu.payments.service:1 imports {imported}: "
        f"a domain never imports another domain's {leaf}; call registry's service"
    ]


def test_a_domain_may_call_a_lower_domains_service():
    assert _check("dancu.payments.service", "from dancu.registry import service\n") == []


def test_a_domain_may_not_import_a_higher_domain():
    assert _check("dancu.registry.service", "from dancu.payments import service\n") == [
        "dancu.registry.service:1 imports dancu.payments: "
        "registry (layer (1, 0)) may not import payments (layer (3, 0))"
    ]


def test_only_a_domains_entrypoints_import_the_web_layer():
    source = "from dancu.web.deps import DbSession\n"
    assert _check("dancu.registry.api", source) == []
    assert _check("dancu.registry.service", source) == [
        "dancu.registry.service:1 imports dancu.web.deps: "
        "only a domain's api/pages import the web layer"
    ]


def test_relative_imports_are_resolved():
    assert _check("dancu.common.audit", "from ..registry.models import Citizen\n") == [
        "dancu.common.audit:1 imports dancu.registry.models: "
        "common (layer (0, 2)) may not import registry (layer (1, 0))"
    ]
    assert _check("dancu.registry", "from . import models\n", is_package=True) == []


def test_an_unranked_package_is_reported():
    assert _check("dancu.billing.service", "import json\n") == [
        "dancu.billing.service:0 imports -: dancu.billing has no layer in RANKS"
    ]


def test_allowed_exceptions_are_skipped():
    source = "from dancu.registry.models import Citizen\n"
    assert _check("dancu.demo.load", source) == []
    assert _check("dancu.demo.names", source) != []


def test_check_tree_reports_a_bad_module_in_a_source_tree(tmp_path):
    for name, source in {
        "__init__.py": "",
        "common/__init__.py": "",
        "common/kernel.py": "def f():\n    from dancu.registry.models import Citizen\n",
        "registry/__init__.py": "",
        "registry/models.py": "from dancu.common import kernel\n",
    }.items():
        path = tmp_path / PACKAGE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    violations, used = check_tree(tmp_path)
    assert [str(v) for v in violations] == [
        "dancu.common.kernel:2 imports dancu.registry.models: "
        "common (layer (0, 2)) may not import registry (layer (1, 0))"
    ]
    assert used == set()


def test_a_sub_packages_models_are_private_too():
    known = KNOWN | {"dancu.identity.oidc.models", "dancu.identity.oidc.service"}
    source = "from dancu.identity.oidc.models import OidcClient\n"
    found = [str(v) for v in check_module("dancu.demo.rp_pages", source, known=known)]
    assert found == [
        "dancu.demo.rp_pages:1 imports dancu.identity.oidc.models: "
        "a domain never imports another domain's models; call identity's service"
    ]
    source = "from dancu.identity.oidc import models\n"
    assert [str(v) for v in check_module("dancu.linkage.service", source, known=known)] == [
        "dancu.linkage.service:1 imports dancu.identity.oidc.models: "
        "a domain never imports another domain's models; call identity's service"
    ]
    inside = "from dancu.identity.oidc import models\n"
    assert check_module("dancu.identity.wallet.service", inside, known=known) == []


@pytest.mark.parametrize(
    "signature",
    [
        "def sign_out(request: Request, db): ...",
        "def sign_out(request: starlette.requests.Request, db): ...",
        "def sign_out(request: Any, db): ...",
        "def sign_out(request, db): ...",
        "async def sign_out(db, *, conn: HTTPConnection): ...",
    ],
)
def test_a_service_that_takes_a_web_request_is_reported(signature):
    assert _check("dancu.identity.oidc.logout", signature + "\n") == [
        "dancu.identity.oidc.logout:1 imports sign_out("
        + ("conn" if "conn" in signature else "request")
        + "): a service takes the values it needs, never the web request"
    ]


def test_entrypoints_and_protocol_requests_may_take_a_request():
    assert _check("dancu.identity.pages.signin", "def f(request: Request): ...\n") == []
    assert _check("dancu.identity.wallet.pages", "def f(request: Request): ...\n") == []
    assert _check("dancu.demo.rp_pages", "def f(request: Request): ...\n") == []
    # Authlib's protocol request is not the web request
    assert _check("dancu.identity.oidc.tokens", "def f(request: OAuth2Request): ...\n") == []


def test_the_unit_of_work_ranks_above_audit_and_outbox():
    assert _check("dancu.db.uow", "from dancu.common import outbox\n") == []
    assert _check("dancu.db.base", "from dancu.common import outbox\n") == [
        "dancu.db.base:1 imports dancu.common.outbox: "
        "db (layer (0, 1)) may not import common (layer (0, 2))"
    ]
    assert _check("dancu.common.outbox", "from dancu.db.uow import unit_of_work\n") == [
        "dancu.common.outbox:1 imports dancu.db.uow: "
        "common (layer (0, 2)) may not import db.uow (layer (0, 3))"
    ]


# --- import cycles -------------------------------------------------------------------------


def import_graph(src: Path = SRC) -> dict[str, set[str]]:
    """Module -> the ``dancu`` modules it imports (nested imports included), packages
    resolved to their ``__init__`` module name."""
    modules = all_modules(src)
    known = frozenset(modules)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        source = path.read_text(encoding="utf-8")
        found = imported_modules(source, module, path.name == "__init__.py", known)
        graph[module] = {name for _, name in found if name in known and name != module}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return []


def test_no_import_cycle_among_the_modules():
    assert find_cycle(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle_through_a_nested_import(tmp_path):
    for name, source in {
        "__init__.py": "",
        "db.py": "def unit_of_work():\n    from dancu import audit\n",
        "audit.py": "from dancu.db import Base\n",
        "settings.py": "",
    }.items():
        (tmp_path / PACKAGE).mkdir(exist_ok=True)
        (tmp_path / PACKAGE / name).write_text(source, encoding="utf-8")
    cycle = find_cycle(import_graph(tmp_path))
    assert set(cycle) == {"dancu.db", "dancu.audit"}
    assert find_cycle({"a": {"b"}, "b": set()}) == []


# --- imports inside functions --------------------------------------------------------------

# A third-party package imported inside functions, and why: each is heavy or optional, and
# only some commands or requests need it.
LAZY_PACKAGES: dict[str, str] = {
    "alembic": "migrations: only `dancu db` and the tests load it",
    "uvicorn": "only `dancu serve` runs a server",
    "openpyxl": "XLSX files only: most imports and exports are CSV",
    "pyarrow": "Parquet files only",
    "splink": "the probabilistic engine takes seconds to import; only a linkage run needs it",
    "pyspark": "the optional Spark backend",
    "vietnamadminunits": "its address parsers build large tables when imported",
}
# A ``dancu`` module imported inside a function, and why.
LAZY_MODULES: dict[tuple[str, str], str] = {
    ("dancu.app", "dancu.demo.chip_pages"): "demo parts: production never loads them",
    ("dancu.app", "dancu.demo.chip_reader"): "demo parts: production never loads them",
    ("dancu.app", "dancu.demo.rp_pages"): "demo parts: production never loads them",
    ("dancu.app", "dancu.demo.message_pages"): "demo parts: production never loads them",
    ("dancu.app", "dancu.demo.wallet_pages"): "demo parts: production never loads them",
    ("dancu.app", "dancu.demo.payment_pages"): "demo parts: production never loads them",
    ("dancu.app", "dancu.web.devlogin"): "the development sign-in: production never loads it",
    ("dancu.cli", "dancu.demo.rp_pages"): "`dancu serve` re-points the demo portal (development)",
    ("dancu.app", "dancu.payments.simulated"): "the simulated banks: production never loads them",
    ("dancu.linkage.match_splink", "dancu.linkage.match_spark"): "imports pyspark (optional)",
    **{
        ("dancu.cli", f"dancu.{tasks}"): "every domain's outbox handlers and jobs: only"
        " `dancu worker` and a command that delivers an event need them (`dancu` starts fast)"
        for tasks in (
            "common.tasks",
            "exchange.tasks",
            "exchange.cleaning.tasks",
            "identity.tasks",
            "linkage.tasks",
            "payments.tasks",
            "procedures.tasks",
        )
    },
    **{
        ("dancu.cli", f"dancu.{module}"): "only the command that uses it loads it"
        for module in (
            "common.jobs",
            "common.audit_chain",
            "common.audit_archive",
            "common.audit_partitions",
            "web.auth",
        )
    },
    ("dancu.linkage.cli", "dancu.linkage.api"): "the web layer's texts, only for --problems",
    **{
        ("dancu.linkage.cli", f"dancu.linkage.{module}"): "`linkage run` starts without them"
        for module in ("imports", "tasks", "exports")
    },
}


def nested_imports(source: str, module: str, is_package: bool, known: frozenset[str]):
    """(line, imported) of each import inside a function, ``dancu`` names resolved."""
    found = []
    for fn in ast.walk(ast.parse(source)):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Import):
                found += [(node.lineno, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [f"{node.module}.{a.name}" for a in node.names]
                found += [(node.lineno, n if n in known else node.module) for n in names]
    return found


def unexplained_nested_imports(src: Path = SRC) -> list[str]:
    modules = all_modules(src)
    known = frozenset(modules)
    bad = []
    for module, path in modules.items():
        source = path.read_text(encoding="utf-8")
        for line, imported in nested_imports(source, module, path.name == "__init__.py", known):
            top = imported.split(".")[0]
            if top in LAZY_PACKAGES or (module, imported) in LAZY_MODULES:
                continue
            bad.append(f"{module}:{line} imports {imported} inside a function")
    return sorted(set(bad))


def test_imports_inside_functions_have_a_reason():
    assert unexplained_nested_imports() == []


def test_an_unexplained_nested_import_is_reported(tmp_path):
    (tmp_path / PACKAGE).mkdir()
    (tmp_path / PACKAGE / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / PACKAGE / "db.py").write_text(
        "def f():\n    from sqlalchemy import select\n    import openpyxl\n", encoding="utf-8"
    )
    assert unexplained_nested_imports(tmp_path) == [
        "dancu.db:2 imports sqlalchemy inside a function"
    ]
