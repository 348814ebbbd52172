"""Certification reminders: written once per stage to the holder and their partner admins,
in each one's language, shown in the inbox, and mailed through a real SMTP server on
loopback, also when that server was down at first."""

from __future__ import annotations

from datetime import timedelta

from lms.extensions import db
from lms.models import MailState, Role
from lms.notifications.service import deliver_due, remind_expiring_credentials
from tests.factories import make_user, signed_in
from tests.factories.learning import award
from tests.notifications.mailbox import NOW, notifications_of, start_smtp


def test_the_holder_and_their_partner_admin_are_reminded_once(mail_app, company):
    assert remind_expiring_credentials(NOW) == 2
    db.session.commit()
    assert remind_expiring_credentials(NOW) == 0  # the same stage again: nothing
    assert remind_expiring_credentials(NOW + timedelta(days=5)) == 0  # 16 days: still 30
    db.session.commit()

    (mine,) = notifications_of(company["holder"])
    (theirs,) = notifications_of(company["admin"])
    assert mine.key == theirs.key == f"credential-expiring:{company['award'].id}:30"
    # The 30-day reminder, saying how many days are really left.
    assert mine.params["stage"] == 30 and mine.params["days"] == 21
    assert "holder_name" not in mine.params
    assert theirs.params["holder_name"] == "Haruto Sato"
    assert notifications_of(company["outsider"]) == []

    # Within 7 days: the next stage, once more to each.
    assert remind_expiring_credentials(NOW + timedelta(days=15)) == 2


def test_renewed_revoked_and_inactive_holders_are_not_reminded(mail_app, company):
    company["award"].revoked_at = NOW
    other = make_user(Role.MEMBER, company["holder"].organization, active=False)
    award(other, company["credential"], issued_at=NOW, expires_at=NOW + timedelta(days=20))
    db.session.commit()

    assert remind_expiring_credentials(NOW) == 0


def test_reminders_are_mailed_once_each_in_the_recipients_language(mail_app, company,
                                                                   smtp_port):
    remind_expiring_credentials(NOW)
    db.session.commit()
    controller, inbox = start_smtp(smtp_port)
    try:
        assert deliver_due(NOW) == (2, 0)
        assert deliver_due(NOW + timedelta(hours=1)) == (0, 0)  # never twice
    finally:
        controller.stop()

    by_address = {message["To"]: message for message in inbox.messages}
    assert sorted(by_address) == ["haruto@sakura.test", "yuki@sakura.test"]
    english = by_address["haruto@sakura.test"]
    assert english["Subject"].startswith("Your Credential ")
    assert "expires in 21 days" in english.get_content()
    assert "https://academy.example.test/credentials" in english.get_content()
    japanese = by_address["yuki@sakura.test"]
    assert "認定資格" in japanese["Subject"] and "Haruto Sato" in japanese["Subject"]
    assert "https://academy.example.test/credentials/expiring" in japanese.get_content()
    states = {n.mail_state for n in notifications_of(company["holder"])}
    assert states == {MailState.SENT}


def test_a_mail_server_that_is_down_at_first_still_gets_every_message(mail_app, company,
                                                                      smtp_port):
    remind_expiring_credentials(NOW)
    db.session.commit()

    assert deliver_due(NOW) == (0, 2)  # nothing listens on the port yet
    (waiting,) = notifications_of(company["holder"])
    assert waiting.mail_state == MailState.PENDING and waiting.mail_attempts == 1
    assert waiting.mail_next_at == NOW + timedelta(minutes=1)
    assert "ConnectionRefusedError" in waiting.mail_error
    assert deliver_due(NOW + timedelta(seconds=30)) == (0, 0)  # not due again yet

    controller, inbox = start_smtp(smtp_port)
    try:
        assert deliver_due(NOW + timedelta(minutes=2)) == (2, 0)
    finally:
        controller.stop()
    assert len(inbox.messages) == 2
    (sent,) = notifications_of(company["holder"])
    assert sent.mail_state == MailState.SENT and sent.mail_attempts == 2
    assert sent.mail_error is None


def test_a_mail_that_fails_for_a_day_is_given_up_and_stays_in_the_inbox(mail_app, company):
    remind_expiring_credentials(NOW)
    db.session.commit()
    deliver_due(NOW)
    assert deliver_due(NOW + timedelta(days=1, minutes=1)) == (0, 2)
    (given_up,) = notifications_of(company["holder"])
    assert given_up.mail_state == MailState.FAILED
    assert given_up.read_at is None


# --- The inbox ------------------------------------------------------------------------------


def test_the_inbox_shows_ones_own_notifications_with_the_unread_count(mail_app, company):
    remind_expiring_credentials(NOW)
    db.session.commit()
    client = signed_in(mail_app, company["holder"])

    page = client.get("/notifications").get_data(as_text=True)
    assert "expires in 21 days" in page
    assert 'class="count-badge">1<' in page
    (mine,) = notifications_of(company["holder"])
    (theirs,) = notifications_of(company["admin"])

    response = client.get(f"/notifications/{mine.id}")
    assert response.status_code == 302 and response.location.endswith("/credentials")
    assert notifications_of(company["holder"])[0].read_at is not None
    assert "count-badge" not in client.get("/notifications").get_data(as_text=True)

    # Another person's notification is not found, and stays unread.
    assert client.get(f"/notifications/{theirs.id}").status_code == 404
    assert notifications_of(company["admin"])[0].read_at is None


def test_a_japanese_reader_sees_japanese_and_can_mark_everything_read(mail_app, company):
    remind_expiring_credentials(NOW)
    db.session.commit()
    client = signed_in(mail_app, company["admin"])

    page = client.get("/notifications").get_data(as_text=True)
    assert "認定資格" in page and "Haruto Sato" in page
    assert "Your " not in page

    from tests.factories import csrf_token

    response = client.post("/notifications/read",
                           data={"csrf_token": csrf_token(client, "/notifications")})
    assert response.status_code == 302
    assert all(n.read_at is not None for n in notifications_of(company["admin"]))


def test_two_workers_never_mail_the_same_notification(mail_app, company):
    from lms.database import start_write_transaction
    from lms.notifications.service import _claim

    remind_expiring_credentials(NOW)
    db.session.commit()
    (mine,) = notifications_of(company["holder"])
    start_write_transaction()
    assert _claim(mine.id, NOW) is True
    assert _claim(mine.id, NOW) is False  # the second worker finds it taken
    db.session.commit()
    assert deliver_due(NOW) == (0, 1)  # only the admin's is left to try (no server: fails)
    # A worker that died with the claim: the lease ends and the mail is tried again.
    start_write_transaction()
    assert _claim(mine.id, NOW + timedelta(minutes=6)) is True
    db.session.commit()


def test_the_inbox_pages_through_many_notifications_newest_first(mail_app, company):
    from lms.notifications.service import notify

    holder = company["holder"]
    for n in range(30):
        notify(holder, f"many:{n}", "deals", "deal_conflict", {
            "deal": n, "customer": f"Customer {n:02d}", "partner": "Sakura"},
            NOW + timedelta(minutes=n))
    db.session.commit()
    client = signed_in(mail_app, holder)

    first = client.get("/notifications").get_data(as_text=True)
    second = client.get("/notifications?page=2").get_data(as_text=True)

    assert "Customer 29" in first and "Customer 05" in first and "Customer 04" not in first
    assert "Customer 04" in second and "Customer 00" in second and "Customer 29" not in second
    assert "Page 1 of 2" in first
    assert "Mark all read" in second  # 30 unread, wherever the page
