"""Contact persons of a company: personal data, visible to the organisation that recorded it."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..forms import ConfirmForm, ContactForm
from ..journeys.companies import add_contact, delete_contact, update_contact
from ..models import Company, ContactPerson
from ..policy import DELETE, EDIT
from .base import RecordView, submit

bp = Blueprint("contacts", __name__)


def _data(form: ContactForm) -> dict:
    return {"name": form.name.data, "role": form.role.data, "email": form.email.data,
            "phone": form.phone.data}


class ContactCreate(RecordView):
    """Adding a contact person edits the company's record."""

    model = Company
    actions = {"GET": EDIT, "HEAD": EDIT, "POST": EDIT}

    def get(self, company):
        return render_template("contacts/form.html", form=ContactForm(), company=company,
                               contact=None)

    def post(self, company):
        form = ContactForm()
        return submit(form, lambda: add_contact(company, _data(form), by=current_user),
                      message=_("Contact person added."),
                      next_url=url_for("companies.detail", id=company.id),
                      template="contacts/form.html", company=company, contact=None)


class ContactEdit(RecordView):
    model = ContactPerson
    actions = {"GET": EDIT, "HEAD": EDIT, "POST": EDIT}

    def get(self, contact):
        return render_template("contacts/form.html", form=ContactForm(obj=contact),
                               company=contact.company, contact=contact)

    def post(self, contact):
        form = ContactForm()
        return submit(form, lambda: update_contact(contact, _data(form), by=current_user),
                      message=_("Contact person saved."),
                      next_url=url_for("companies.detail", id=contact.company_id),
                      template="contacts/form.html", company=contact.company, contact=contact)


class ContactDelete(RecordView):
    model = ContactPerson
    actions = {"POST": DELETE}

    def post(self, contact):
        if not ConfirmForm().validate():
            flash(_("The form had expired. Please try again."), "warning")
            return redirect(url_for("companies.detail", id=contact.company_id))
        company_id = contact.company_id
        delete_contact(contact, by=current_user)
        db.session.commit()
        flash(_("Contact person removed."), "success")
        return redirect(url_for("companies.detail", id=company_id))


bp.add_url_rule("/companies/<int:id>/contacts/new", view_func=ContactCreate.as_view("create"))
bp.add_url_rule("/contacts/<int:id>/edit", view_func=ContactEdit.as_view("edit"))
bp.add_url_rule("/contacts/<int:id>/delete", view_func=ContactDelete.as_view("delete"),
                methods=["POST"])
