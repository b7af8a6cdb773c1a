"""The import wizard through the test client: upload → columns → check → import → result,
the error report, 413, garbage files, permissions, and never a 500 or a partial write."""
import io
import re

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from crm.extensions import db
from crm.models import AuditEntry, Company

CSV = ("KvK-nummer;Naam;SBI;Werkzame personen;Gemeente\n"
       "01234567;Café Één B.V.;6201;4;Utrecht\n"
       "123;Fout B.V.;6201;4;Utrecht\n"
       "07654321;Goed B.V.;;;Amersfoort\n").encode("cp1252")


@pytest.fixture
def staff(make_user, make_org):
    return make_user(org=make_org(name="EDIH Utrecht"), role="staff")


def _upload(client, data=CSV, name="bedrijven.csv", kind="companies", org=None):
    form = {"kind": kind, "file": (io.BytesIO(data), name)}
    if org is not None:
        form["organisation"] = str(org)
    return client.post("/import/", data=form, content_type="multipart/form-data")


def _token(response):
    match = re.search(r"/import/([A-Za-z0-9_-]+)/columns", response.headers["Location"])
    return match.group(1)


def _count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Company))


def test_the_whole_wizard_in_dutch(client, login_as, staff):
    login_as(staff)
    page = client.get("/import/")
    assert page.status_code == 200 and "Importeren" in page.get_data(as_text=True)
    response = _upload(client, org=staff.organisation_id)
    assert response.status_code == 302
    token = _token(response)
    page = client.get(f"/import/{token}/columns").get_data(as_text=True)
    # The detected mapping is preselected per column, with example values.
    assert re.search(r'id="column-0".*?<option value="kvk" selected', page, re.S)
    assert re.search(r'id="column-4".*?<option value="municipality" selected', page, re.S)
    assert "Café Één B.V." in page and "Windows-1252" in page
    response = client.post(f"/import/{token}/columns",
                           data={"column-0": "kvk", "column-1": "name", "column-2": "sbi_code",
                                 "column-3": "", "column-4": "municipality"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/check")
    page = client.get(f"/import/{token}/check").get_data(as_text=True)
    assert "2 nieuwe records" in page and "1 rij met problemen" in page
    assert "123" in page and "8 cijfers" in page
    report = client.get(f"/import/{token}/errors.csv")
    assert report.mimetype == "text/csv" and "attachment" in report.headers["Content-Disposition"]
    text = report.get_data().decode("utf-8-sig")
    assert text.splitlines()[0] == "Rij;Kolom;Waarde;Probleem"
    assert text.splitlines()[1].startswith("3;KvK-nummer;123;")
    assert _count() == 0  # nothing written before the user chooses
    response = client.post(f"/import/{token}/run", data={"mode": "valid-rows"})
    assert response.status_code == 302
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "De import is klaar" in done
    assert _count() == 2
    employees = db.session.scalars(sa.select(Company.employees)).all()
    assert employees == [None, None]  # the column left out was not imported
    # A second click on Import does not import again.
    again = client.post(f"/import/{token}/run", data={"mode": "valid-rows"})
    assert again.status_code == 302 and _count() == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "import")) == 1


def test_all_or_nothing_from_the_browser_writes_nothing_and_allows_going_back(
        client, login_as, staff):
    login_as(staff)
    token = _token(_upload(client))
    response = client.post(f"/import/{token}/run", data={"mode": "all-or-nothing"})
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Er is niets geïmporteerd" in done and _count() == 0
    assert client.get(f"/import/{token}/check").status_code == 200
    client.post(f"/import/{token}/run", data={"mode": "valid-rows"})
    assert _count() == 2


