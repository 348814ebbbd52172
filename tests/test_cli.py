"""The `lms` command line: init, users create, demo."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func

from lms.demo import DEMO_PASSWORD
from lms.demo.integrations import DEMO_TOKENS
from lms.extensions import db
from lms.models import (
    ApiToken,
    Asset,
    AssetVersion,
    JobFunction,
    Organization,
    Role,
    Tier,
    User,
)
from tests.factories import login, make_org, make_user

STRONG = "a-long-enough-password"


def count(model) -> int:
    return db.session.scalar(db.select(func.count()).select_from(model))


def user_by_email(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(db.select(User).where(User.email == email))


def create_user(runner, *args: str, password: str | None = STRONG):
    extra = ["--password", password] if password is not None else []
    return runner.invoke(args=["users", "create", *args, *extra])


# --- init --------------------------------------------------------------------------------


def test_init_upgrades_the_database(runner):
    result = runner.invoke(args=["init"])

    assert result.exit_code == 0, result.output
    assert "latest migration" in result.output


# --- users create ------------------------------------------------------------------------


def test_users_create_makes_an_admin_with_a_lower_cased_email(runner):
    result = create_user(runner, "--email", "Boss@Example.test", "--role", "admin")

    assert result.exit_code == 0, result.output
    assert "Created boss@example.test (admin)." in result.output
    user = user_by_email("boss@example.test")
    assert user is not None
    assert user.role == Role.ADMIN and user.organization_id is None and user.active
    assert user.check_password(STRONG)


def test_users_create_prompts_for_the_password_twice(runner):
    result = runner.invoke(
        args=["users", "create", "--email", "prompted@example.com", "--role", "manager"],
        input=f"{STRONG}\n{STRONG}\n",
    )

    assert result.exit_code == 0, result.output
    assert user_by_email("prompted@example.com").check_password(STRONG)


def test_users_create_makes_a_partner_member(runner):
    org = make_org(slug="sakura")

    result = create_user(runner, "--email", "aiko@sakura.example", "--role", "member",
                         "--org", "sakura", "--job-function", "technical", "--name", "Aiko")

    assert result.exit_code == 0, result.output
    user = user_by_email("aiko@sakura.example")
    assert (user.role, user.organization_id, user.job_function, user.name) == (
        Role.MEMBER, org.id, JobFunction.TECHNICAL, "Aiko")


@pytest.mark.parametrize(("args", "message"), [
    (["--email", "a@example.com", "--role", "member", "--org", "nope",
      "--job-function", "sales"],
     "No partner company with the short name 'nope'."),
    (["--email", "a@example.com", "--role", "member", "--org", "sakura"],
     "A member needs --job-function sales or technical."),
    (["--email", "a@example.com", "--role", "partner_admin"],
     "A partner_admin belongs to a partner company: give --org."),
    (["--email", "a@example.com", "--role", "member", "--job-function", "sales"],
     "A member belongs to a partner company: give --org."),
    (["--email", "a@example.com", "--role", "manager", "--org", "sakura"],
     "The role manager is for vendor staff"),
    (["--email", "a@example.com", "--role", "admin", "--org", "sakura"],
     "The role admin is for vendor staff"),
    (["--email", "not-an-email", "--role", "admin"],
     "Not a valid email address: not-an-email"),
], ids=["unknown-org", "member-without-job", "partner-admin-without-org",
        "member-without-org", "manager-with-org", "admin-with-org", "invalid-email"])
def test_users_create_refuses_bad_input(runner, args, message):
    make_org(slug="sakura")

    result = create_user(runner, *args)

    assert result.exit_code != 0
    assert message in result.output
    assert count(User) == 0


def test_users_create_refuses_a_weak_password(runner):
    result = create_user(runner, "--email", "weak@example.com", "--role", "admin",
                         password="short-pw")

    assert result.exit_code != 0
    assert "Use at least 10 characters." in result.output
    assert count(User) == 0


def test_users_create_refuses_the_email_as_password(runner):
    result = create_user(runner, "--email", "same-as-password@example.com", "--role", "admin",
                         password="Same-As-Password@example.com")

    assert result.exit_code != 0
    assert "must not be your email address" in result.output
    assert count(User) == 0


def test_users_create_refuses_an_unknown_role(runner):
    result = create_user(runner, "--email", "x@example.com", "--role", "superuser")

    assert result.exit_code != 0
    assert "superuser" in result.output
    assert count(User) == 0


@pytest.mark.parametrize("email", ["taken@example.com", "Taken@EXAMPLE.com"])
def test_users_create_refuses_a_duplicate_email(runner, email):
    make_user(Role.MANAGER, email="taken@example.com")

    result = create_user(runner, "--email", email, "--role", "admin")

    assert result.exit_code != 0
    assert "taken@example.com already has an account." in result.output
    assert count(User) == 1
    assert user_by_email("taken@example.com").role == Role.MANAGER


# --- demo --------------------------------------------------------------------------------


DEMO_LOGINS = ["admin@demo.test", "manager@demo.test", "admin@sakura-systems.demo.test",
               "engineer@kumo-works.demo.test"]


@pytest.fixture
def demo(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def org(slug: str) -> Organization:
    return db.session.scalar(db.select(Organization).where(Organization.slug == slug))


def test_demo_prints_the_logins(demo):
    for email in DEMO_LOGINS:
        assert email in demo.output
    assert DEMO_PASSWORD in demo.output
    assert f"{count(Organization) + count(User)} records created, 0 already there" in demo.output


def test_demo_creates_the_named_partners(demo):
    assert org("sakura-systems").tier == Tier.GOLD
    assert org("aozora-consulting").tier == Tier.SILVER
    kumo = org("kumo-works")
    assert kumo.tier == Tier.BRONZE
    assert date.today() - timedelta(days=62) <= kumo.signed_on <= date.today()
    assert count(Organization) >= 23


def test_demo_creates_vendor_staff(demo):
    assert user_by_email("admin@demo.test").role == Role.ADMIN
    assert user_by_email("manager@demo.test").role == Role.MANAGER


def test_demo_gives_every_partner_an_admin_a_seller_and_an_engineer(demo):
    expected = {
        "admin": (Role.PARTNER_ADMIN, JobFunction.SALES),
        "sales": (Role.MEMBER, JobFunction.SALES),
        "engineer": (Role.MEMBER, JobFunction.TECHNICAL),
    }
    organizations = list(db.session.scalars(db.select(Organization)))
    assert len(organizations) >= 23
    for company in organizations:
        people = db.session.scalars(db.select(User).where(User.organization_id == company.id))
        found = {p.email.split("@")[0]: (p.role, p.job_function) for p in people}
        core = {prefix: found.get(prefix) for prefix in expected}
        assert core == expected, company.slug
        # Certified staff added for the tier program: sales2@, engineer2@... with their job.
        for prefix, (role, job) in found.items():
            if prefix not in expected:
                base = prefix.rstrip("0123456789")
                assert (role, job) == (Role.MEMBER, expected[base][1]), (company.slug, prefix)


def test_demo_publishes_the_asset_library_with_its_files(runner, demo):
    assert count(Asset) >= 12
    assert count(AssetVersion) > count(Asset)

    check = runner.invoke(args=["assets", "check"])

    assert check.exit_code == 0, check.output
    assert "Every asset version has its file." in check.output


def test_demo_shows_api_tokens_of_every_state_to_its_admin(demo, client):
    login(client, "admin@demo.test", password=DEMO_PASSWORD)

    page = client.get("/admin/api-tokens").get_data(as_text=True)

    for name, scopes, *_rest in DEMO_TOKENS:
        assert name in page
        for scope in scopes:
            assert scope in page
    assert count(ApiToken) == len(DEMO_TOKENS)


def test_demo_shows_a_paused_webhook_endpoint_with_its_delivery_log(demo, client):
    from lms.demo.integrations import DEMO_DELIVERIES, DEMO_WEBHOOK_URL
    from lms.models import WebhookEndpoint

    login(client, "admin@demo.test", password=DEMO_PASSWORD)
    (endpoint,) = db.session.scalars(db.select(WebhookEndpoint))
    assert endpoint.url == DEMO_WEBHOOK_URL and not endpoint.enabled

    listing = client.get("/admin/webhooks").get_data(as_text=True)
    page = client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)

    assert DEMO_WEBHOOK_URL in listing
    assert "Paused for the demo" in page
    assert page.count("deal.registered") >= len(DEMO_DELIVERIES)
    assert "503" in page and "200" in page  # a failed attempt retried, in the log


def test_demo_inbox_holds_this_weeks_news_and_the_older_is_read(demo):
    from lms.models import Notification

    kinds = set(db.session.scalars(db.select(Notification.kind).where(
        Notification.read_at.is_(None))))
    assert {"credential_expiring", "deal_decided", "deal_registered", "tier_lapse",
            "tier_promotion_due", "onboarding_stalled"} <= kinds
    manager = user_by_email("manager@demo.test")
    unread = db.session.scalar(db.select(db.func.count(Notification.id)).where(
        Notification.user_id == manager.id, Notification.read_at.is_(None)))
    assert 0 < unread < 30  # this week's, not the hundreds of the demo's history


def test_demo_a_second_time_creates_nothing(runner, demo):
    organizations, users, api_tokens = count(Organization), count(User), count(ApiToken)

    again = runner.invoke(args=["demo"])

    assert again.exit_code == 0, again.output
    assert "0 records created" in again.output
    db.session.expire_all()
    assert (count(Organization), count(User), count(ApiToken)) == (organizations, users,
                                                                    api_tokens)


def test_demo_password_signs_in_the_demo_admin(demo, client):
    response = login(client, "admin@demo.test", password=DEMO_PASSWORD)

    assert response.status_code == 302
    assert client.get("/admin/users").status_code == 200


def test_after_the_demo_jobs_run_remind_the_holder_whose_certification_expires_in_21_days(
        runner, demo, tmp_path, app):
    from lms.models import Award, Notification

    app.config["LMS_MAIL_DIR"] = str(tmp_path / "mail")
    result = runner.invoke(args=["jobs", "run"])

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    holder = user_by_email("admin@bluepeak-partners.demo.test")
    award = db.session.scalar(db.select(Award).where(Award.user_id == holder.id,
                                                     Award.expires_at.is_not(None)))
    (reminder,) = db.session.scalars(db.select(Notification).where(
        Notification.user_id == holder.id, Notification.kind == "credential_expiring"))
    assert reminder.key == f"credential-expiring:{award.id}:30"
    assert reminder.params["days"] == 21
    import email
    from email.policy import default

    mails = [email.message_from_bytes(path.read_bytes(), policy=default)
             for path in (tmp_path / "mail").glob("*.eml")]
    (mail,) = [m for m in mails if m["To"] == "admin@bluepeak-partners.demo.test"
               and m["X-Partner-Academy-Notification"] == reminder.key]
    assert mail["Subject"].startswith("Your Nimbus Certified Sales Professional (NCSP)")
    assert "expires in 21 days" in mail.get_content()
