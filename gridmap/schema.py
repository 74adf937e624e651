"""The data model: layer names, columns, types and allowed values.

The store is a user-facing artifact (district IT staff open it in QGIS), so
these names are part of gridmap's interface. ``docs/schema.md`` is generated
from this module by ``python -m gridmap schema``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from gridmap.errors import ValidationError

SCHEMA_VERSION = "4"  # meta.schema_version; gridmap.store.upgrades brings older stores up
CRS = "EPSG:4326"

TIERS = ("red", "orange", "yellow", "green")  # most urgent first
GRID_TYPES = ("urban", "rural", "dedicated")
AREA_LEVELS = ("district", "street", "community")
LEVELS = (*AREA_LEVELS, "grid")  # the drill-down order
WORKER_KINDS = ("full_time", "part_time", "volunteer")
ASSIGNMENT_ROLES = ("primary", "backup")
MOVE_KINDS = ("grid", "household")
# Roles of accounts and tokens; a token grants only TOKEN_ROLES (screens log in unattended).
ROLES = ("admin", "leader", "chief", "worker", "screen", "helper")
TOKEN_ROLES = ("screen",)
VISIT_METHODS = ("door", "phone", "online", "volunteer")
LOCATION_QUALITIES = ("exact", "approximate")
CATEGORIES = ("低保", "特困", "低保边缘", "支出型困难", "困境儿童", "孤儿",
              "事实无人抚养", "重病重残", "独居老人")
CATEGORY_SEPARATOR = ";"  # households.categories holds several, joined by this

# The closed loop (发现报告 → 分析研判 → 跟踪办理 → 办结回访) and needs (微心愿).
CASE_SOURCES = ("visit", "volunteer", "hotline", "neighbour", "data_alert",
                "online_application")
CASE_CATEGORIES = ("因病", "因残", "因学", "失业", "意外事故", "住房困难", "养老照护",
                   "儿童监护", "生活困难")
# One vocabulary of assistance categories: a household is tagged with its special groups
# (CATEGORIES) and with the causes of its difficulty, which are the case categories
# (因病, 因残, ...); a household import accepts every one of them.
HOUSEHOLD_CATEGORIES = CATEGORIES + tuple(c for c in CASE_CATEGORIES if c not in CATEGORIES)
URGENCIES = ("emergency", "ordinary")
CASE_STAGES = ("reported", "assessed", "handling", "closed", "followed_up")
JUDGEMENTS = ("eligible", "in_difficulty", "not_in_difficulty")
ASSISTANCE = ("低保", "特困供养", "临时救助", "医疗救助", "教育救助", "住房救助", "就业救助",
              "残疾人补贴", "慈善帮扶", "服务类帮扶")
REFERRALS = ("education", "health", "housing", "employment", "charity", "disability")
NEED_CATEGORIES = ("家用电器", "生活用品", "助学", "就业", "医疗康复", "陪伴照料",
                   "维修改造", "文体活动")
NEED_STAGES = ("posted", "claimed", "delivered", "confirmed")
HELPER_KINDS = ("volunteer", "organisation", "party_member", "charity")
CONCLUSIONS = ("normal", "poverty_risk", "expenditure_poverty", "income_poverty")
# Proactive discovery by data matching (大数据比对预警): persons, department feeds, alerts.
RELATIONS = ("户主", "配偶", "子女", "父母", "孙子女", "兄弟姐妹", "其他")
ALERT_RISKS = ("支出型", "因病", "因残", "收入型", "生活困难", "资格复核")
ALERT_KINDS = ("registered", "lead")  # a person in the registry, or a new lead (线索)
PLACEMENTS = ("registry", "community_code", "address", "unplaced")
ALERT_STAGES = ("new", "assigned", "verified", "confirmed", "dismissed")
ALERT_OUTCOMES = ("tier_change", "case", "referral")
# Services (物质+服务): who delivers them, what a record counts, where a grant came from.
PROVIDER_KINDS = ("养老服务中心", "社工站", "志愿队伍", "残疾人之家", "医疗机构", "助餐点",
                  "社会组织", "家政企业")
SERVICE_UNITS = ("hours", "times", "meals", "yuan")
ENTITLEMENT_SOURCES = ("assessment", "manual")


@dataclass(frozen=True)
class Column:
    """One attribute column: its type ('str'|'int'|'float'|'bool'|'date'|'datetime')."""

    name: str
    kind: str
    doc: str
    nullable: bool = False
    choices: tuple | None = None
    range: tuple[float, float] | None = None


@dataclass(frozen=True)
class Layer:
    """One layer (spatial) or attribute table (``geometry is None``) of the store."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    geometry: str | None = None  # 'MultiPolygon' | 'Point' | None
    references: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _c(name, kind, doc, **kw) -> Column:
    return Column(name, kind, doc, **kw)


