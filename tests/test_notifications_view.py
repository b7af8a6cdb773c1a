"""The notifications page: one's own notifications only, unread count, marking read."""
import sqlalchemy as sa

from crm.extensions import db
from crm.journeys import referrals
from crm.models import Notification
from crm.views.notifications import unread_notifications_count


def _refer(make_org, make_user, make_company):
    sender_org = make_org(name="Digitale Werkplaats Eemland")
    receiver_org = make_org(name="EDIH Utrecht")
    sender = make_user(org=sender_org, role="staff", locale="en")
    receiver = make_user(org=receiver_org, role="staff", locale="en")
    company = make_company(name="Bakkerij De Korenschoof B.V.")
    referral = referrals.refer(company, receiver_org, "Wil een webshop.", by=sender,
                               entrepreneur_agrees=True)
    db.session.commit()
    return sender, receiver, referral


def _notes(user):
    db.session.expire_all()
    return db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.id)).all()


def test_list_shows_the_notification_with_link_and_unread_count(
        login_as, make_org, make_user, make_company):
    _sender, receiver, referral = _refer(make_org, make_user, make_company)
    client = login_as(receiver)

    page = client.get("/notifications/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "New referral: Bakkerij De Korenschoof B.V. from Digitale Werkplaats Eemland" in html
    assert f'href="/referrals/{referral.id}"' in html
    assert "You have 1 unread notification." in html
    assert "notification-unread" in html  # unread is highlighted
    assert "style=" not in html.split("<main", 1)[1]


def test_text_names_the_other_side(login_as, make_org, make_user, make_company):
    sender, receiver, referral = _refer(make_org, make_user, make_company)
    referrals.transition(referral, "accept", by=receiver)
    db.session.commit()
    html = login_as(sender).get("/notifications/").get_data(as_text=True)
    assert "Referral accepted: Bakkerij De Korenschoof B.V. by EDIH Utrecht" in html


def test_unread_count_for_the_navbar(app, make_org, make_user, make_company):
    _sender, receiver, _referral = _refer(make_org, make_user, make_company)
    from flask_login import login_user
    with app.test_request_context("/"):
        assert unread_notifications_count() is None  # signed out
    with app.test_request_context("/"):
        login_user(receiver)
        assert unread_notifications_count() == 1


def test_mark_one_read(login_as, make_org, make_user, make_company):
    _sender, receiver, _referral = _refer(make_org, make_user, make_company)
    client = login_as(receiver)
    note = _notes(receiver)[0]

    response = client.post("/notifications/read", data={"id": str(note.id)})
    assert response.status_code == 302
    assert _notes(receiver)[0].read_at is not None
    html = client.get("/notifications/").get_data(as_text=True)
    assert "You have no unread notifications." in html
    assert "list-group-item-primary" not in html


def test_mark_all_read(login_as, make_org, make_user, make_company):
    sender, receiver, referral = _refer(make_org, make_user, make_company)
    referrals.transition(referral, "accept", by=receiver)
    referrals.transition(referral, "complete", by=receiver, outcome="Webshop draait.")
    db.session.commit()
    client = login_as(sender)
    assert len(_notes(sender)) == 2

    assert client.post("/notifications/read").status_code == 302
    assert all(n.read_at is not None for n in _notes(sender))


def test_other_users_notifications_are_neither_shown_nor_markable(
        login_as, make_org, make_user, make_company):
    _sender, receiver, _referral = _refer(make_org, make_user, make_company)
    outsider = make_user(org=make_org(name="KVK"), locale="en")
    client = login_as(outsider)
    note = _notes(receiver)[0]

    html = client.get("/notifications/").get_data(as_text=True)
    assert "Korenschoof" not in html
    assert "No notifications yet." in html

    client.post("/notifications/read", data={"id": str(note.id)})
    client.post("/notifications/read")
    assert _notes(receiver)[0].read_at is None


def test_garbage_ids_are_refused(login_as, make_org, make_user, make_company):
    _sender, receiver, _referral = _refer(make_org, make_user, make_company)
    client = login_as(receiver)
    assert client.post("/notifications/read", data={"id": "²"}).status_code == 400
    assert _notes(receiver)[0].read_at is None


def test_marking_read_needs_the_csrf_token(app, login_as, make_org, make_user, make_company,
                                           monkeypatch):
    _sender, receiver, _referral = _refer(make_org, make_user, make_company)
    client = login_as(receiver)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/notifications/read").status_code == 400
    assert _notes(receiver)[0].read_at is None


def test_pages(login_as, make_org, make_user, make_company):
    _sender, receiver, referral = _refer(make_org, make_user, make_company)
    db.session.add_all([Notification(user_id=receiver.id, kind="referral-overdue",
                                     referral_id=referral.id, company_id=referral.company_id)
                        for _ in range(30)])
    db.session.commit()
    client = login_as(receiver)
    first = client.get("/notifications/").get_data(as_text=True)
    assert 'rel="next"' in first and "Referral not yet accepted" in first
    second = client.get("/notifications/?page=2").get_data(as_text=True)
    assert "New referral: Bakkerij De Korenschoof B.V." in second  # the oldest, last
    assert 'rel="next"' not in second
    assert "No more notifications." in client.get("/notifications/?page=9").get_data(
        as_text=True)


def test_signed_out_is_sent_to_sign_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
