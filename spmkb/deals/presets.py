"""Column and stage mappings from CRM exports onto the canonical deal schema.

A :class:`Preset` knows the column names of one export (``salesforce``, ``hubspot``) or
one published data set (``maven``, ``salvirt``, ``olist``), how its stage labels map onto
:data:`~spmkb.deals.schema.PIPELINE_STAGES` plus ``won``/``lost``, and how to read it
(one file, or a folder of related files). The ``mapping`` route builds the same thing from
``[deals] columns`` and ``[deals.stages]`` in ``spmkb.toml``. :func:`load_source` reads a
path with a preset (auto-detected from the headers when not given) and returns a
:class:`Source`: the opportunity rows still in their source columns, ready to validate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from spmkb.deals.io import read_header, read_table, table_files
from spmkb.deals.mapping import (
    COMMON_STAGES,
    FLAGS,
    LAST_OPEN_STAGE,
    REQUIRED,
    Mapping,
    Preset,
    Source,
    numbered,
    resolve_mapping,
    stage_key,
)
from spmkb.deals.schema import OPPORTUNITY_COLUMNS, TABLES
from spmkb.errors import DealDataError, did_you_mean


def _one_file(path: Path) -> Path:
    if path.is_dir():
        files = list(table_files(path).values())
        if len(files) != 1:
            raise DealDataError(
                "is a folder; give one export file",
                path=path,
                hint="pass the CSV/Excel/Parquet file itself, or a preset that reads folders (maven, olist)",
            )
        return files[0]
    return path


def read_single(path: Path, preset: Preset, cfg: dict[str, Any]) -> Source:
    """Read a one-file export (Salesforce, HubSpot, any mapped file)."""
    path = _one_file(path)
    frame = numbered(read_table(path))
    return Source(frame, path, resolve_mapping(preset, list(frame.columns), cfg, path))


def read_canonical(path: Path, preset: Preset, cfg: dict[str, Any]) -> Source:
    """Read a file in canonical columns, or a folder in the store layout (opportunities.* ...)."""
    if not path.is_dir():
        return read_single(path, preset, cfg)
    files = table_files(path)
    if "opportunities" not in files:
        raise DealDataError(
            "no opportunities file in the folder",
            path=path,
            hint="a canonical folder holds opportunities.parquet or opportunities.csv",
        )
    main = files["opportunities"]
    frame = numbered(read_table(main))
    src = Source(frame, main, resolve_mapping(preset, list(frame.columns), cfg, main))
    for table in ("reps", "stage_history", "activities", "quotas"):
        if table in files:
            t = read_table(files[table])
            unknown = [c for c in t.columns if c not in TABLES[table]]
            t = t.drop(columns=unknown)
            if table == "reps":
                src.reps, src.reps_path = t, files[table]
            else:
                src.tables[table] = t
    return src


def _maven_folder(path: Path) -> Path:
    return path if path.is_dir() else path.parent


def read_maven(path: Path, preset: Preset, cfg: dict[str, Any]) -> Source:
    """Read the Maven CRM folder: sales_pipeline + sales_teams + accounts + products."""
    folder = _maven_folder(path)
    files = table_files(folder)
    main = files.get("sales_pipeline") or (path if path.is_file() else None)
    if main is None:
        raise DealDataError(
            "no sales_pipeline.csv in the folder",
            path=folder,
            hint="give the Maven CRM folder (sales_pipeline.csv, sales_teams.csv, ...)",
        )
    frame = numbered(read_table(main))
    src = Source(frame, main, resolve_mapping(preset, list(frame.columns), cfg, main))
    if "accounts" in files and "account" in frame.columns:
        acc = read_table(files["accounts"])
        if {"account", "sector"} <= set(acc.columns):
            sector = acc.drop_duplicates("account").set_index("account")["sector"]
            frame["sector"] = frame["account"].map(sector)
            src.mapping.columns.setdefault("industry", "sector")
    if "products" in files and "product" in frame.columns:
        prod = read_table(files["products"])
        if {"product", "sales_price"} <= set(prod.columns):
            price = prod.assign(key=prod["product"].map(stage_key)).drop_duplicates("key")
            frame["list_price"] = (
                frame["product"].map(stage_key).map(price.set_index("key")["sales_price"])
            )
            src.finish = _maven_amounts
            src.notes.append(
                "open and lost deals have no close_value: amount = the product's "
                "list price from products.csv (GTXPro matched to GTX Pro)"
            )
    if "sales_teams" in files:
        teams = read_table(files["sales_teams"])
        if {"sales_agent", "manager"} <= set(teams.columns):
            src.reps = pd.DataFrame(
                {
                    "rep": teams["sales_agent"],
                    "team": teams["manager"],
                    "manager": teams["manager"],
                    "region": teams.get("regional_office"),
                }
            )
            src.reps_path = files["sales_teams"]
    return src


def _maven_amounts(opps: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
    price = pd.to_numeric(raw["list_price"], errors="coerce")
    estimate = (opps["status"] != "won") & (opps["amount"].isna() | (opps["amount"] == 0))
    opps["amount"] = opps["amount"].mask(estimate, price.reindex(opps.index))
    return opps


def read_salvirt(path: Path, preset: Preset, cfg: dict[str, Any]) -> Source:
    """Read the Salvirt B2B file: closed deals with no id, dates or amounts."""
    path = _one_file(path)
    frame = numbered(read_table(path))
    if "id" not in frame.columns:
        frame["id"] = "salvirt-" + frame.index.astype(str)
    src = Source(frame, path, resolve_mapping(preset, list(frame.columns), cfg, path))
    src.notes.append(
        "the Salvirt data set has no ids, dates or amounts: id = 'salvirt-<row>', "
        "created and amount are empty, every deal is closed at stage negotiation"
    )
    return src


def read_olist(path: Path, preset: Preset, cfg: dict[str, Any]) -> Source:
    """Read the Olist funnel: every MQL is a deal; converted MQLs are won, the rest lost."""
    folder = path if path.is_dir() else path.parent
    files = table_files(folder)
    mql_path = files.get("olist_marketing_qualified_leads_dataset")
    deals_path = files.get("olist_closed_deals_dataset")
    if mql_path is None or deals_path is None:
        raise DealDataError(
            "the Olist folder needs olist_marketing_qualified_leads_dataset.csv and "
            "olist_closed_deals_dataset.csv",
            path=folder,
            hint="give the folder holding both files",
        )
    mql = read_table(mql_path)
    closed = read_table(deals_path).drop_duplicates("mql_id")
    frame = numbered(mql.merge(closed, on="mql_id", how="left", validate="many_to_one"))
    converted = frame["won_date"].notna()
    frame["status"] = converted.map({True: "won", False: "lost"})
    frame["stage"] = converted.map({True: LAST_OPEN_STAGE, False: "qualification"})
    src = Source(frame, mql_path, resolve_mapping(preset, list(frame.columns), cfg, mql_path))
    src.notes.append(
        "MQLs without a closed deal count as lost at stage qualification with no rep "
        "and no close date; won deals close at won_date; Olist has no deal amounts"
    )
    return src


_SF_STAGES = {
    "Prospecting": "prospecting",
    "Qualification": "qualification",
    "Needs Analysis": "discovery",
    "Value Proposition": "demo",
    "Id. Decision Makers": "demo",
    "Perception Analysis": "proposal",
    "Proposal/Price Quote": "proposal",
    "Negotiation/Review": "negotiation",
    "Closed Won": "won",
    "Closed Lost": "lost",
}
_HS_STAGES = {
    "appointmentscheduled": "prospecting",
    "Appointment Scheduled": "prospecting",
    "qualifiedtobuy": "qualification",
    "Qualified To Buy": "qualification",
    "presentationscheduled": "demo",
    "Presentation Scheduled": "demo",
    "decisionmakerboughtin": "proposal",
    "Decision Maker Bought-In": "proposal",
    "contractsent": "negotiation",
    "Contract Sent": "negotiation",
    "closedwon": "won",
    "Closed Won": "won",
    "closedlost": "lost",
    "Closed Lost": "lost",
}

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "salesforce",
            "Salesforce opportunity report export (CSV or .xlsx)",
            {
                "id": ("Opportunity ID", "Opportunity ID (18 char)", "Id"),
                "rep": ("Opportunity Owner", "Owner Name", "Owner Full Name", "Owner"),
                "stage": ("Stage", "StageName"),
                "amount": ("Amount", "Amount (converted)", "Total Price"),
                "created": ("Created Date", "CreatedDate"),
                "close_date": ("Close Date", "CloseDate"),
                "account": ("Account Name", "Account"),
                "name": ("Opportunity Name", "Name"),
                "industry": ("Industry", "Account Industry"),
                "segment": ("Type", "Opportunity Type", "Segment"),
                "product": ("Product Name", "Product", "Primary Product"),
                "source": ("Lead Source", "LeadSource"),
                "competitor": ("Main Competitor(s)", "Competitor", "Primary Competitor"),
                "loss_reason": ("Loss Reason", "Closed Lost Reason", "Reason Lost"),
                "forecast_category": ("Forecast Category", "ForecastCategoryName"),
                "currency": (
                    "Amount Currency",
                    "Opportunity Currency",
                    "Currency",
                    "CurrencyIsoCode",
                ),
                "won": ("Won", "IsWon"),
                "closed": ("Closed", "IsClosed"),
            },
            _SF_STAGES,
            signature=("opportunity id", "opportunity owner", "opportunity name", "stage"),
        ),
        Preset(
            "hubspot",
            "HubSpot deals export (CSV or .xlsx)",
            {
                "id": ("Record ID", "Deal ID", "hs_object_id"),
                "rep": ("Deal owner", "Deal Owner", "hubspot_owner_id"),
                "stage": ("Deal Stage", "dealstage"),
                "amount": ("Amount", "amount", "Amount in company currency"),
                "created": ("Create Date", "createdate"),
                "close_date": ("Close Date", "closedate"),
                "account": ("Associated Company", "Company name", "Associated Company (Primary)"),
                "name": ("Deal Name", "dealname"),
                "industry": ("Industry",),
                "segment": ("Deal Type", "dealtype"),
                "product": ("Product", "Line item"),
                "source": ("Original Source Type", "Original Source", "Lead Source"),
                "competitor": ("Competitor",),
                "loss_reason": ("Closed Lost Reason", "closed_lost_reason"),
                "forecast_category": ("Forecast category", "hs_manual_forecast_category"),
                "currency": ("Currency", "Deal currency code", "deal_currency_code"),
                "won": ("Is Closed Won", "hs_is_closed_won"),
                "closed": ("Is Deal Closed?", "Is Closed", "hs_is_closed"),
            },
            _HS_STAGES,
            signature=("record id", "deal name", "deal stage", "deal owner"),
        ),
        Preset(
            "maven",
            "Maven Analytics CRM Sales Opportunities folder (sales_pipeline.csv + sales_teams.csv "
            "+ accounts.csv + products.csv)",
            {
                "id": ("opportunity_id",),
                "rep": ("sales_agent",),
                "stage": ("deal_stage",),
                "amount": ("close_value",),
                "created": ("engage_date",),
                "close_date": ("close_date",),
                "account": ("account",),
                "product": ("product",),
            },
            {"Prospecting": "prospecting", "Engaging": "discovery", "Won": "won", "Lost": "lost"},
            signature=("opportunity_id", "sales_agent", "deal_stage", "engage_date"),
            files=("sales_pipeline",),
            allow_missing=frozenset({"created", "amount"}),
            read=read_maven,
        ),
        Preset(
            "salvirt",
            "Salvirt B2B opportunities (Salvirt_B2B_ML_dataset.csv, ';'-separated)",
            {
                "id": ("id",),
                "rep": ("Seller",),
                "stage": ("Status",),
                "product": ("Product",),
                "source": ("Source",),
                "segment": ("Comp_size",),
            },
            {"Won": "won", "Lost": "lost"},
            signature=("product", "seller", "authority", "comp_size", "status"),
            allow_missing=frozenset({"created", "amount"}),
            read=read_salvirt,
        ),
        Preset(
            "olist",
            "Olist marketing funnel folder (MQLs + closed deals)",
            {
                "id": ("mql_id",),
                "rep": ("sr_id",),
                "stage": ("stage",),
                "status": ("status",),
                "created": ("first_contact_date",),
                "close_date": ("won_date",),
                "source": ("origin",),
                "industry": ("business_segment",),
                "segment": ("lead_type",),
            },
            {},
            signature=("mql_id", "first_contact_date", "landing_page_id", "origin"),
            files=("olist_marketing_qualified_leads_dataset", "olist_closed_deals_dataset"),
            allow_missing=frozenset({"rep", "amount"}),
            read=read_olist,
        ),
        Preset(
            "canonical",
            "spmkb's own layout: canonical column names, or a folder with opportunities.*",
            {c: (c,) for c in [*OPPORTUNITY_COLUMNS, *FLAGS]},
            signature=("id", "rep", "stage", "status", "amount", "created"),
            files=("opportunities",),
            read=read_canonical,
        ),
    )
}
MAPPING = Preset("mapping", "explicit [deals] columns and [deals.stages] in spmkb.toml", {})
PRESET_NAMES: tuple[str, ...] = (*PRESETS, "mapping")


def get_preset(name: str) -> Preset:
    """Return the preset called ``name``; unknown names raise with a did-you-mean hint."""
    key = name.strip().lower()
    if key == "mapping":
        return MAPPING
    if key not in PRESETS:
        raise DealDataError(
            f"unknown preset '{name}'", hint=did_you_mean(key, PRESET_NAMES, "presets: ")
        )
    return PRESETS[key]


def _headers(path: Path) -> list[str]:
    return read_header(path)


def detect_preset(path: Path, deals_cfg: dict[str, Any] | None = None) -> str:
    """Guess the preset of ``path`` from its file names and headers; raise when nothing fits."""
    cfg = deals_cfg or {}
    if path.is_dir():
        stems = set(table_files(path))
        for p in PRESETS.values():
            if p.files and p.files[0] in stems:
                return p.name
        path = _one_file(path)
    stem = path.stem.lower()
    for p in PRESETS.values():
        if stem in p.files and p.name != "canonical":
            return p.name
    headers = _headers(path)
    lower = {h.lower() for h in headers}
    mapped = cfg.get("columns") or {}
    if mapped and all(str(v).lower() in lower for v in mapped.values()):
        return "mapping"
    best, best_score = None, 0.0
    for p in PRESETS.values():
        if not p.signature:
            continue
        score = sum(h in lower for h in p.signature) / len(p.signature)
        if score > best_score:
            best, best_score = p.name, score
    if best is None or best_score < 0.75:
        raise DealDataError(
            "cannot tell which CRM export this is from its headers",
            path=path,
            hint="pass --preset ("
            + ", ".join(PRESET_NAMES)
            + ") or map the columns in spmkb.toml: "
            '[deals] columns = {id = "...", rep = "...", stage = "...", amount = "...", created = "..."}'
            "; headers found: " + ", ".join(headers[:20]),
        )
    return best


def load_source(
    path: Path | str, preset: str | None = None, deals_cfg: dict[str, Any] | None = None
) -> Source:
    """Read ``path`` (file or folder) with ``preset`` (auto-detected when ``None``)."""
    path = Path(path)
    cfg = deals_cfg or {}
    if not path.exists():
        raise DealDataError(
            "file not found", path=path, hint="check the path (relative to the current folder)"
        )
    name = preset or cfg.get("preset") or detect_preset(path, cfg)
    try:
        p = get_preset(str(name))
    except DealDataError as err:
        err.path = str(path)
        raise
    if p.name == "mapping" and not cfg.get("columns"):
        raise DealDataError(
            "the mapping preset needs a column mapping",
            path=path,
            hint='add [deals] columns = {id = "...", rep = "...", stage = "...", amount = "...", '
            'created = "..."} to spmkb.toml',
        )
    reader = p.read or read_single
    return reader(path, p, cfg)


__all__ = [
    "COMMON_STAGES",
    "LAST_OPEN_STAGE",
    "PRESETS",
    "PRESET_NAMES",
    "REQUIRED",
    "Mapping",
    "Preset",
    "Source",
    "detect_preset",
    "get_preset",
    "load_source",
    "resolve_mapping",
    "stage_key",
]