def _events(subject: str, key: str, stages: tuple[str, ...]) -> Layer:
    """The history of a case or a need: one row per change of stage, never edited."""
    return Layer(f"{subject}_events", f"Every change of a {subject}'s stage: who, when, what.", (
        _c("event_id", "str", "Stable id."),
        _c(key, "str", f"The {subject}."),
        _c("happened_at", "datetime", "When."),
        _c("from_stage", "str", "Stage before; empty when created.", nullable=True,
           choices=stages),
        _c("to_stage", "str", "Stage after.", choices=stages),
        _c("actor", "str", "Who made the change (worker, user or helper)."),
        _c("detail", "str", "What was recorded, as 'field=value; ...'.", nullable=True),
    ), key=("event_id",), references={key: (f"{subject}s", key)})


LAYERS: dict[str, Layer] = {layer.name: layer for layer in (
    Layer("areas", "Districts (区/县), streets or towns (街道/镇), "
          "communities or villages (社区/村).", (
        _c("area_id", "str", "Stable id; districts use their 6-digit adcode."),
        _c("name", "str", "Chinese name."),
        _c("level", "str", "Level in the hierarchy.", choices=AREA_LEVELS),
        _c("parent_id", "str", "The enclosing area; empty for districts.", nullable=True),
    ), key=("area_id",), geometry="MultiPolygon",
        references={"parent_id": ("areas", "area_id")}),
    Layer("grids", "Grids (网格): the smallest unit, each with at least one full-time worker.", (
        _c("grid_id", "str", "Stable id."),
        _c("name", "str", "Chinese name."),
        _c("grid_type", "str", "Urban, rural or dedicated (专属网格).", choices=GRID_TYPES),
        _c("community_id", "str", "Enclosing community or village."),
        _c("street_id", "str", "Enclosing street or town."),
        _c("district_id", "str", "Enclosing district."),
    ), key=("grid_id",), geometry="MultiPolygon",
        references={"community_id": ("areas", "area_id"), "street_id": ("areas", "area_id"),
                    "district_id": ("areas", "area_id")}),
    Layer("households", "Vulnerable households, located where they live.", (
        _c("household_id", "str", "Stable id."),
        _c("alias", "str", "A pseudonym that is safe to show on maps and screens."),
        _c("head_name", "str", "Head of household (personal data)."),
        _c("id_number", "str", "Resident ID number of the head, 18 characters (personal data)."),
        _c("phone", "str", "Contact phone (personal data).", nullable=True),
        _c("address", "str", "Address where they live (personal data)."),
        _c("grid_id", "str", "Grid where the household lives; its file follows it."),
        _c("registered_grid_id", "str",
           "Grid of household registration; differs from grid_id for 人户分离.", nullable=True),
        _c("tier", "str", "Four-colour tier (四色标注), red most urgent.", choices=TIERS),
        _c("tier_since", "date", "Date the current tier was set."),
        _c("categories", "str",
           f"Special groups and causes of difficulty (HOUSEHOLD_CATEGORIES: the case "
           f"categories too), several joined by '{CATEGORY_SEPARATOR}' (e.g. 低保;因病).",
           nullable=True),
        _c("members", "int", "Household members.", range=(1, 30)),
        _c("warning_level", "int", "Graded warning: 0 none, 1-3 (一级/二级/三级预警).",
           range=(0, 3)),
        _c("location_quality", "str", "'approximate' when placed at the grid's centre.",
           choices=LOCATION_QUALITIES),
    ), key=("household_id",), geometry="Point",
        references={"grid_id": ("grids", "grid_id")}),
    Layer("workers", "Grid workers (网格员), part-time workers and volunteers.", (
        _c("worker_id", "str", "Stable id."),
        _c("name", "str", "Name."),
        _c("kind", "str", "Employment kind.", choices=WORKER_KINDS),
        _c("capacity", "float", "Time for the vulnerable households, as a share of a full-time "
           "grid worker's (1.0; policy workload.hours_per_month).", range=(0.0, 2.0)),
        _c("chief_id", "str", "The grid chief (网格长, also a worker) who leads them.",
           nullable=True),
    ), key=("worker_id",), references={"chief_id": ("workers", "worker_id")}),
    Layer("assignments", "Which workers serve which grids.", (
        _c("worker_id", "str", "Worker."),
        _c("grid_id", "str", "Grid."),
        _c("role", "str", "Primary or backup.", choices=ASSIGNMENT_ROLES),
    ), key=("worker_id", "grid_id"),
        references={"worker_id": ("workers", "worker_id"), "grid_id": ("grids", "grid_id")}),
    Layer("household_helpers", "Individual households assigned to a helper (帮包).", (
        _c("household_id", "str", "Household."),
        _c("worker_id", "str", "The helper (帮包) or part-time worker responsible for it "
           "instead of the grid's primary worker (the latest `since` wins)."),
        _c("since", "date", "Date the helper took it on."),
    ), key=("household_id", "worker_id"),
        references={"household_id": ("households", "household_id"),
                    "worker_id": ("workers", "worker_id")}),
    Layer("visits", "Visits and contacts (走访), in person or not.", (
        _c("visit_id", "str", "Stable id."),
        _c("household_id", "str", "Household visited."),
        _c("worker_id", "str", "Who visited."),
        _c("visited_at", "datetime", "Local date and time (ISO 8601)."),
        _c("method", "str", "How.", choices=VISIT_METHODS),
        _c("note", "str", "Free text.", nullable=True),
        _c("found_difficulty", "bool", "A new difficulty was found."),
    ), key=("visit_id",),
        references={"household_id": ("households", "household_id"),
                    "worker_id": ("workers", "worker_id")}),
    Layer("tier_changes", "Every change of a household's tier, with its reason.", (
        _c("household_id", "str", "Household."),
        _c("changed_at", "datetime", "When."),
        _c("from_tier", "str", "Tier before; empty when first tagged.", nullable=True,
           choices=TIERS),
        _c("to_tier", "str", "Tier after.", choices=TIERS),
        _c("reason", "str", "Why (required)."),
        _c("changed_by", "str", "Worker or user who made the change."),
    ), key=("household_id", "changed_at"),
        references={"household_id": ("households", "household_id")}),
    Layer("cases", "Discovered difficulties (发现报告 → 分析研判 → 跟踪办理 → 办结回访); "
          "the current state of each case, its history is in case_events.", (
        _c("case_id", "str", "Stable id."),
        _c("household_id", "str", "The household in difficulty."),
        _c("source", "str", "How it was found.", choices=CASE_SOURCES),
        _c("category", "str", "Kind of difficulty.", choices=CASE_CATEGORIES),
        _c("urgency", "str", "Emergency cases get aid first.", choices=URGENCIES),
        _c("description", "str", "What was found (personal data)."),
        _c("reported_by", "str", "Who reported it."),
        _c("reported_at", "datetime", "When it was reported."),
        _c("stage", "str", "Current stage.", choices=CASE_STAGES),
        _c("due_on", "date", "Deadline for aid or referral, in working days from the report "
           "(policy)."),
        _c("judgement", "str", "The assessment: eligible for assistance, in difficulty but "
           "not eligible, or no difficulty.", nullable=True, choices=JUDGEMENTS),
        _c("assistance", "str", f"Assistance items, joined by '{CATEGORY_SEPARATOR}'.",
           nullable=True),
        _c("referrals", "str", f"Referred to, joined by '{CATEGORY_SEPARATOR}' "
           f"({', '.join(REFERRALS)}).", nullable=True),
        _c("aid_kind", "str", "Aid given (kind).", nullable=True),
        _c("aid_amount", "float", "Aid given (yuan).", nullable=True, range=(0.0, 1e7)),
        _c("assessed_at", "datetime", "When assessed.", nullable=True),
        _c("handling_at", "datetime", "When aid or referral started.", nullable=True),
        _c("closed_at", "datetime", "When closed.", nullable=True),
        _c("followed_up_at", "datetime", "When followed up.", nullable=True),
        _c("follow_up_visit_id", "str", "The visit after closing that followed it up.",
           nullable=True),
    ), key=("case_id",), references={"household_id": ("households", "household_id")}),
    _events("case", "case_id", CASE_STAGES),
    Layer("needs", "Concrete needs posted for helpers to claim (微心愿 / 红哨子); shown to "
          "helpers without naming the household.", (
        _c("need_id", "str", "Stable id."),
        _c("household_id", "str", "The household in need (never shown to helpers)."),
        _c("category", "str", "Kind of need.", choices=NEED_CATEGORIES),
        _c("description", "str", "What is needed, without names or addresses."),
        _c("posted_by", "str", "Worker who posted it."),
        _c("posted_at", "datetime", "When posted."),
        _c("stage", "str", "Current stage.", choices=NEED_STAGES),
        _c("helper", "str", "Who claimed it (person or organisation).", nullable=True),
        _c("helper_kind", "str", "Kind of helper.", nullable=True, choices=HELPER_KINDS),
        _c("claimed_at", "datetime", "When claimed.", nullable=True),
        _c("delivered_at", "datetime", "When delivered.", nullable=True),
        _c("confirmed_at", "datetime", "When the household confirmed receipt.", nullable=True),
    ), key=("need_id",), references={"household_id": ("households", "household_id")}),
    _events("need", "need_id", NEED_STAGES),
    Layer("assessments", "Multidimensional assessments (多维评估): the score, conclusion and "
          "suggestions, with the configuration version used.", (
        _c("assessment_id", "str", "Stable id."),
        _c("household_id", "str", "The household assessed."),
        _c("assessed_at", "datetime", "When."),
        _c("assessor", "str", "Who assessed."),
        _c("config_version", "str", "The version of data/assessment.toml used."),
        _c("score", "float", "Out of 100; higher is poorer, more urgent.", range=(0.0, 100.0)),
        _c("conclusion", "str", "Normal, poverty risk, expenditure- or income-type poverty.",
           choices=CONCLUSIONS),
        _c("suggested_tier", "str", "The tier the score suggests.", choices=TIERS),
        _c("suggested_items", "str", f"Suggested assistance, joined by "
           f"'{CATEGORY_SEPARATOR}'.", nullable=True),
        _c("contributions", "str", "Points per dimension (JSON); they sum to the score."),
        _c("answers", "str", "The answers (JSON), keyed by indicator (personal data)."),
    ), key=("assessment_id",), references={"household_id": ("households", "household_id")}),
    Layer("persons", "The members of each household (the head's id_number is the "
          "household's), matched by ID number against department feeds.", (
        _c("person_id", "str", "Stable id."),
        _c("household_id", "str", "The household."),
        _c("name", "str", "Name (personal data)."),
        _c("id_number", "str", "Resident ID number, 18 characters (personal data)."),
        _c("relation", "str", "Relation to the head of household.", choices=RELATIONS),
        _c("birth_date", "date", "Date of birth (as in the ID number)."),
        _c("disability", "bool", "Holds a disability certificate (残疾证)."),
        _c("chronic_illness", "bool", "Has a chronic or severe illness."),
    ), key=("person_id",), references={"household_id": ("households", "household_id")}),
    Layer("feeds", "Lists received from departments (医保, 残联, 人社, 公安/殡葬, 水电气, "
          "教育), with their provenance.", (
        _c("feed_id", "str", "Stable id."),
        _c("source", "str", "The department or system that sent it (e.g. 医保)."),
        _c("file", "str", "The file's name."),
        _c("received_on", "date", "The day it was received."),
        _c("imported_by", "str", "Who imported it."),
        _c("imported_at", "datetime", "When."),
        _c("rows", "int", "Rows in the file.", range=(0, 10**9)),
        _c("new_rows", "int", "Rows not seen before (a re-sent row counts once).",
           range=(0, 10**9)),
        _c("alerts", "int", "Alerts it raised.", range=(0, 10**9)),
    ), key=("feed_id",)),
    Layer("feed_rows", "The rows of the feeds, among the most sensitive data kept; deleted "
          "after the policy's feeds.retention_days, the alerts they raised stay.", (
        _c("row_hash", "str", "SHA-256 of the row's source and values: a row sent again "
           "is the same row."),
        _c("feed_id", "str", "The feed that first brought it."),
        _c("id_number", "str", "身份证号 (personal data)."),
        _c("name", "str", "姓名 (personal data).", nullable=True),
        _c("item", "str", "事项: what the department reports (e.g. 住院)."),
        _c("happened_on", "date", "日期: when it happened."),
        _c("amount", "float", "金额 in yuan (personal data).", nullable=True,
           range=(-1e9, 1e9)),
        _c("address", "str", "地址 (personal data).", nullable=True),
        _c("community_code", "str", "社区代码: the community it names.", nullable=True),
    ), key=("row_hash",), references={"feed_id": ("feeds", "feed_id")}),
    Layer("alerts", "Alerts raised by matching feeds against the registry (大数据比对预警): "
          "for a registered person, to their household's responsible worker; for an "
          "unknown person, a lead (线索) placed in a grid. The current state; the history "
          "is in alert_events.", (
        _c("alert_id", "str", "Stable id."),
        _c("rule", "str", "The 事项 whose rule fired (policy feeds.rules)."),
        _c("risk", "str", "Risk type.", choices=ALERT_RISKS),
        _c("source", "str", "The feed's source."),
        _c("feed_id", "str", "The feed whose import raised it."),
        _c("kind", "str", "A registered person, or a new lead (线索).", choices=ALERT_KINDS),
        _c("id_number", "str", "The person's ID number (personal data)."),
        _c("name", "str", "The person's name (personal data).", nullable=True),
        _c("person_id", "str", "The person, when registered.", nullable=True),
        _c("household_id", "str", "Their household, when registered.", nullable=True),
        _c("grid_id", "str", "The grid it goes to; empty when unplaced.", nullable=True),
        _c("street_id", "str", "The street of an unplaced lead, when known.", nullable=True),
        _c("placed_by", "str", "How the grid was found.", choices=PLACEMENTS),
        _c("evidence", "str", "The rule that fired, without amounts (e.g. 12个月自付≥20000元)."),
        _c("amount", "float", "The sum or amount that fired it (personal data; admin only).",
           nullable=True, range=(-1e12, 1e12)),
        _c("triggered_on", "date", "The day of the fact that fired the rule."),
        _c("raised_at", "datetime", "When the alert was raised."),
        _c("suggested_tier", "str", "A tier the rule suggests; never applied by itself.",
           nullable=True, choices=TIERS),
        _c("stage", "str", "Current stage.", choices=ALERT_STAGES),
        _c("assigned_to", "str", "The worker it is assigned to.", nullable=True),
        _c("assigned_at", "datetime", "When assigned.", nullable=True),
        _c("due_on", "date", "Verify by (working days from the policy)."),
        _c("verified_at", "datetime", "When verified by a door visit.", nullable=True),
        _c("visit_id", "str", "The visit that verified it (registered households).",
           nullable=True),
        _c("decided_at", "datetime", "When confirmed or dismissed.", nullable=True),
        _c("outcome", "str", "What confirmed it.", nullable=True, choices=ALERT_OUTCOMES),
        _c("case_id", "str", "The case opened, when the outcome is a case.", nullable=True),
        _c("referral", "str", "The department referred to.", nullable=True,
           choices=REFERRALS),
        _c("reason", "str", "Why dismissed, or a note on the decision.", nullable=True),
    ), key=("alert_id",)),
    _events("alert", "alert_id", ALERT_STAGES),
    # Services (物质+服务): the providers, what households are owed, what was delivered.
    Layer("providers", "Service providers (养老服务中心, 社工站, 志愿队伍, ...) and the area "
          "they serve.", (
        _c("provider_id", "str", "Stable id."),
        _c("name", "str", "Name."),
        _c("kind", "str", "Kind of provider; the catalogue (data/services.toml) says which "
           "kinds may deliver which service.", choices=PROVIDER_KINDS),
        _c("area_id", "str", "The area served (a district, street or community); empty for "
           "the whole city.", nullable=True),
        _c("phone", "str", "Contact phone of the organisation.", nullable=True),
    ), key=("provider_id",), references={"area_id": ("areas", "area_id")}),
    Layer("entitlements", "Services a household is owed each month (e.g. 60 hours of in-home "
          "service), granted by the assessment's rule or by hand.", (
        _c("entitlement_id", "str", "Stable id."),
        _c("household_id", "str", "The household."),
        _c("person", "str", "The member served, when not the household as a whole "
           "(personal data).", nullable=True),
        _c("service_id", "str", "The service (a key of data/services.toml)."),
        _c("provider_id", "str", "The provider that is to deliver it.", nullable=True),
        _c("amount", "float", "Amount per month, in the service's unit.",
           range=(0.0, 1_000_000.0)),
        _c("valid_from", "date", "First day."),
        _c("valid_until", "date", "Last day; empty while in force.", nullable=True),
        _c("reason", "str", "Why (e.g. 评估：失能) (personal data)."),
        _c("source", "str", "Granted by the assessment's rule or by hand.",
           choices=ENTITLEMENT_SOURCES),
        _c("assessment_id", "str", "The assessment that granted it.", nullable=True),
        _c("granted_by", "str", "Who granted it."),
        _c("granted_at", "datetime", "When."),
    ), key=("entitlement_id",), references={"household_id": ("households", "household_id")}),
    Layer("service_records", "Services delivered (服务记录): who was served, what, by whom, "
          "when and how much.", (
        _c("record_id", "str", "Stable id."),
        _c("household_id", "str", "The household served."),
        _c("service_id", "str", "The service (a key of data/services.toml)."),
        _c("provider_id", "str", "The provider."),
        _c("delivered_by", "str", "The provider's staff member or volunteer who delivered it "
           "(personal data)."),
        _c("started_at", "datetime", "When it started (local time)."),
        _c("quantity", "float", "How much, in the service's unit (hours: the duration).",
           range=(0.0, 1_000_000.0)),
        _c("scheduled_at", "datetime", "When it was booked for; on time means started by "
           "then plus the policy's services.on_time_minutes.", nullable=True),
        _c("note", "str", "Free text (personal data).", nullable=True),
        _c("recorded_by", "str", "Who entered it (a user, or the import)."),
        _c("recorded_at", "datetime", "When it was entered."),
    ), key=("record_id",), references={"household_id": ("households", "household_id"),
                                       "provider_id": ("providers", "provider_id")}),
    Layer("service_orders", "Services ordered from the catalogue for a case or a need "
          "(issue 21): delivered when the household's records of the service since the "
          "order add up to its quantity, which moves the case or need on.", (
        _c("order_id", "str", "Stable id."),
        _c("household_id", "str", "The household to serve."),
        _c("service_id", "str", "The service (a key of data/services.toml)."),
        _c("quantity", "float", "How much, in the service's unit.",
           range=(0.0, 1_000_000.0)),
        _c("provider_id", "str", "The provider asked to deliver it."),
        _c("case_id", "str", "The case it is part of the handling of.", nullable=True),
        _c("need_id", "str", "The need it answers.", nullable=True),
        _c("ordered_by", "str", "Who ordered it."),
        _c("ordered_at", "datetime", "When."),
        _c("delivered_at", "datetime", "When the records since the order reached the "
           "quantity; empty while open.", nullable=True),
    ), key=("order_id",), references={"household_id": ("households", "household_id"),
                                      "provider_id": ("providers", "provider_id")}),
    Layer("reassignments", "Accepted rebalancing moves (/workload): a grid to a new primary "
          "worker, or a household to a new responsible worker.", (
        _c("kind", "str", "What moved.", choices=MOVE_KINDS),
        _c("item_id", "str", "The grid or household."),
        _c("from_worker", "str", "Worker before."),
        _c("to_worker", "str", "Worker after."),
        _c("scope", "str", "The scope rebalanced (community:ID, street:ID, chief:ID)."),
        _c("accepted_by", "str", "Who accepted the proposal."),
        _c("accepted_at", "datetime", "When."),
    ), key=("kind", "item_id", "accepted_at")),
    Layer("tokens", "Long random tokens that log a device in unattended (a presentation "
          "screen); only a hash is kept.", (
        _c("name", "str", "A name for the device (e.g. 京口区服务中心大屏)."),
        _c("role", "str", "The role it grants.", choices=TOKEN_ROLES),
        _c("token_sha256", "str", "SHA-256 of the token, hex."),
        _c("created_at", "datetime", "When created."),
        _c("revoked_at", "datetime", "When revoked; empty while valid.", nullable=True),
    ), key=("name",)),
    Layer("accounts", "Who may log in, with which role and over which area.", (
        _c("username", "str", "Login name."),
        _c("role", "str", "Role.", choices=ROLES),
        _c("scope", "str", "Area the role covers: LEVEL:ID, or empty for the whole city.",
           nullable=True),
        _c("worker_id", "str", "The worker this account is (workers, chiefs, helpers).",
           nullable=True),
        _c("password_hash", "str", "argon2id hash (salted, slow)."),
        _c("created_at", "datetime", "When created."),
        _c("disabled", "bool", "A disabled account cannot log in."),
    ), key=("username",), references={"worker_id": ("workers", "worker_id")}),
    Layer("login_failures", "Wrong passwords in a row per user name and source, and the "
          "lock they caused: a name is locked only from the source its failures came from. "
          "Names that are no account are counted alike, so a refusal does not tell which "
          "are. The right password, once no lock holds, clears its row.", (
        _c("username", "str", "The user name tried (an account's or not)."),
        _c("source", "str", "Where from: the client's address in the app ('unknown' when "
           "the server sees none, e.g. on localhost), 'cli' on the command line."),
        _c("failed_logins", "int", "Wrong passwords in a row.", range=(0, 1_000_000)),
        _c("locked_until", "datetime", "No login with this name from this source before "
           "this.", nullable=True),
    ), key=("username", "source")),
    Layer("audit", "Who viewed a household's details, exported personal data or changed "
          "anything: who, when, what, from which session.", (
        _c("at", "datetime", "When."),
        _c("username", "str", "Who (an account, a token name, or cli)."),
        _c("session", "str", "Session id.", nullable=True),
        _c("action", "str", "What (view_household, export_personal, append_visit, ...)."),
        _c("target", "str", "The record concerned (a household, case, need, ...).",
           nullable=True),
        _c("detail", "str", "More (JSON).", nullable=True),
    ), key=("at", "username", "action")),
    Layer("imports", "Files imported (/import, python -m gridmap import), to report and undo.", (
        _c("import_id", "str", "Stable id."),
        _c("file", "str", "The file's name."),
        _c("layers", "str", "Layers written, joined by ';'."),
        _c("inserted", "int", "Rows added.", range=(0, 10**9)),
        _c("updated", "int", "Rows changed.", range=(0, 10**9)),
        _c("imported_by", "str", "Who."),
        _c("imported_at", "datetime", "When."),
        _c("undone_at", "datetime", "When undone; empty while in force.", nullable=True),
    ), key=("import_id",)),
    Layer("import_undo", "What an import replaced, to undo it: per changed row, its key and "
          "the row before; the keys of the rows it added, in batches ('added:N').", (
        _c("import_id", "str", "The import."),
        _c("layer", "str", "The layer."),
        _c("row_key", "str", "The row's key (JSON), or 'added:N' for a batch of added rows."),
        _c("before", "str", "The row before (JSON, geometry as WKB hex), or the added "
           "rows' keys (JSON).", nullable=True),
    ), key=("import_id", "layer", "row_key")),
    Layer("meta", "Facts about the store itself (schema version, demo seed, ...).", (
        _c("key", "str", "Name."),
        _c("value", "str", "Value."),
    ), key=("key",)),
)}

