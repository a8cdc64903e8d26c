"""The service desk's part in a customer's life: timeline, export, erasure and merges."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from guanxi.customers import hooks
from guanxi.customers.privacy_hooks import ERASED, person_ids
from guanxi.service.models import Survey, SurveyResponse, Ticket, TicketAttachment, TicketMessage


@hooks.timeline("tickets")
def tickets_timeline(session: Session, customer_id: int, limit: int) -> list[dict]:
    rows = session.scalars(select(Ticket).where(Ticket.customer_id == customer_id)
                           .order_by(Ticket.created_at.desc()).limit(limit))
    return [{"at": t.created_at, "kind": "ticket", "summary": f"#{t.id} {t.subject[:60]} ({t.status}, {t.priority})",
             "ticket_id": t.id} for t in rows]


@hooks.exporter("tickets")
def export_tickets(session: Session, customer_id: int) -> list[dict]:
    ids = person_ids(session, customer_id)
    out = []
    for t in session.scalars(select(Ticket).where(Ticket.customer_id.in_(ids)).order_by(Ticket.id)):
        msgs = session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == t.id,
                                                           TicketMessage.direction != "note").order_by(TicketMessage.id))
        out.append({"id": t.id, "subject": t.subject, "status": t.status, "category": t.category,
                    "subcategory": t.subcategory, "created_at": t.created_at.isoformat(),
                    "resolution_type": t.resolution_type,
                    "messages": [{"at": m.created_at.isoformat(), "direction": m.direction, "body": m.body} for m in msgs]})
    surveys = session.scalars(select(Survey).where(Survey.customer_id.in_(ids), Survey.answered_at.is_not(None)))
    for s in surveys:
        item = {"survey": s.kind, "score": s.score, "comment": s.comment, "answered_at": s.answered_at.isoformat()}
        if s.kind == "custom":   # one answer per question
            item["answers"] = {r.question: r.score if r.score is not None else r.choice or r.text
                               for r in session.scalars(select(SurveyResponse).where(SurveyResponse.survey_id == s.id))}
        out.append(item)
    return out


@hooks.eraser("tickets")
def erase_tickets(session: Session, customer_id: int) -> None:
    """Keep the tickets for statistics (category, times, outcome); remove what the person wrote or sent."""
    ids = person_ids(session, customer_id)
    ticket_ids = select(Ticket.id).where(Ticket.customer_id.in_(ids))
    message_ids = select(TicketMessage.id).where(TicketMessage.ticket_id.in_(ticket_ids))
    session.execute(delete(TicketAttachment).where(TicketAttachment.message_id.in_(message_ids)))
    session.execute(update(TicketMessage).where(TicketMessage.ticket_id.in_(ticket_ids))
                    .values(body=ERASED, author=ERASED, external_id=None))
    session.execute(update(Ticket).where(Ticket.customer_id.in_(ids)).values(subject=ERASED, resolution_note=None))
    session.execute(update(Survey).where(Survey.customer_id.in_(ids)).values(comment=None))
    # Scores and choices stay for the statistics; what the person wrote goes.
    session.execute(update(SurveyResponse).where(SurveyResponse.survey_id.in_(
        select(Survey.id).where(Survey.customer_id.in_(ids)))).values(text=None))


def _unmove(session: Session, moved: dict[str, list[int]], from_id: int) -> None:
    if moved.get("tickets"):
        session.execute(update(Ticket).where(Ticket.id.in_(moved["tickets"])).values(customer_id=from_id))
    if moved.get("service_surveys"):
        session.execute(update(Survey).where(Survey.id.in_(moved["service_surveys"])).values(customer_id=from_id))


@hooks.mover("tickets", _unmove)
def move_tickets(session: Session, from_id: int, to_id: int) -> dict[str, list[int]]:
    tickets = list(session.scalars(update(Ticket).where(Ticket.customer_id == from_id).values(customer_id=to_id)
                                   .returning(Ticket.id)))
    surveys = list(session.scalars(update(Survey).where(Survey.customer_id == from_id).values(customer_id=to_id)
                                   .returning(Survey.id)))
    return {"tickets": tickets, "service_surveys": surveys}
