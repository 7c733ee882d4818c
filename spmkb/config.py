"""Settings in one declared place.

Every setting has a name, a default and help text in :data:`SETTINGS`. Values come from,
lowest to highest precedence: the defaults, ``spmkb.toml`` (found by walking up from the
working directory), ``SPMKB_*`` environment variables, and explicit overrides (CLI flags).
Unknown keys in ``spmkb.toml`` are an error that names the file.

Relative paths in ``spmkb.toml`` are relative to that file's folder; relative paths from
the environment or flags are relative to the working directory.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, make_dataclass
from pathlib import Path
from typing import Any

from spmkb.errors import ConfigError, did_you_mean

CONFIG_FILE = "spmkb.toml"

#: Pipeline stages, in order. Deal stages map onto these; assets are tagged with them.
DEFAULT_STAGES: tuple[str, ...] = (
    "prospecting",
    "qualification",
    "discovery",
    "demo",
    "proposal",
    "negotiation",
    "closing",
    "onboarding",
    "renewal",
    "expansion",
)

#: Asset types an enablement team authors.
DEFAULT_TYPES: tuple[str, ...] = (
    "playbook",
    "talk-track",
    "objection-handling",
    "battlecard",
    "case-study",
    "email-template",
    "call-script",
    "discovery-guide",
    "qualification-guide",
    "demo-script",
    "pricing-guide",
    "template",
    "onboarding-module",
    "review-rubric",
    "process",
    "reference",
)

DEFAULT_PERSONAS: tuple[str, ...] = (
    "economic-buyer",
    "champion",
    "technical-buyer",
    "end-user",
    "executive",
    "procurement",
    "security",
    "it",
    "finance",
    "operations",
    "developer",
    "sales-rep",
    "sales-manager",
)

DEFAULT_INDUSTRIES: tuple[str, ...] = (
    "technology",
    "financial-services",
    "healthcare",
    "manufacturing",
    "retail",
    "public-sector",
    "education",
    "telecommunications",
    "energy",
    "media",
    "professional-services",
    "logistics",
)


@dataclass(frozen=True)
class Setting:
    """One declared setting: its key, default, environment variable and help text."""

    name: str
    default: Any
    help: str
    kind: str = "str"  # str | path | int | float | bool | list
    env: str | None = None
    secret: bool = False  # kept out of repr() and messages


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "playbooks",
        "playbooks",
        "Folder of Markdown playbooks and assets.",
        "path",
        "SPMKB_PLAYBOOKS",
    ),
    Setting(
        "store",
        ".spmkb",
        "Workspace state: Chroma index, SQLite database, imported deals.",
        "path",
        "SPMKB_STORE",
    ),
    Setting(
        "chroma_url",
        None,
        "URL of a Chroma server (http://host:port); unset = embedded Chroma under the store.",
        "str",
        "SPMKB_CHROMA_URL",
    ),
    Setting(
        "chroma_token",
        None,
        "Token for a shared Chroma server behind an authenticating proxy; sent as "
        "'Authorization: Bearer <token>', never logged.",
        "str",
        "SPMKB_CHROMA_TOKEN",
        secret=True,
    ),
    Setting(
        "chroma_timeout",
        30.0,
        "Seconds any one request to a Chroma server may take before it fails.",
        "float",
        "SPMKB_CHROMA_TIMEOUT",
    ),
    Setting(
        "collection",
        "spmkb-assets",
        "Chroma collection name (3+ characters).",
        "str",
        "SPMKB_COLLECTION",
    ),
    Setting(
        "model",
        None,
        "Sentence-transformers model path; unset = the packaged all-MiniLM-L6-v2.",
        "str",
        "SPMKB_MODEL",
    ),
    Setting(
        "embed_backend",
        "torch",
        "Embedding backend: torch, onnx, onnx-int8 or static (see docs/performance.md).",
        "str",
        "SPMKB_EMBED_BACKEND",
    ),
    Setting(
        "embed_max_seq_length",
        None,
        "Tokens read per section (default: the model's 256); 128 with section_max_words = 90 is faster.",
        "int",
        "SPMKB_EMBED_MAX_SEQ_LENGTH",
    ),
    Setting(
        "embed_batch_size", 32, "Sections embedded per batch.", "int", "SPMKB_EMBED_BATCH_SIZE"
    ),
    Setting(
        "section_max_words",
        220,
        "Sections longer than this split at paragraph boundaries.",
        "int",
        None,
    ),
    Setting(
        "section_min_words", 25, "Sections shorter than this merge with a neighbour.", "int", None
    ),
    Setting(
        "max_file_bytes", 2_000_000, "Playbook files larger than this are skipped.", "int", None
    ),
    Setting(
        "aging_fraction",
        0.8,
        "An asset is 'aging' once this fraction of review_every has passed.",
        "float",
        None,
    ),
    Setting(
        "deals",
        None,
        "Deal data folder or file that dashboards and reviews read; unset = the store's imported deals.",
        "path",
        "SPMKB_DEALS",
    ),
    Setting("standards", "standards.yml", "Review standards file.", "path", "SPMKB_STANDARDS"),
    Setting(
        "app_max_kernels",
        4,
        "Hosted search app: most kernels (people) at once; one more gets a 'busy' page.",
        "int",
        "SPMKB_APP_MAX_KERNELS",
    ),
    Setting(
        "reviews_dir",
        "reviews",
        "Where generated review notebooks are written.",
        "path",
        "SPMKB_REVIEWS_DIR",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}

#: ``[coaching]`` keys, read by :class:`spmkb.coaching.options.CoachingOptions` (same defaults).
_COACHING = (
    ("top_share", 0.20, "Top tier: this share of reps by attainment.", "float"),
    ("bottom_share", 0.20, "Bottom tier: this share of reps (never shown).", "float"),
    ("whale_share", 0.40, "One deal above this share of bookings: top by circumstance.", "float"),
    ("segment_rep_share", 0.50, "A rep's deals in one segment above this share ...", "float"),
    ("segment_team_share", 0.20, "... where the team has under this share: circumstance.", "float"),
    ("segment_min_deals", 10, "Closed deals a rep needs for the segment rule.", "int"),
    ("exclude_circumstance", True, "Leave top-by-circumstance reps out of the comparison.", "bool"),
    ("min_reps", 3, "Fewer reps in a compared tier: a message, not a profile.", "int"),
    ("fdr", 0.05, "False discovery rate across the measures of a profile.", "float"),
    ("resamples", 2000, "Bootstrap resamples.", "int"),
    ("seed", 0, "Bootstrap seed.", "int"),
    ("levels", (1.0, 1.25, 1.5), "Recognition levels (fractions of quota).", "floats"),
    ("baseline_periods", 4, "Recognition: periods before P forming one's own baseline.", "int"),
    ("plan_min_n", 10, "Follow-up: deals a rep needs before and after.", "int"),
    ("plan_weeks", 13, "A plan's length when it starts mid-period.", "int"),
)  # fmt: skip

#: The keys of each ``spmkb.toml`` table, declared like :data:`SETTINGS` (kind ``table`` is a
#: sub-table such as ``[deals.columns]``; ``list`` is a list of strings).
TABLE_SETTINGS: dict[str, tuple[Setting, ...]] = {
    "vocabulary": tuple(
        Setting(name, (), f"Extra {name} added to the documented defaults.", "list")
        for name in ("stages", "types", "personas", "industries")
    ),
    "deals": (
        Setting(
            "path", None, "Deal data folder or export file (same as the deals setting).", "path"
        ),
        Setting("preset", None, "Export format used when --preset is omitted.", "str"),
        Setting("columns", None, "Canonical field = the export's column name.", "table"),
        Setting("stages", None, "The export's stage name = a canonical stage.", "table"),
        Setting("currency", None, "Workspace currency; amounts are converted to it.", "str"),
        Setting("rates", None, "1 unit of the key currency = this many workspace units.", "table"),
        Setting("dayfirst", None, "Read ambiguous dates like 03/04 as 3 April.", "bool"),
        Setting("date_format", None, "Force one date format, e.g. %d/%m/%Y.", "str"),
        Setting("allow_missing", None, "Required fields that may be empty in this source.", "list"),
        Setting(
            "far_future_dates",
            "reject",
            "What to do with close dates implausibly far in the future.",
            "str",
        ),
        Setting(
            "timezone", None, "Timezone of the export's timestamps; unset = as written.", "str"
        ),
        Setting(
            "closed_without_close_date",
            "warn",
            "What to do with won/lost deals that have no close date.",
            "str",
        ),
    ),
    "reviews": (
        Setting(
            "template",
            None,
            "Review notebook template (.ipynb with a 'parameters' cell); unset = the packaged one.",
            "path",
        ),
        Setting(
            "rubric",
            None,
            "Rubric asset, relative to the playbook folder; unset = reviews/sales-competency-rubric.md.",
            "str",
        ),
    ),
    "search": (
        Setting("semantic_weight", 1.0, "Weight of the semantic ranking in the fusion.", "float"),
        Setting(
            "lexical_weight", 1.0, "Weight of the lexical (BM25) ranking in the fusion.", "float"
        ),
        Setting("rrf_k", 20.0, "Reciprocal-rank-fusion constant k.", "float"),
        Setting("exact_boost", 1.5, "Boost for hits that contain the exact query words.", "float"),
        Setting("onnx_queries", True, "Embed queries with the checked ONNX export.", "bool"),
    ),
    "coaching": tuple(Setting(*row) for row in _COACHING),
    # Checked further (shares, positive amounts) by spmkb.onboarding.settings.
    "onboarding": (
        Setting("tracks", None, "Track = list of roles (reps.role) that follow it.", "table"),
        Setting("max_day", 180, "Last day a module or milestone may be due.", "int"),
        Setting("business_days", False, "Count module days in business days.", "bool"),
        Setting("ramp", None, "Track = share of full quota by quarter of tenure.", "table"),
        Setting("ramp_share", 0.5, "Share of a full quarterly quota in 90 days = ramped.", "float"),
        Setting("full_quota", None, "Track = full quarterly quota (else from quotas).", "table"),
    ),
}

#: Tables allowed in spmkb.toml besides the top-level settings.
TABLES: dict[str, str] = {
    "vocabulary": "Extra stages, types, personas, industries (lists) added to the defaults.",
    "deals": "Deal data: path, preset, columns, stages, currency, rates, dates.",
    "reviews": "Review options: template, rubric.",
    "search": "Search options (fusion weights).",
    "coaching": "Coaching: tier shares, top-by-circumstance rules, FDR, recognition levels.",
    "onboarding": "Onboarding: tracks (track -> roles), max_day, ramp schedule, business_days.",
}

VOCABULARY_KEYS = tuple(s.name for s in TABLE_SETTINGS["vocabulary"])

_VOCABULARY_DEFAULTS = {
    "stages": DEFAULT_STAGES,
    "types": DEFAULT_TYPES,
    "personas": DEFAULT_PERSONAS,
    "industries": DEFAULT_INDUSTRIES,
}

_KIND_TYPES = {
    "str": "str",
    "path": "Path",
    "int": "int",
    "float": "float",
    "bool": "bool",
    "list": "tuple[str, ...]",
}


class _SettingsMethods:
    """Paths derived from the settings and access to the spmkb.toml tables."""

    store: Path
    tables: dict[str, Any]

    @property
    def chroma_path(self) -> Path:
        """Folder of the embedded Chroma index."""
        return self.store / "chroma"

    @property
    def db_path(self) -> Path:
        """Path of the workspace SQLite database."""
        return self.store / "spmkb.db"

    @property
    def deals_store(self) -> Path:
        """Folder where imported deal data is kept."""
        return self.store / "deals"

    def table(self, name: str) -> dict[str, Any]:
        """Return the keys a spmkb.toml table sets (e.g. ``deals``), empty when absent."""
        return dict(self.tables.get(name, {}))

    def option(self, table: str, key: str) -> Any:
        """One declared table key: the value spmkb.toml sets, else its declared default."""
        declared = {s.name: s for s in TABLE_SETTINGS[table]}
        if key not in declared:
            raise KeyError(f"[{table}] {key} is not declared in spmkb.config.TABLE_SETTINGS")
        return self.tables.get(table, {}).get(key, declared[key].default)


def _settings_fields() -> list[tuple[str, Any, Any]]:
    """Fields of :class:`Settings`: one per declared setting, then vocabulary and provenance."""
    fields: list[tuple[str, Any, Any]] = []
    for s in SETTINGS:
        kind = _KIND_TYPES[s.kind] + (" | None" if s.default is None else "")
        default = Path(s.default) if s.kind == "path" and s.default is not None else s.default
        fields.append((s.name, kind, field(default=default, repr=not s.secret)))
    for name, default in _VOCABULARY_DEFAULTS.items():
        fields.append((name, "tuple[str, ...]", field(default=default)))
    fields.append(("tables", "dict[str, Any]", field(default_factory=dict)))
    fields.append(("config_file", "Path | None", field(default=None)))
    return fields


#: Resolved settings for one workspace: a dataclass generated from :data:`SETTINGS` (one
#: field per setting, its default declared there once), plus the vocabulary lists, the
#: spmkb.toml tables and the file they came from.
Settings = make_dataclass(
    "Settings", _settings_fields(), bases=(_SettingsMethods,), namespace={"__module__": __name__}
)
Settings.__doc__ = "Resolved settings for one workspace (fields generated from SETTINGS)."


def find_config(start: Path | None = None) -> Path | None:
    """Walk up from ``start`` (default: cwd) and return the first ``spmkb.toml`` found."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
    return None