# Who may log in and what they did: changing these does not change what the data pages
# show, so it leaves the data version alone (a login must not empty every cache).
BOOKKEEPING = frozenset({"tokens", "accounts", "login_failures", "audit"})
VERSION_TABLE = "gridmap_version"  # one row, n: bumped by every change to another layer

LEVEL_COLUMN = {"district": "district_id", "street": "street_id",
                "community": "community_id", "grid": "grid_id"}


def empty(layer: str) -> pd.DataFrame:
    """An empty frame with the layer's columns and types."""
    spec = LAYERS[layer]
    frame = pd.DataFrame({c.name: pd.Series([], dtype=_dtype(c.kind)) for c in spec.columns})
    if spec.geometry:
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)
    return frame


def _dtype(kind: str):
    return {"str": "str", "int": "int64", "float": "float64", "bool": "bool",
            "date": "datetime64[ms]", "datetime": "datetime64[ms]"}[kind]


def conform(layer: str, frame: pd.DataFrame, *, columns: list[str] | None = None
            ) -> pd.DataFrame:
    """Columns of ``layer`` in schema order with schema types (dates as datetime64[ms]).

    ``columns`` limits the result to some of them. Extra columns are dropped; a
    missing column raises ``ValidationError``.
    """
    spec = LAYERS[layer]
    wanted = [c for c in spec.columns if columns is None or c.name in columns]
    missing = [c.name for c in wanted if c.name not in frame.columns]
    if missing:
        raise ValidationError(f"missing columns {missing}", source=layer)
    out = {}
    for c in wanted:
        s = frame[c.name]
        if c.kind in ("date", "datetime"):
            s = pd.to_datetime(s, format="ISO8601" if s.dtype == object or
                               pd.api.types.is_string_dtype(s) else None)
            s = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
            s = s.astype("datetime64[ms]")
            if c.kind == "date":
                s = s.dt.normalize()
        elif c.kind == "str":
            s = s.astype("str")  # missing values stay missing (NaN) in pandas' str dtype
        elif c.kind == "bool":
            s = s.astype("bool")
        elif c.kind == "int":
            s = s.astype("int64")
        elif c.kind == "float":
            s = s.astype("float64")
        out[c.name] = s.reset_index(drop=True)
    result = pd.DataFrame(out, index=pd.RangeIndex(len(frame)))
    if spec.geometry and isinstance(frame, gpd.GeoDataFrame):
        geometry = frame.geometry.reset_index(drop=True)
        result = gpd.GeoDataFrame(result, geometry=geometry.values, crs=frame.crs or CRS)
        if result.geometry.name != "geometry":
            result = result.rename_geometry("geometry")
    return result


