"""Writing to the balance: submit an estimate (geologist), approve or reject it (commission),
record and correct movements and close a year (registrar), change a deposit under its version
(registrar). Every write is recorded in the audit log with who, what and on which record, in the
write's own transaction (an audit hook of the registry and ledger functions)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from orebook.balance import Ledger, queries
from orebook.balance import registry as reg
from orebook.balance.schema import CATEGORIES, DEPOSIT_STATUSES, FUNDS, GROUPS
from orebook.errors import ConflictError, InputError, NotFoundError, ParameterError
from orebook.io.estimate_record import read_estimate_record
from orebook.web.api_common import (
    Approver,
    Closer,
    Editor,
    Geologist,
    Registrar,
    audit_hook,
    engine,
    jsonable,
)
from orebook.web.api_read import etag
from orebook.web.errors import ServiceError

router = APIRouter(tags=["writes"])

Category = Literal[CATEGORIES]  # type: ignore[valid-type]
Group = Literal[GROUPS]  # type: ignore[valid-type]
_NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL
Document = Annotated[str, Field(min_length=1, max_length=300, pattern=_NO_NUL)]
Note = Annotated[str | None, Field(default=None, max_length=2000, pattern=_NO_NUL)]
Amount = Annotated[float, Field(allow_inf_nan=False, ge=-1e15, le=1e15)]

#: the longest text of each field of an estimate record the registry keeps
_RECORD_LIMITS = {"deposit": 200, "method": 100, "parameters_hash": 100, "author": 300,
                  "document": 300}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------------ estimates
_RECORD_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "the estimate record, .json or .csv"},
        "condition_id": {"type": "integer"}}}},
    "application/json": {"schema": {"type": "object",
                                    "description": "the estimate record (JSON form)"}}}}}


@router.post("/estimates", status_code=201, openapi_extra=_RECORD_BODY)
async def submit_estimate(request: Request, who: Geologist) -> dict:
    """Submit an estimate record: a file uploaded as ``multipart/form-data`` (field ``file``,
    a ``.json`` or ``.csv`` record; optional field ``condition_id``), or the JSON record as
    the body. Answers the new estimate."""
    settings = request.app.state.settings
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("multipart/form-data", "application/json"):
        raise ServiceError(415, "send the record as multipart/form-data (field 'file') or as "
                           "application/json", "file")
    # never more than the limit in memory, whatever Content-Length says (or does not)
    body = await _read_limited(request, settings.max_upload_bytes + _FORM_OVERHEAD)
    condition_id = None
    if kind == "multipart/form-data":
        async def replay() -> dict:
            return {"type": "http.request", "body": body, "more_body": False}

        form = await Request(request.scope, replay).form(max_files=1, max_fields=5)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ServiceError(422, "send the estimate record in the form field 'file'", "file")
        filename = Path(upload.filename or "record").name[-200:]
        suffix = Path(filename).suffix.lower()
        if suffix not in (".json", ".csv"):
            raise ServiceError(422, f"{filename!r}: an estimate record is a .json or .csv file",
                               "file")
        data = await upload.read(settings.max_upload_bytes + 1)
        condition_id = _condition_id(form.get("condition_id"))
    else:
        filename, suffix, data = "record.json", ".json", body
    if len(data) > settings.max_upload_bytes:
        raise ServiceError(413, f"the record is larger than {settings.max_upload_bytes} bytes",
                           "file")
    return await run_in_threadpool(_submit, request, who, data, filename, suffix, condition_id)


#: room for the multipart boundaries and headers around the file
_FORM_OVERHEAD = 64 * 1024


async def _read_limited(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ServiceError(413, f"the request is larger than {limit} bytes", "file")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ServiceError(413, f"the request is larger than {limit} bytes", "file")
        chunks.append(chunk)
    return b"".join(chunks)


def _condition_id(value) -> int | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.isdigit() or len(value) > 12:
        raise ServiceError(422, f"condition_id {str(value)[:40]!r}: expected a whole number",
                           "condition_id")
    return int(value)


def _submit(request: Request, who, data: bytes, filename: str, suffix: str,
            condition_id: int | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="orebook-upload-") as tmp:
        path = Path(tmp) / f"record{suffix}"
        path.write_bytes(data)
        try:
            record = read_estimate_record(path)
        except InputError as exc:  # name the upload, not the temporary file
            raise InputError(exc.message, file=filename, row=exc.row,
                             column=exc.column) from None
    for key, limit in _RECORD_LIMITS.items():
        value = getattr(record, key)
        if value is not None and len(value) > limit:
            raise ServiceError(422, f"{filename}: {key} is longer than {limit} characters", key)
        if value is not None and "\x00" in value:
            raise ServiceError(422, f"{filename}: {key} holds a NUL character", key)
    for line in record.lines:
        if len(line.commodity) > 40 or "\x00" in line.commodity:
            raise ServiceError(422, f"{filename}: a commodity code is longer than 40 "
                               "characters or holds a NUL character", "commodity")
    record = dataclasses.replace(record, source=f"upload {filename}")
    eng = engine(request)
    try:
        estimate_id = reg.submit_estimate(eng, record, condition_id=condition_id, audit=audit_hook(
            who, "submit_estimate", lambda eid: (
                f"estimate {eid}",
                f"{record.deposit}: {len(record.lines)} lines, {record.parameters_hash}")))
    except NotFoundError as exc:  # a name inside the record: bad input, not a missing URL
        field = "deposit" if str(exc).startswith("deposit") else "commodity"
        raise ServiceError(422, f"{filename}: {exc}", field) from None
    except ConflictError:
        raise      # 409, by the error handler
    except ParameterError as exc:
        raise ServiceError(422, f"{filename}: {exc}", _field_of(str(exc))) from None
    return jsonable(queries.get_estimate(eng, estimate_id))


class Decision(Strict):
    protocol: Annotated[str, Field(min_length=1, max_length=100, pattern=_NO_NUL)]
    date: dt.date
    commission: Annotated[str | None, Field(default=None, max_length=300,
                                            pattern=_NO_NUL)] = None


class Rejection(Decision):
    decision: Literal["rejected", "returned"] = "rejected"


EstimateId = Annotated[int, PathParam(ge=1, le=2**62)]


@router.post("/estimates/{estimate_id}/approve")
def approve_estimate(estimate_id: EstimateId, body: Decision, request: Request,
                     who: Approver) -> dict:
    """Approve an estimate by a protocol of a date: the ledger takes the deposit to the
    approved figures. Answers the ids of the movements generated."""
    try:
        ids = reg.approve_estimate(
            engine(request), estimate_id, protocol=body.protocol.strip(), date=body.date,
            commission=body.commission, audit=audit_hook(who, "approve_estimate", lambda ids: (
                f"estimate {estimate_id}",
                f"protocol {body.protocol} of {body.date}; movements {ids}")))
    except (NotFoundError, ConflictError):
        raise      # 404 / 409, by the error handler
    except ParameterError as exc:
        raise ServiceError(422, str(exc), _field_of(str(exc), default="protocol")) from None
    return {"estimate_id": estimate_id, "decision": "approved", "protocol": body.protocol,
            "date": body.date.isoformat(), "movements": ids}


@router.post("/estimates/{estimate_id}/reject")
def reject_estimate(estimate_id: EstimateId, body: Rejection, request: Request,
                    who: Approver) -> dict:
    """Reject an estimate (or return it for revision); the balance is unchanged."""
    try:
        reg.reject_estimate(engine(request), estimate_id, protocol=body.protocol.strip(),
                            date=body.date, commission=body.commission,
                            decision=body.decision, audit=audit_hook(
                                who, f"{body.decision[:-1]}_estimate", lambda _: (
                                    f"estimate {estimate_id}",
                                    f"protocol {body.protocol} of {body.date}")))
    except (NotFoundError, ConflictError):
        raise      # 404 / 409, by the error handler
    except ParameterError as exc:
        raise ServiceError(422, str(exc), _field_of(str(exc), default="protocol")) from None
    return {"estimate_id": estimate_id, "decision": body.decision, "protocol": body.protocol,
            "date": body.date.isoformat(), "movements": []}


# ------------------------------------------------------------------------------ movements
class Line(Strict):
    category: Category
    group: Group


class NewMovement(Strict):
    deposit: Annotated[str, Field(min_length=1, max_length=200, pattern=_NO_NUL)] | Annotated[
        int, Field(ge=1, le=2**62)]
    commodity: Annotated[str, Field(min_length=1, max_length=40, pattern=_NO_NUL)]
    kind: Literal["production", "loss", "exploration", "reevaluation", "writeoff", "boundary",
                  "transfer"]
    category: Category | None = None
    group: Group | None = None
    source: Line | None = None
    target: Line | None = None
    ore: Amount
    metal: Amount
    effective_date: dt.date
    document: Document
    cause: Note = None


@router.post("/movements", status_code=201)
def record_movement(body: NewMovement, request: Request, who: Registrar) -> dict:
    """Record a movement of one line (``category``, ``group``), or a transfer between two
    lines of a deposit (``kind`` transfer, ``source`` and ``target``). Production, losses,
    write-off and exploration take amounts ≥ 0 (the ledger applies the sign); re-evaluation
    and boundary changes are signed. Answers the ids of the movements written."""
    eng = engine(request)
    deposit = _deposit_name(eng, body.deposit)
    _commodity(eng, body.commodity)
    ledger = Ledger(eng)
    hook = audit_hook(who, "record_movement", lambda ids: (
        f"movements {', '.join(map(str, ids if isinstance(ids, list) else [ids]))}",
        (f"{deposit} {body.commodity} {body.kind} ore {body.ore:g} metal {body.metal:g} "
         f"on {body.effective_date}; {body.document}")))
    try:
        if body.kind == "transfer":
            if body.source is None or body.target is None:
                raise ServiceError(422, "a transfer needs its source and target lines",
                                   "source" if body.source is None else "target")
            ids = ledger.transfer(deposit, body.commodity, source=(body.source.category,
                                                                  body.source.group),
                                  target=(body.target.category, body.target.group),
                                  ore=body.ore, metal=body.metal, document=body.document,
                                  effective_date=body.effective_date, cause=body.cause,
                                  audit=hook)
        else:
            if body.category is None or body.group is None:
                raise ServiceError(422, "give the line's category and group",
                                   "category" if body.category is None else "group")
            ids = [ledger.record(deposit, body.commodity, body.category, body.group, body.kind,
                                 ore=body.ore, metal=body.metal, document=body.document,
                                 effective_date=body.effective_date, cause=body.cause,
                                 audit=hook)]
    except ConflictError:
        raise      # 409, by the error handler
    except ParameterError as exc:   # an unknown deposit or commodity in the body too: 422
        raise ServiceError(422, str(exc), _field_of(str(exc))) from None
    return {"ids": ids}


class Correction(Strict):
    document: Document
    effective_date: dt.date | None = None
    cause: Note = None


@router.post("/movements/{movement_id}/correct", status_code=201)
def correct_movement(movement_id: EstimateId, body: Correction, request: Request,
                     who: Registrar) -> dict:
    """Reverse a movement (every leg of its transfer or approval) with new movements that
    cite it. Answers their ids."""
    eng = engine(request)
    try:
        ids = Ledger(eng).correct(movement_id, document=body.document,
                                  effective_date=body.effective_date, cause=body.cause,
                                  audit=audit_hook(who, "correct_movement", lambda ids: (
                                      f"movement {movement_id}",
                                      f"by movements {ids}; {body.document}")))
    except (NotFoundError, ConflictError):
        raise      # an unknown movement 404, one already corrected 409: by the error handler
    except ParameterError as exc:
        raise ServiceError(422, str(exc), _field_of(str(exc))) from None
    return {"ids": ids, "corrects": movement_id}


@router.post("/years/{year}/close")
def close_year(year: Annotated[int, PathParam(ge=1, le=9998)], request: Request,
               who: Closer) -> dict:
    """Close ``year``: check the invariants, freeze the balance as at 1 January ``year + 1``;
    no movement may then be dated before that day."""
    lines = Ledger(engine(request)).close_year(year, audit=audit_hook(
        who, "close_year", lambda lines: (f"year {year}", f"{len(lines)} balance lines frozen")))
    return {"year": year, "closed": True, "lines": len(lines)}


# ------------------------------------------------------------------------------ deposits
class DepositChange(Strict):
    status: Literal[DEPOSIT_STATUSES] | None = None  # type: ignore[valid-type]
    fund: Literal[FUNDS] | None = None  # type: ignore[valid-type]
    deposit_type: Annotated[str | None, Field(default=None, max_length=100,
                                              pattern=_NO_NUL)] = None
    longitude_deg: Annotated[float | None, Field(default=None, ge=-180, le=180,
                                                 allow_inf_nan=False)] = None
    latitude_deg: Annotated[float | None, Field(default=None, ge=-90, le=90,
                                                allow_inf_nan=False)] = None
    note: Note = None


_NOT_NULL = ("status", "fund")


@router.patch("/deposits/{deposit_id}")
def change_deposit(deposit_id: EstimateId, body: DepositChange, request: Request,
                   response: Response, who: Editor) -> dict:
    """Change a deposit's status, fund, type, location or note. Send the version read
    (``ETag`` of ``GET /api/deposits/{id}``) in ``If-Match``: a stale version is refused with
    412, none with 428, so two people cannot overwrite each other silently."""
    eng = engine(request)
    header = request.headers.get("if-match")
    queries.deposit_version(eng, deposit_id)  # 404 before 428
    if not header:
        raise ServiceError(428, "send the deposit's version (its ETag) in If-Match",
                           "If-Match")
    changes = body.model_dump(include=body.model_fields_set)
    for key in _NOT_NULL:
        if key in changes and changes[key] is None:
            raise ServiceError(422, f"{key} cannot be empty", key)
    if not changes:
        raise ServiceError(422, "nothing to change", None)
    version = _if_match(header)
    try:
        new = queries.update_deposit(eng, deposit_id, if_version=version, by=who.user,
                                     **changes)
    except queries.StaleVersion as exc:
        raise ServiceError(412, str(exc), "If-Match") from None
    request.app.state.report_cache.edited()      # status and fund group the reports
    detail = queries.deposit_detail(eng, deposit_id)
    response.headers["ETag"] = etag(detail["version"] if detail["version"] else new)
    return jsonable(detail)


def _if_match(header: str) -> str:
    value = header.split(",")[0].strip()
    value = value.removeprefix("W/")
    return value.strip('"')


# ------------------------------------------------------------------------------ helpers
def _deposit_name(eng, deposit: str | int) -> str:
    try:
        if isinstance(deposit, int):
            return queries.deposit_detail(eng, deposit)["name"]
        return reg.find_deposit(eng, deposit).name
    except (NotFoundError, ParameterError) as exc:
        raise ServiceError(422, str(exc), "deposit") from None


def _commodity(eng, code: str) -> None:
    try:
        queries.find_commodity(eng, code)
    except (NotFoundError, ParameterError) as exc:
        raise ServiceError(422, str(exc), "commodity") from None


_FIELDS = ("effective_date", "commodity", "deposit", "category", "group", "document",
           "protocol", "commission", "cause", "kind", "method", "ore", "metal", "date")


def _field_of(message: str, default: str | None = None) -> str | None:
    """The field a registry or ledger message is about (they start with its name)."""
    text = message.lower()
    for name in _FIELDS:
        if re.match(rf"^(estimate of .*?: )?{name}\b", text):
            return name
    if "ore and metal" in text:
        return "ore"
    if "cause" in text:
        return "cause"
    return default
