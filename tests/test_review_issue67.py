from __future__ import annotations

import io

from lms.api import tokens
from lms.extensions import db
from lms.models import Role, Tier
from tests.assets.helpers import PDF, publish
from tests.deals.helpers import register
from tests.factories import login, make_org, make_user


def _api(app):
    admin = make_user(Role.ADMIN)
    _t, plain = tokens.create_token("crm", admin)
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_probe(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    ctx = app.app_context(); ctx.push()
    client = app.test_client()
    h = _api(app)
    org = make_org("alpha")
    r = client.put("/api/v1/deals/x1", data="[" * 100000 + "]" * 100000,
                   headers=h, content_type="application/json")
    print("nested", r.status_code, r.get_data(as_text=True)[:200])
    r = client.put("/api/v1/deals/x1", json={"partner": "alpha", "customer": "A", "amount": 1e400}, headers=h)
    print("inf", r.status_code, r.get_data(as_text=True)[:300])
    r = client.put("/api/v1/deals/x1", data='{"partner": "alpha", "customer": "A", "amount": NaN}', headers=h, content_type="application/json")
    print("nan", r.status_code, r.get_data(as_text=True)[:300])
    r = client.put("/api/v1/deals/x1", data='{"partner": "alpha", "customer": "A", "amount": ' + "9"*4000 + '}', headers=h, content_type="application/json")
    print("bigint", r.status_code, r.get_data(as_text=True)[:300])
    r = client.put("/api/v1/deals/x1", data='{"partner": "alpha", "customer": "A", "amount": ' + "9"*5000 + '}', headers=h, content_type="application/json")
    print("bigint5000", r.status_code, r.get_data(as_text=True)[:300])
    r = client.put("/api/v1/deals/x%00y", json={"partner": "alpha", "customer": "A", "amount": 1}, headers=h)
    print("nul", r.status_code, r.get_data(as_text=True)[:300])
    r = client.put("/api/v1/deals/x2", json={"partner": "alpha", "customer": "A\u0000", "amount": 1}, headers=h)
    print("nul2", r.status_code, r.get_data(as_text=True)[:300])
    r = client.put("/api/v1/deals/x3", json={"partner": "alpha", "customer": "A", "amount": 1.0e12}, headers=h)
    print("float", r.status_code, r.get_data(as_text=True)[:300])
    r = client.put("/api/v1/deals/x4", json={"partner": "ALPHA", "customer": "A", "amount": "1"}, headers=h)
    print("upper", r.status_code, r.get_data(as_text=True)[:300])
    r = client.put("/api/v1/deals/x5", json={"partner": "alpha", "customer": "A", "amount": "1", "status": "won", "closed_on": "2020-01-01"}, headers=h)
    print("won", r.status_code, r.get_data(as_text=True)[:300])
    r = client.put("/api/v1/deals/x6", data=b'{"partner": "alpha", "customer": "\xff", "amount": 1}', headers=h, content_type="application/json")
    print("badutf", r.status_code, r.get_data(as_text=True)[:300])
    r = client.put("/api/v1/deals/x6", data=b'{"partner": "alpha", "customer": "\\ud800", "amount": 1}', headers=h, content_type="application/json")
    print("surrogate", r.status_code, r.get_data(as_text=True)[:300])
