"""A person's mail choices: categories turned off, the daily digest, and the unsubscribe link
of every mail (a page that asks, and the one-click POST of mail clients, RFC 8058)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from lms.extensions import db
from lms.models import MailState, NotificationSettings, Role
from lms.notifications.service import (
    deliver_due,
    notify,
    remind_expiring_credentials,
    save_settings,
    settings_of,
    unsubscribe_token,
)
from tests.factories import csrf_token, make_org, make_user, signed_in
from tests.notifications.mailbox import NOW as REMINDED
from tests.notifications.mailbox import notifications_of, start_smtp

# 10:00 in Tokyo: the next digest is tomorrow's 08:00 (23:00 UTC today).
NOW = datetime(2027, 3, 1, 1, 0, tzinfo=UTC)
DIGEST_TIME = datetime(2027, 3, 1, 23, 0, tzinfo=UTC)


def two_notifications(person):
    """A certification reminder and a deal decision, due now."""
    notify(person, "k-cred", "credentials", "credential_expiring", {
        "award": 1, "credential": {"en": "Nimbus Certified Engineer"}, "stage": 30,
        "days": 21, "expires": "2027-03-22"}, NOW)
    notify(person, "k-deal", "deals", "deal_decided", {
        "deal": 7, "customer": "Sakura Trading", "partner": "Sakura", "status": "rejected",
        "reason": "Registered by another partner first."}, NOW)
    db.session.commit()


def stored_settings(user) -> NotificationSettings | None:
    db.session.expire_all()
    return db.session.scalar(select(NotificationSettings).where(
        NotificationSettings.user_id == user.id))


# --- The settings page --------------------------------------------------------------------


def test_everything_is_mailed_at_once_until_a_person_chooses(mail_app, company):
    client = signed_in(mail_app, company["holder"])
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert page.count('checked') == 10  # nine categories and "as it happens"
    assert stored_settings(company["holder"]) is None


def test_a_person_turns_a_category_off_and_asks_for_the_digest(mail_app, company):
    client = signed_in(mail_app, company["holder"])
    token = csrf_token(client, "/notifications/settings")
    form = {"csrf_token": token, "credentials": "y", "tiers": "y", "learning": "y",
            "assets": "y", "mdf": "y", "terms": "y", "kb": "y", "environments": "y",
            "delivery": "digest"}  # deals left unchecked

    response = client.post("/notifications/settings", data=form)

    assert response.status_code == 302
    saved = stored_settings(company["holder"])
    assert saved.muted == ["deals"] and saved.digest is True
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert 'id="deals" name="deals" type="checkbox" value="y">' in page  # not checked
    assert stored_settings(company["admin"]) is None  # nobody else's changed


def test_a_bad_choice_is_refused_and_nothing_changes(mail_app, company):
    client = signed_in(mail_app, company["holder"])
    token = csrf_token(client, "/notifications/settings")

    response = client.post("/notifications/settings",
                           data={"csrf_token": token, "delivery": "weekly"})

    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert stored_settings(company["holder"]) is None


def test_the_settings_need_a_signed_in_person(mail_app):
    response = mail_app.test_client().get("/notifications/settings")
    assert response.status_code == 302 and "/login" in response.location


# --- Delivery as chosen ---------------------------------------------------------------------


def test_a_muted_category_stays_in_the_inbox_but_is_not_mailed(mail_app, company, smtp_port):
    holder = company["holder"]
    save_settings(holder, ["deals"], digest=False)
    db.session.commit()
    two_notifications(holder)
    controller, inbox = start_smtp(smtp_port)
    try:
        assert deliver_due(NOW) == (1, 0)
    finally:
        controller.stop()

    (mail,) = inbox.messages
    assert "Nimbus Certified Engineer" in mail["Subject"]
    states = {n.key: n.mail_state for n in notifications_of(holder)}
    assert states == {"k-cred": MailState.SENT, "k-deal": MailState.NONE}


def test_the_digest_holds_notifications_and_mails_them_together_at_eight(
        mail_app, company, smtp_port):
    holder = company["holder"]
    save_settings(holder, [], digest=True)
    db.session.commit()
    two_notifications(holder)
    controller, inbox = start_smtp(smtp_port)
    try:
        assert deliver_due(NOW) == (0, 0)  # held for the digest
        held = notifications_of(holder)
        assert {n.mail_digest for n in held} == {True}
        assert {n.mail_next_at for n in held} == {DIGEST_TIME}
        assert deliver_due(DIGEST_TIME - timedelta(minutes=1)) == (0, 0)
        assert deliver_due(DIGEST_TIME) == (1, 0)
        assert deliver_due(DIGEST_TIME + timedelta(hours=1)) == (0, 0)  # once
    finally:
        controller.stop()

    (digest,) = inbox.messages
    assert digest["Subject"] == "Partner Academy: 2 new notifications"
    body = digest.get_content()
    assert "Nimbus Certified Engineer expires on" in body
    assert "Deal for Sakura Trading rejected" in body
    assert "https://academy.example.test/deals/7" in body
    assert {n.mail_state for n in notifications_of(holder)} == {MailState.SENT}


def test_a_digest_that_fails_is_tried_again_as_one_mail(mail_app, company, smtp_port):
    holder = company["holder"]
    save_settings(holder, [], digest=True)
    db.session.commit()
    two_notifications(holder)
    deliver_due(NOW)

    assert deliver_due(DIGEST_TIME) == (0, 1)  # no server yet: one digest failed
    assert {n.mail_attempts for n in notifications_of(holder)} == {1}
    controller, inbox = start_smtp(smtp_port)
    try:
        assert deliver_due(DIGEST_TIME + timedelta(minutes=1)) == (1, 0)
    finally:
        controller.stop()
    assert len(inbox.messages) == 1


# --- Unsubscribing from a mail ---------------------------------------------------------------


def test_every_mail_carries_a_one_click_unsubscribe_for_its_category(mail_app, company,
                                                                     smtp_port):
    remind_expiring_credentials(REMINDED)
    db.session.commit()
    controller, inbox = start_smtp(smtp_port)
    try:
        deliver_due(REMINDED)
    finally:
        controller.stop()
    mail = next(m for m in inbox.messages if m["To"] == "haruto@sakura.test")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = mail["List-Unsubscribe"].strip("<>")
    assert link.startswith("https://academy.example.test/notifications/unsubscribe/")
    assert link in mail.get_content()

    # A mail client's one-click POST: no session, no form token.
    response = mail_app.test_client().post(link.removeprefix("https://academy.example.test"),
                                           data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert stored_settings(company["holder"]).muted == ["credentials"]
    assert stored_settings(company["admin"]) is None


def test_opening_the_link_asks_first_and_changes_nothing(mail_app, company):
    token = unsubscribe_token(company["holder"], "deals")
    client = mail_app.test_client()

    page = client.get(f"/notifications/unsubscribe/{token}")

    assert page.status_code == 200
    assert "Stop mailing haruto@sakura.test about deals?" in page.get_data(as_text=True)
    assert stored_settings(company["holder"]) is None
    done = client.post(f"/notifications/unsubscribe/{token}")
    assert "gets no more mail about deals" in done.get_data(as_text=True)
    assert settings_of(company["holder"]).muted == ["deals"]


def test_a_forged_or_altered_token_is_not_found(mail_app, company):
    client = mail_app.test_client()
    token = unsubscribe_token(company["holder"], "deals")
    assert client.post(f"/notifications/unsubscribe/{token[:-2]}xx").status_code == 404
    assert client.get("/notifications/unsubscribe/not-a-token").status_code == 404
    other = make_user(Role.MEMBER, make_org(slug="elsewhere"))
    db.session.commit()
    # Another person's token names that person only: the holder keeps their mail.
    client.post(f"/notifications/unsubscribe/{unsubscribe_token(other, 'deals')}")
    assert stored_settings(company["holder"]) is None
    assert settings_of(other).muted == ["deals"]


def test_a_first_save_that_loses_a_race_updates_the_row_the_other_wrote(mail_app, company,
                                                                        monkeypatch):
    """PostgreSQL: two first saves at once both find no row; the second one's insert fails
    and it updates the winner's row instead of answering 500."""
    holder = company["holder"]
    real_get = db.session.get
    calls = []

    def racing_get(model, ident, **kw):
        if model is NotificationSettings and not calls:
            calls.append(ident)  # the other request inserts between our read and our insert
            db.session.execute(NotificationSettings.__table__.insert().values(
                user_id=holder.id, muted=["assets"], digest=False, updated_at=NOW))
            return None
        return real_get(model, ident, **kw)

    monkeypatch.setattr(db.session, "get", racing_get)
    save_settings(holder, ["deals"], digest=True)
    db.session.commit()
    monkeypatch.undo()

    saved = stored_settings(holder)
    assert calls == [holder.id]
    assert saved.muted == ["deals"] and saved.digest is True