def _coerce(setting: Setting, value: Any, source: str, base: Path) -> Any:
    if value is None or value == "":
        return None if setting.default is None else setting.default
    try:
        if setting.kind == "path":
            p = Path(os.path.expanduser(str(value)))
            return p if p.is_absolute() else base / p
        if setting.kind == "int":
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        if setting.kind == "float":
            return float(value)
        if setting.kind == "bool":
            if isinstance(value, bool):
                return value
            return str(value).lower() in {"1", "true", "yes", "on"}
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"{setting.name} must be a {setting.kind}, got {value!r}",
            path=source,
            field=setting.name,
            hint=setting.help,
        ) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = getattr(exc, "lineno", None) or (int(found.group(1)) if found else None)
        raise ConfigError(
            f"invalid TOML: {exc}",
            path=path,
            line=line,
            hint="fix the syntax (see docs/authoring.md for an example spmkb.toml)",
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read settings file: {exc.strerror}", path=path) from None


def _line_of(path: Path, table: str, key: str) -> int | None:
    """The line of ``key = ...`` inside ``[table]`` of a TOML file (tomllib gives no lines)."""
    current = ""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for number, text in enumerate(lines, 1):
        header = re.match(r"\s*\[([^\[\]]+)\]\s*(#.*)?$", text)
        if header:
            current = header.group(1).strip()
            if current == f"{table}.{key}":  # a sub-table: [deals.columns]
                return number
            continue
        inside = current == table and re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", text)
        dotted = current == "" and re.match(rf"\s*{re.escape(table)}\.{re.escape(key)}\s*=", text)
        if inside or dotted:
            return number
    return None


_KIND_WORDS = {
    "str": "a string",
    "path": "a path (string)",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "list": "a list of strings",
    "floats": "a list of numbers",
    "table": "a table",
}


def _check_value(s: Setting, value: Any, table: str, path: Path, base: Path) -> Any:
    """Check one table value against its declared kind; paths become relative to ``base``."""
    ok = {
        "str": isinstance(value, str),
        "path": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "list": isinstance(value, list) and all(isinstance(v, str) for v in value),
        "floats": isinstance(value, list)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value),
        "table": isinstance(value, dict),
    }[s.kind]
    if not ok:
        raise ConfigError(
            f"[{table}] {s.name} must be {_KIND_WORDS[s.kind]}, got {value!r}",
            path=path,
            line=_line_of(path, table, s.name),
            field=f"{table}.{s.name}",
            hint=s.help,
        )
    if s.kind == "path":
        p = Path(os.path.expanduser(value))
        return p if p.is_absolute() else base / p
    if s.kind == "float":
        return float(value)
    return value


