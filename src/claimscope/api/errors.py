"""One error shape for the whole API: ``{"error": {"parameter": ..., "message": ...}}``.

Bad input (a value outside its vocabulary, a malformed month, a number out of bounds, a source
the store does not hold) is 422 and names the API parameter (``payer_type``, never the CLI's
``--payer-type``). An engine whose optional dependency is missing is 503: not the caller's
doing, but still one message and no traceback.
"""

from __future__ import annotations

import re
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from claimscope.analysis.query import QueryError
from claimscope.extras import missing_extra
from claimscope.ingest.base import IngestError
from claimscope.store.connection import StoreError

_PARAMETER = re.compile(r"`([a-z][a-z_]*)`")
# Core parameter names whose API query parameter is spelled differently.
API_NAMES: Final = {"place_of_service": "pos", "line_status": "status", "codes_limit": "limit"}


class ErrorDetail(BaseModel):
    parameter: str | None = None
    message: str


class ErrorBody(BaseModel):
    """Every error response of the API."""

    error: ErrorDetail


ERROR_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    422: {"model": ErrorBody, "description": "Bad input: the message names the parameter."},
    503: {"model": ErrorBody, "description": "The query engine is not installed."},
}


def _name(parameter: str | None) -> str | None:
    return API_NAMES.get(parameter, parameter) if parameter else None


def error_response(status: int, message: str, parameter: str | None = None) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(parameter=_name(parameter), message=message))
    return JSONResponse(status_code=status, content=body.model_dump())


def api_message(exc: BaseException) -> str:
    """The message with parameters as the API spells them, and where to list allowed values."""
    message = str(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc)
    if isinstance(exc, QueryError) and exc.vocabulary:
        message += f" (list them: GET /api/vocab/{exc.vocabulary})"
    return _PARAMETER.sub(lambda m: _name(m.group(1)) or "", message)


async def _user_error(_: Request, exc: Exception) -> JSONResponse:
    parameter = exc.parameter if isinstance(exc, QueryError) else None
    return error_response(422, api_message(exc), parameter)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0]
    location = [str(part) for part in first.get("loc", ())]
    parameter = location[-1] if len(location) > 1 else None
    message = str(first.get("msg", "invalid request"))
    given = first.get("input")
    if parameter and given is not None and not isinstance(given, dict):
        message = f"{parameter}={given}: {message}"
    return error_response(422, message, parameter)


async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
    hint = missing_extra(exc) if isinstance(exc, ImportError) else None
    if isinstance(exc, ImportError) and hint is None:
        raise exc
    return error_response(503, hint or str(exc))


def _errors_as_json(app: FastAPI) -> None:
    """Document error bodies as JSON on every route, HTML ones included.

    FastAPI files an extra response's model under the route's own media type, so a route
    answering HTML would claim its 422 is HTML too; the errors are JSON everywhere.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()  # cached by FastAPI after the first call; fixing it is idempotent
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status in map(str, ERROR_RESPONSES):
                    response = operation.get("responses", {}).get(status, {})
                    if response.get("content"):
                        body = next(iter(response["content"].values()))
                        response["content"] = {"application/json": body}
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_error_handlers(app: FastAPI) -> None:
    """Route every user-facing exception to the one error shape, documented as JSON."""
    _errors_as_json(app)
    for user_error in (QueryError, StoreError, IngestError, ValueError, KeyError):
        app.add_exception_handler(user_error, _user_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ImportError, _unavailable)
