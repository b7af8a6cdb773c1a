"""The e-mail outbox: sending over SMTP (a real aiosmtpd server), retries, giving up, the CLI."""
import socket
from datetime import date, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from crm.extensions import db
from crm.journeys import referrals
from crm.mail import MAX_ATTEMPTS, SendReport, send_pending
from crm.models import Notification, OutgoingMail, Referral, utcnow

BASE_URL = "https://crm.example.nl/"
SENDER = "Volgende Deur <noreply@crm.example.nl>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collector:
    """An aiosmtpd handler that keeps what it receives and refuses the ``refuse`` addresses."""

    def __init__(self):
        self.messages = []
        self.refuse = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def situation(make_org, make_user, make_company):
    """Sender organisation refers a company to a receiver with two active users (and one
    inactive); committed, so two e-mails are queued."""
    sender_org = make_org(name="Digitale Werkplaats Eemland")
    receiver_org = make_org(name="EDIH Één Utrecht")
    sender = make_user(org=sender_org, role="staff", locale="en")
    receivers = [make_user(org=receiver_org, role="staff", locale="en",
                           email=f"ontvanger{i}@example.nl") for i in (1, 2)]
    make_user(org=receiver_org, role="staff", email="weg@example.nl", active=False)
    company = make_company(name="Bakkerij Ölçek & Zoon B.V.")
    referral = referrals.refer(company, receiver_org, "Wil een webshop.", by=sender,
                               entrepreneur_agrees=True)
    db.session.commit()
    return {"referral": referral, "company": company, "sender": sender,
            "receivers": receivers, "receiver_org": receiver_org}


def send(port, **kwargs):
    settings = dict(server="127.0.0.1", port=port, username="", password="", use_tls=False,
                    sender=SENDER, base_url=BASE_URL)
    settings.update(kwargs)
    return send_pending(db.session, **settings)


def outbox():
    db.session.expire_all()
    return db.session.scalars(sa.select(OutgoingMail).order_by(OutgoingMail.id)).all()


def test_queued_mail_reaches_every_active_user_of_the_receiver(smtp, situation):
    report = send(smtp.port)

    assert report == SendReport(sent=2, failed=0, skipped_reason=None)
    assert sorted(r for rcpts, _m in smtp.messages for r in rcpts) == [
        "ontvanger1@example.nl", "ontvanger2@example.nl"]
    referral_id = situation["referral"].id
    ids = set()
    for _rcpts, msg in smtp.messages:
        assert "Bakkerij Ölçek & Zoon B.V." in msg["Subject"]
        assert "Digitale Werkplaats Eemland" in msg["Subject"]
        body = msg.get_content()
        assert f"https://crm.example.nl/referrals/{referral_id}" in body
        assert "{base_url}" not in body
        assert msg["From"] == SENDER
        assert msg["Date"] and msg["Message-ID"].endswith("@crm.example.nl>")
        assert msg.get_content_charset() == "utf-8"
        ids.add(msg["Message-ID"])
    assert len(ids) == 2
    assert all(m.sent_at is not None and m.attempts == 0 for m in outbox())


def test_a_second_run_sends_nothing_again(smtp, situation):
    assert send(smtp.port).sent == 2
    assert send(smtp.port) == SendReport()
    assert len(smtp.messages) == 2


def test_oldest_first_and_limit(smtp, situation):
    assert send(smtp.port, limit=1).sent == 1
    first = outbox()
    assert first[0].sent_at is not None and first[1].sent_at is None
    assert send(smtp.port, limit=1).sent == 1
    assert all(m.sent_at for m in outbox())


def test_server_down_leaves_the_mail_queued_with_the_error(situation):
    report = send(free_port())  # nothing listens there

    assert report.sent == 0 and report.failed == 2
    assert "cannot reach" in report.skipped_reason
    rows = outbox()
    assert [(m.sent_at, m.attempts) for m in rows] == [(None, 1), (None, 1)]
    assert all(m.last_error for m in rows)


def test_failed_mail_is_retried_after_a_pause(smtp, situation):
    send(free_port())
    assert send(smtp.port) == SendReport()  # too soon: 1 minute after queueing
    assert smtp.messages == []
    report = send(smtp.port, now=utcnow() + timedelta(minutes=2))
    assert report.sent == 2
    assert all(m.sent_at and m.attempts == 1 for m in outbox())


