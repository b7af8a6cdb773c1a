"""Company master data: validation, create, edit, duplicates and optimistic locking."""
import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.journeys.companies import create_company, update_company, validate_company
from crm.journeys.errors import DuplicateKvk, StaleEdit, ValidationFailed
from crm.models import Company, Municipality
from tests.conftest import login


def municipality_id(name):
    return db.session.scalar(sa.select(Municipality.id).filter_by(name=name))


def errors_of(data):
    with pytest.raises(ValidationFailed) as info:
        validate_company(data, session=db.session)
    return info.value.errors


@pytest.mark.parametrize("kvk", ["1234567", "123456789", "1234567a", "", "abcdefgh"])
def test_kvk_must_be_eight_digits(app, kvk):
    assert "kvk" in errors_of({"kvk": kvk, "name": "X"})


def test_kvk_keeps_leading_zeros_and_drops_spaces(app):
    assert validate_company({"kvk": "0123 4567"}, session=db.session)["kvk"] == "01234567"


def test_size_class_is_derived_from_employees(app):
    values = validate_company({"employees": "12", "size_class": "zzp"}, session=db.session)
    assert values["size_class"] == "klein"
    assert validate_company({"employees": "1"}, session=db.session)["size_class"] == "zzp"
    assert validate_company({"employees": "", "size_class": "micro"},
                            session=db.session)["size_class"] == "micro"


def test_sbi_code_sets_section(app):
    values = validate_company({"sbi_code": "62.01"}, session=db.session)
    assert (values["sbi_code"], values["sbi_section"]) == ("6201", "J")
    assert "sbi_code" in errors_of({"sbi_code": "04"})


def test_create_and_duplicate(make_user):
    user = make_user()
    company = create_company({"kvk": "01234567", "name": "  Café  De Hoek ",
                              "municipality_id": municipality_id("Utrecht")}, by=user)
    db.session.commit()
    assert company.name == "Café De Hoek"
    assert company.province.name == "Utrecht"
    assert company.sort_name == "cafe de hoek"
    assert company.created_by_id == user.id
    with pytest.raises(DuplicateKvk) as info:
        create_company({"kvk": "01234567", "name": "Other"}, by=user)
    assert info.value.existing.id == company.id


def test_update_with_old_version_is_refused(make_user, make_company):
    user = make_user()
    company = make_company()
    update_company(company, {"name": "Nieuwe Naam"}, by=user, version=company.version)
    db.session.commit()
    assert company.version == 2
    with pytest.raises(StaleEdit):
        update_company(company, {"name": "Oude Naam"}, by=user, version=1)


def test_create_view_and_duplicate_leads_to_existing(client, make_user, make_company):
    existing = make_company(kvk="00000042")
    login(client, make_user())
    response = client.post("/companies/new", data={
        "kvk": "00000042", "name": "Dubbel", "size_class": "", "phase": "",
        "digital_maturity": "onbekend", "municipality_id": ""})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/companies/{existing.id}")


def test_invalid_form_answers_422_with_messages(client, make_user):
    login(client, make_user())
    response = client.post("/companies/new", data={
        "kvk": "123", "name": "", "size_class": "", "phase": "", "digital_maturity": "onbekend",
        "municipality_id": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Company)) == 0


def test_two_editors_second_gets_changed_meanwhile(client, make_user, make_company):
    company = make_company(name="Origineel")
    login(client, make_user())
    form = {"kvk": company.kvk, "name": "Eerste", "size_class": "", "phase": "",
            "digital_maturity": "onbekend", "municipality_id": "", "version": "1"}
    assert client.post(f"/companies/{company.id}/edit", data=form).status_code == 302
    second = client.post(f"/companies/{company.id}/edit", data={**form, "name": "Tweede"})
    assert second.status_code == 409
    assert "Eerste" in second.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Company, company.id).name == "Eerste"