def _check_table(table: str, data: dict[str, Any], path: Path, base: Path) -> dict[str, Any]:
    """Check every key of one spmkb.toml table against :data:`TABLE_SETTINGS`."""
    declared = {s.name: s for s in TABLE_SETTINGS[table]}
    checked: dict[str, Any] = {}
    for key, value in data.items():
        if key not in declared:
            raise ConfigError(
                f"unknown setting '{key}' in [{table}]",
                path=path,
                line=_line_of(path, table, key),
                field=f"{table}.{key}",
                hint=did_you_mean(key, declared, f"known [{table}] settings: "),
            )
        checked[key] = _check_value(declared[key], value, table, path, base)
    return checked


def load_settings(
    overrides: dict[str, Any] | None = None,
    *,
    config_file: Path | str | None = None,
    cwd: Path | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Resolve settings from defaults, ``spmkb.toml``, ``SPMKB_*`` variables and ``overrides``.

    ``overrides`` holds CLI flags; ``None`` values are ignored so unset flags do not mask
    the file or environment.
    """
    cwd = (cwd or Path.cwd()).resolve()
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for s in SETTINGS:
        values[s.name] = _coerce(s, s.default, "defaults", cwd) if s.default is not None else None

    path = Path(config_file) if config_file else find_config(cwd)
    if path is None and env.get("SPMKB_CONFIG"):
        path = Path(env["SPMKB_CONFIG"])
    tables: dict[str, Any] = {}
    if path is not None:
        if not path.is_file():
            raise ConfigError("settings file not found", path=path)
        data = _read_toml(path)
        base = path.resolve().parent
        # Default paths are relative to the project root (the toml's folder).
        for s in SETTINGS:
            if s.kind == "path" and s.default is not None:
                values[s.name] = base / s.default
        for key, value in data.items():
            # "deals" is both a setting (a path) and a table ([deals] columns = ...).
            if key in _BY_NAME and not (key in TABLES and isinstance(value, dict)):
                values[key] = _coerce(_BY_NAME[key], value, str(path), base)
            elif key in TABLES:
                if not isinstance(value, dict):
                    raise ConfigError(f"[{key}] must be a table", path=path, field=key)
                tables[key] = _check_table(key, value, path, base)
                if key == "deals" and "path" in value:  # [deals] path sets the deals setting
                    values["deals"] = tables[key]["path"]
            else:
                shown = [*_BY_NAME, *(f"[{t}]" for t in TABLES)]
                raise ConfigError(
                    f"unknown setting '{key}'",
                    path=path,
                    field=key,
                    hint=did_you_mean(key, [*_BY_NAME, *TABLES], "known settings: ", shown),
                )

    for s in SETTINGS:
        if s.env and env.get(s.env) not in (None, ""):
            values[s.name] = _coerce(s, env[s.env], f"${s.env}", cwd)

    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if key not in _BY_NAME:
            raise ConfigError(f"unknown setting '{key}'", field=key)
        values[key] = _coerce(_BY_NAME[key], value, f"--{key.replace('_', '-')}", cwd)

    settings = Settings(**values, tables=tables, config_file=path)
    vocab = tables.get("vocabulary", {})
    for key in VOCABULARY_KEYS:
        extra = vocab.get(key, ())
        current = getattr(settings, key)
        merged = tuple(dict.fromkeys([*current, *(v.strip().lower() for v in extra)]))
        setattr(settings, key, merged)
    if len(settings.collection) < 3:
        raise ConfigError("collection name needs 3 or more characters", field="collection")
    return settings
