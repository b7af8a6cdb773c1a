"""The AVG access report (inzageverzoek, article 15) as a PDF, from
:func:`crm.journeys.privacy.access_report`'s data."""
import json
from datetime import datetime

from flask_babel import gettext as _

from . import layout as L


def _when(value: str | None) -> str:
    if not value:
        return "–"
    return L.moment(datetime.fromisoformat(value))


def _changes(changes: dict) -> str:
    return "; ".join(f"{k}: {json.dumps(v[0], ensure_ascii=False)} → "
                     f"{json.dumps(v[1], ensure_ascii=False)}"
                     for k, v in (changes or {}).items() if isinstance(v, list) and len(v) == 2)


def render_pdf(report: dict) -> bytes:
    """The report as PDF bytes: one section per kind of record, empty ones said so."""
    person = report["person"]
    title = _("Access report (AVG)")
    story = [*L.title_block(title, subtitle=person["email"] or ", ".join(person["names"]), facts=[
        (_("E-mail address"), person["email"] or "–"),
        (_("Names"), ", ".join(person["names"]) or "–"),
        (_("Phone numbers"), ", ".join(person["phones"]) or "–"),
        (_("Made"), _when(report["made_at"]))])]
    story.append(L.paragraph(_(
        "This report lists everything Volgende Deur holds about this person. Incorrect data "
        "can be corrected by the organisation that recorded it, on the screens where it is "
        "shown; erasure can be requested from the privacy officer.")))

    def section(heading, rows, header, empty):
        story.append(L.heading(heading))
        if rows:
            story.append(L.table([header, *rows]))
        else:
            story.append(L.small(empty))

    section(_("Contact person records"), [
        [c["company"], c["organisation"], c["name"], c["role"] or "–", c["email"] or "–",
         c["phone"] or "–", _when(c["recorded_at"])] for c in report["contact_persons"]],
        [_("Company"), _("Recorded by"), _("Name"), _("Role"), _("E-mail address"), _("Phone"),
         _("Recorded")], _("No contact person records."))
    section(_("Consent of the company"), [
        [c["company"], c["organisation"], c["basis"], _when(c["given_at"]),
         _when(c["withdrawn_at"])] for c in report["consents"]],
        [_("Company"), _("Recorded by"), _("Basis"), _("Given"), _("Withdrawn")],
        _("No consent records."))
    section(_("Questions left at the front door"), [
        [_when(r["received_at"]), f'{r["company_name"]} ({r["kvk"]})', r["name"],
         r["phone"] or "–", r["question"], r["organisation"]] for r in report["intake_requests"]],
        [_("Received"), _("Company"), _("Name"), _("Phone"), _("Question"), _("Intake point")],
        _("No questions left at the front door."))
    section(_("Survey invitations"), [
        [_when(i["sent_at"]), str(i["company"]), i["organisation"], _when(i["answered_at"])]
        for i in report["survey_invitations"]],
        [_("Sent"), _("Company"), _("Organisation"), _("Answered")], _("No survey invitations."))
    section(_("E-mail"), [
        [_when(m["queued_at"]), m["to"], m["subject"], _when(m["sent_at"])]
        for m in report["outgoing_mail"]],
        [_("Queued"), _("To"), _("Subject"), _("Sent")], _("No e-mail."))
    section(_("Mentions in texts"), [
        [m["record"], str(m["id"]), m["field"], m["text"]] for m in report["mentions"]],
        [_("Record"), _("Number"), _("Field"), _("Text")], _("No mentions in texts."))
    section(_("Audit trail"), [
        [_when(e["at"]), e["action"], f'{e["record"]} {e["record_id"]}', e["organisation"] or "–",
         _changes(e["changes"])] for e in report["audit_entries"]],
        [_("When"), _("Action"), _("Record"), _("Organisation"), _("Values")],
        _("No audit entries."))
    return L.build_pdf(story, title=title, subject=person["email"] or "")