def test_xlsx_upload_and_english_interface(client, login_as, staff):
    staff.locale = "en"
    db.session.commit()
    login_as(staff)
    workbook = Workbook()
    workbook.active.append(["kvk", "name", "size_class"])
    workbook.active.append(["01234567", "Excel B.V.", "micro"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    token = _token(_upload(client, buffer.getvalue(), "bedrijven.xlsx"))
    page = client.get(f"/import/{token}/check").get_data(as_text=True)
    assert "1 new record" in page and "No problems found." in page
    client.post(f"/import/{token}/run", data={"mode": "all-or-nothing"})
    assert db.session.scalars(sa.select(Company.size_class)).one() == "micro"


@pytest.mark.parametrize("data,name,words", [
    (b"%PDF-1.4 binary \x00\x01", "factuur.pdf", "PDF"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "foto.png", "binaire"),
    (b"", "leeg.csv", "leeg"),
    (b"kvk;naam\n", "kop.csv", "geen gegevensrijen"),
])
def test_garbage_files_get_a_clear_message(client, login_as, staff, data, name, words):
    login_as(staff)
    response = _upload(client, data, name)
    assert response.status_code == 422
    assert words in response.get_data(as_text=True)


def test_missing_required_column_is_explained_in_the_mapping_step(client, login_as, staff,
                                                                   make_company):
    login_as(staff)
    token = _token(_upload(client, b"naam;e-mail\nJan;jan@example.nl\n", "c.csv", "contacts"))
    response = client.post(f"/import/{token}/columns", data={"column-0": "name",
                                                            "column-1": "name"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "KVK-nummer" in page and "meer dan één kolom" in page


def test_the_request_size_limit_is_set_from_the_import_limit(app):
    assert app.config["MAX_CONTENT_LENGTH"] > app.config["IMPORT_MAX_BYTES"] >= 10 * 2**20


@pytest.mark.parametrize("request_limit", [True, False], ids=["request-limit", "file-limit"])
def test_too_large_upload_gets_a_friendly_413(app, client, login_as, staff, monkeypatch,
                                              request_limit):
    login_as(staff)
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1024)
    if request_limit:  # refused by Werkzeug before the body is read
        monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    response = _upload(client, b"kvk;naam\n" + b"01234567;x\n" * 500)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "te groot" in page and "<form" in page and "Traceback" not in page


def test_uploads_belong_to_their_user_and_coordinators_may_not_import(
        client, login_as, staff, make_user):
    login_as(staff)
    token = _token(_upload(client))
    other = make_user(org=staff.organisation, role="staff")
    client.post("/logout")
    login_as(other)
    assert client.get(f"/import/{token}/columns").status_code == 404
    assert client.get("/import/not-a-token/check").status_code == 404
    client.post("/logout")
    login_as(make_user(role="coordinator", provinces=("Utrecht",)))
    assert client.get("/import/").status_code == 403
    assert 'href="/import/"' not in client.get("/").get_data(as_text=True)


def test_admin_may_import_for_another_organisation(client, login_as, make_user, make_org,
                                                   make_company):
    make_company(kvk="01234567")
    partner = make_org(name="ROM Partner")
    admin = make_user(role="admin")
    login_as(admin)
    assert "ROM Partner" in client.get("/import/").get_data(as_text=True)
    token = _token(_upload(client, b"kvk;naam;e-mail\n01234567;Jan;jan@example.nl\n",
                           "c.csv", "contacts", org=partner.id))
    client.post(f"/import/{token}/run", data={"mode": "all-or-nothing"})
    from crm.models import ContactPerson
    assert db.session.scalars(sa.select(ContactPerson.organisation_id)).one() == partner.id


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=400),
                      st.text(max_size=300).map(lambda t: t.encode("utf-8")),
                      st.lists(st.lists(st.text(max_size=12), max_size=6), max_size=6).map(
                          lambda rows: "\n".join(";".join(r) for r in
                                                 [["kvk", "naam", "sbi", "gemeente"], *rows])
                          .encode("utf-8"))))
def test_arbitrary_files_never_give_a_500_or_a_partial_write(client, login_as, staff, data):
    if not getattr(staff, "_logged_in", False):
        login_as(staff)
    response = _upload(client, data)
    assert response.status_code in (302, 422), response.status_code
    if response.status_code == 302:
        token = _token(response)
        for path in ("columns", "check", "errors.csv"):
            assert client.get(f"/import/{token}/{path}").status_code in (200, 302)
        before = _count()
        response = client.post(f"/import/{token}/run", data={"mode": "all-or-nothing"})
        assert response.status_code == 302
        done = client.get(f"/import/{token}/done")
        assert done.status_code in (200, 302)
        if done.status_code == 302:  # not imported: the columns cannot be (no KVK column)
            assert _count() == before
            return
        page = done.get_data(as_text=True)
        created = int(re.search(r"<th scope=\"row\">Nieuw</th><td>(\d+)</td>", page).group(1))
        if "Er is niets geïmporteerd" in page:  # all or nothing: a bad row, nothing written
            assert _count() == before and created == 0
        else:
            assert _count() == before + created


def test_an_import_running_in_another_request_is_not_started_twice(app, client, login_as,
                                                                    staff):
    from crm.imports import uploads
    login_as(staff)
    token = _token(_upload(client))
    saved = uploads.find(app.instance_path, token, staff.id)
    assert saved.claim()  # as if a first click were still importing
    response = client.post(f"/import/{token}/run", data={"mode": "valid-rows"})
    assert response.status_code == 302 and _count() == 0
    saved.release()
    client.post(f"/import/{token}/run", data={"mode": "valid-rows"})
    assert _count() == 2