def validate(layer: str, frame: pd.DataFrame, *, source: str | None = None) -> None:
    """Raise ``ValidationError`` at the first row that breaks the layer's rules.

    Rows are reported 1-based, as a person counts them in a table.
    """
    spec = LAYERS[layer]
    source = source or layer
    for c in spec.columns:
        if c.name not in frame.columns:
            raise ValidationError("column missing", source=source, column=c.name)
        s = frame[c.name].reset_index(drop=True)
        bad = s.isna()
        if not c.nullable and bad.any():
            raise ValidationError("empty value", source=source,
                                  row=int(np.flatnonzero(bad)[0]) + 1, column=c.name)
        present = ~bad
        if c.choices is not None:
            wrong = present & ~s.isin(c.choices)
            if wrong.any():
                i = int(np.flatnonzero(wrong)[0])
                raise ValidationError(f"{s[i]!r} is not one of {', '.join(c.choices)}",
                                      source=source, row=i + 1, column=c.name)
        if c.range is not None:
            lo, hi = c.range
            wrong = present & ~pd.to_numeric(s, errors="coerce").between(lo, hi)
            if wrong.any():
                i = int(np.flatnonzero(wrong)[0])
                raise ValidationError(f"{s[i]!r} is outside {lo}..{hi}",
                                      source=source, row=i + 1, column=c.name)
    dup = frame.duplicated(list(spec.key)).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise ValidationError(f"duplicate {'/'.join(spec.key)}", source=source, row=i + 1,
                              column=spec.key[0])
    if spec.geometry:
        empty_geom = frame.geometry.isna().to_numpy() | frame.geometry.is_empty.to_numpy()
        if empty_geom.any():
            raise ValidationError("missing geometry", source=source,
                                  row=int(np.flatnonzero(empty_geom)[0]) + 1, column="geometry")


