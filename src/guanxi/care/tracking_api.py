"""The public ends of tracked links and the open pixel (`/c/...`): no sign-in, the signature is the key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import RedirectResponse, Response

from guanxi.care import tracking
from guanxi.deps import RuntimeDep, SessionDep
from guanxi.errors import NotFound

# Not part of the API schema: these are links inside messages, answered to mail clients and phones.
router = APIRouter(prefix="/c", include_in_schema=False)
Token = Annotated[str, Path(max_length=80)]
NO_STORE = {"Cache-Control": "no-store, private", "Referrer-Policy": "no-referrer"}


@router.get("/o/{token}")
def open_pixel(token: Token, session: SessionDep, runtime: RuntimeDep) -> Response:
    """A 1×1 GIF; a valid token counts an open of its message."""
    if not tracking.open_(session, runtime.secrets.session_secret, token):
        raise NotFound("no such image")
    session.commit()
    return Response(tracking.GIF, media_type="image/gif", headers=NO_STORE)


@router.get("/{token}")
def tracked_link(token: Token, session: SessionDep, runtime: RuntimeDep) -> RedirectResponse:
    """302 to the link that was in the message; 404 for a forged, altered or erased one."""
    url = tracking.click(session, runtime.cipher, runtime.secrets.session_secret, token)
    if url is None:
        raise NotFound("this link is not valid")
    session.commit()
    return RedirectResponse(url, status_code=302, headers=NO_STORE)