def test_after_max_attempts_a_message_is_given_up_but_kept(smtp, situation):
    db.session.execute(sa.update(OutgoingMail).values(attempts=MAX_ATTEMPTS,
                                                      last_error="refused"))
    db.session.commit()
    assert send(smtp.port, now=utcnow() + timedelta(days=30)) == SendReport()
    assert smtp.messages == []
    assert len(outbox()) == 2


def test_a_refused_recipient_does_not_stop_the_others(smtp, situation):
    smtp.refuse.add("ontvanger1@example.nl")
    report = send(smtp.port)

    assert (report.sent, report.failed) == (1, 1)
    by_address = {m.to_address: m for m in outbox()}
    refused, delivered = by_address["ontvanger1@example.nl"], by_address["ontvanger2@example.nl"]
    assert refused.sent_at is None and refused.attempts == 1 and "550" in refused.last_error
    assert delivered.sent_at is not None and delivered.attempts == 0


def test_without_a_mail_server_nothing_is_sent(situation):
    report = send(0, server="")
    assert report.sent == report.failed == 0
    assert "CRM_MAIL_SERVER" in report.skipped_reason
    assert [(m.sent_at, m.attempts) for m in outbox()] == [(None, 0), (None, 0)]


# --- the commands ------------------------------------------------------------------------------

@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(args=["crm", *args])
    return invoke


@pytest.fixture
def mail_config(app, monkeypatch):
    def configure(server, port=25):
        for key, value in {"MAIL_SERVER": server, "MAIL_PORT": port, "MAIL_USERNAME": "",
                           "MAIL_PASSWORD": "", "MAIL_USE_TLS": False, "MAIL_SENDER": SENDER,
                           "BASE_URL": BASE_URL}.items():
            monkeypatch.setitem(app.config, key, value)
    return configure


def test_send_mail_command(run, smtp, situation, mail_config):
    mail_config("127.0.0.1", smtp.port)
    result = run("send-mail")
    assert result.exit_code == 0, result.output
    assert "Sent 2 message(s), 0 failed." in result.output
    assert len(smtp.messages) == 2
    body = smtp.messages[0][1].get_content()
    assert f"https://crm.example.nl/referrals/{situation['referral'].id}" in body

    again = run("send-mail")
    assert again.exit_code == 0 and "Sent 0 message(s)" in again.output
    assert len(smtp.messages) == 2


def test_send_mail_command_fails_when_the_server_is_down(run, situation, mail_config):
    mail_config("127.0.0.1", free_port())
    result = run("send-mail")
    assert result.exit_code == 1
    assert "cannot reach mail server" in result.output
    assert "Traceback" not in result.output
    assert all(m.sent_at is None and m.attempts == 1 for m in outbox())


def test_send_mail_command_without_server_is_a_quiet_success(run, situation, mail_config):
    mail_config("")
    result = run("send-mail")
    assert result.exit_code == 0, result.output
    assert "Nothing sent" in result.output and "CRM_MAIL_SERVER" in result.output
    assert all(m.sent_at is None and m.attempts == 0 for m in outbox())


def test_notify_overdue_notifies_both_sides_once(run, situation):
    referral = situation["referral"]
    referral.accept_due_on = date.today() - timedelta(days=10)
    db.session.commit()
    mail_before = len(outbox())

    result = run("notify-overdue")
    assert result.exit_code == 0, result.output
    assert "Notified 1 overdue referral(s)." in result.output

    notified = db.session.execute(
        sa.select(Notification.user_id).where(Notification.kind == "referral-overdue")
    ).scalars().all()
    expected = {situation["sender"].id, *(u.id for u in situation["receivers"])}
    assert sorted(notified) == sorted(expected)
    assert len(outbox()) == mail_before + 3
    assert db.session.get(Referral, referral.id).overdue_notified_at is not None

    again = run("notify-overdue")
    assert again.exit_code == 0 and "Notified 0 overdue referral(s)." in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.kind == "referral-overdue")) == 3


def test_notify_overdue_leaves_referrals_within_their_time_alone(run, situation):
    result = run("notify-overdue")
    assert result.exit_code == 0 and "Notified 0" in result.output