def split_categories(value: str | None) -> list[str]:
    """``'低保;重病重残'`` -> ``['低保', '重病重残']``."""
    return [v for v in (value or "").split(CATEGORY_SEPARATOR) if v]


def schema_markdown() -> str:
    """The schema as a Markdown reference (what docs/schema.md holds)."""
    lines = ["# The store's schema", "",
             f"Schema version {SCHEMA_VERSION} (kept in `meta` as `schema_version`; "
             "`python -m gridmap upgrade` brings a store made by an earlier gridmap up to "
             f"it). All geometry is in {CRS} (WGS84; CGCS2000 is "
             "treated as equal at this scale). Dates are ISO 8601; times are local "
             "(Asia/Shanghai).",
             ""]
    for spec in LAYERS.values():
        kind = f"{spec.geometry} layer" if spec.geometry else "attribute table"
        lines += [f"## `{spec.name}` ({kind})", "", spec.doc, "",
                  f"Key: `{', '.join(spec.key)}`.", "",
                  "| column | type | meaning |", "|---|---|---|"]
        for c in spec.columns:
            extra = ""
            if c.choices:
                extra = " One of " + ", ".join(f"`{v}`" for v in c.choices) + "."
            if c.range:
                extra += f" From {c.range[0]:g} to {c.range[1]:g}."
            if c.nullable:
                extra += " May be empty."
            lines.append(f"| `{c.name}` | {c.kind} | {c.doc}{extra} |")
        lines.append("")
    lines += [f"## `{VERSION_TABLE}`", "",
              "One row, `n`: triggers bump it on every change to a layer other than "
              + ", ".join(f"`{name}`" for name in sorted(BOOKKEEPING))
              + " (edits made in QGIS count too). The app's caches key on it.", ""]
    return "\n".join(lines)
