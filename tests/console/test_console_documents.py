"""The bridge loan's papers and renewal loop in the console (issue 15): the required-documents checklist, uploads
(multipart, CSRF, one-time key, the API's checks), versions with download links, the approval's 409 shown at the
button with the missing kinds, another bank's officer kept out (404 pages), and the officer's renewal recordings."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from bridgefund.api.docs import EXAMPLES
from bridgefund.models import AuditEvent, BridgeLoan, Document
from tests.bridge_support import World
from tests.console_support import Browser, signed_in, visible_text
from tests.documents_support import PDF, PNG

BRIDGE_KINDS = ["renewal_commitment", "application", "tripartite_agreement"]


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-03-31"
    w = World(client, factory)
    assert w.capital("50000000.00").status_code == 201
    return w


def _require_papers(client, world: World) -> None:  # noqa: ANN001
    r = client.put("/api/v1/fund/settings", json={**EXAMPLES["PUT /api/v1/fund/settings"],
                                                  "required_documents": BRIDGE_KINDS}, headers=world.admin)
    assert r.status_code == 200, r.get_json()


def _upload_key(html: str) -> str:
    form = html.split('data-testid="upload-form"')[1].split("</form>")[0]
    m = re.search(r'name="idempotency_key" value="([^"]+)"', form)
    assert m, "the upload form carries no one-time key"
    return m.group(1)


def _upload(b: Browser, loan_id: int, kind: str, data: bytes = PDF, filename: str = "letter.pdf", **more: str):  # noqa: ANN201
    html = b.text(f"/bridge-loans/{loan_id}")
    form = {"idempotency_key": _upload_key(html), "kind": kind, "file": (io.BytesIO(data), filename), **more}
    return b.post(f"/bridge-loans/{loan_id}/documents", form, content_type="multipart/form-data")


def _checklist(html: str) -> dict[str, str]:
    part = html.split('data-testid="checklist"')[1].split("</ul>")[0]
    return dict(re.findall(r'data-kind="([^"]+)" data-state="([^"]+)"', part))


def _approve_confirm(b: Browser, loan_id: int):  # noqa: ANN201
    return b.get(f"/bridge-loans/{loan_id}/confirm/approve", headers={"HX-Request": "true"})


def test_checklist_upload_versions_download_and_the_approval_409_in_place(app, db, client, world) -> None:  # noqa: ANN001
    _require_papers(client, world)
    loan = world.submit()
    officer = signed_in(app, world.officer_user)
    li = signed_in(app, world.li_user)
    path = f"/bridge-loans/{loan['id']}"

    html = li.text(path)
    assert _checklist(html) == dict.fromkeys(BRIDGE_KINDS, "missing")
    assert "续贷承诺函" in visible_text(html) and "三方协议" in visible_text(html)  # the kinds, in Chinese

    # The approval's confirmation is refused in place: the approve form comes back naming the missing papers.
    r = _approve_confirm(li, loan["id"])
    assert r.status_code == 409 and r.headers["HX-Retarget"] == "#action-approve"
    missing = r.get_data(as_text=True).split('data-testid="missing-documents"')[1].split("</ul>")[0]
    assert re.findall(r'data-kind="([^"]+)"', missing) == BRIDGE_KINDS
    # Sent anyway (a stale confirmation): the same 409, shown at the approve form, and nothing changed.
    audit = db.scalar(select(func.count()).select_from(AuditEvent))
    li.get(path)
    r = li.post(f"{path}/approve", {"idempotency_key": "console-stale-approval"})
    assert r.status_code == 409
    page = r.get_data(as_text=True)
    form = page.split('id="action-approve"')[1].split("</form>")[0]
    assert 'data-testid="missing-documents"' in form and "转贷申请书" in visible_text(form)
    db.expire_all()
    assert db.get(BridgeLoan, loan["id"]).status == "submitted"
    assert db.scalar(select(func.count()).select_from(AuditEvent)) == audit

    # The officer uploads the letter: the same checks as the API (bytes, not the name, decide the type).
    r = _upload(officer, loan["id"], "renewal_commitment", b"just text, not a PDF", "letter.pdf")
    assert r.status_code in (415, 422)
    assert 'data-testid="upload-error"' in r.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Document)) == 0
    r = _upload(officer, loan["id"], "renewal_commitment", filename="续贷承诺函.pdf", note="盖章版")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"{path}#documents")
    again = officer.post(f"{path}/documents", {"idempotency_key": "console-once", "kind": "application",
                                               "file": (io.BytesIO(PNG), "申请书.png")},
                         content_type="multipart/form-data")
    twice = officer.post(f"{path}/documents", {"idempotency_key": "console-once", "kind": "application",
                                               "file": (io.BytesIO(PNG), "申请书.png")},
                         content_type="multipart/form-data")
    assert again.status_code == twice.status_code == 303 and twice.headers["Idempotent-Replayed"] == "true"
    assert _upload(officer, loan["id"], "renewal_commitment", filename="续贷承诺函-v2.pdf").status_code == 303
    docs = db.scalars(select(Document).order_by(Document.id)).all()
    assert [(d.kind, d.version) for d in docs] == [("renewal_commitment", 1), ("application", 1),
                                                   ("renewal_commitment", 2)]

    html = li.text(path)
    assert _checklist(html) == {"renewal_commitment": "present", "application": "present",
                                "tripartite_agreement": "missing"}
    versions = html.split('data-testid="document-versions"')[1].split("</table>")[0]
    links = re.findall(r'href="(/documents/(\d+)/content)"', versions)
    assert sorted(int(i) for _, i in links) == [d.id for d in docs]  # every version, each with its link
    assert "v2" in versions and "盖章版" in versions
    r = officer.get(f"/documents/{docs[0].id}/content")
    assert r.status_code == 200 and r.data == PDF and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E7%BB%AD" in r.headers["Content-Disposition"]

    assert _upload(officer, loan["id"], "tripartite_agreement").status_code == 303
    r = _approve_confirm(li, loan["id"])
    assert r.status_code == 200 and 'data-testid="confirm-approve"' in r.get_data(as_text=True)
    confirm = r.get_data(as_text=True)
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', confirm))
    assert li.post(f"{path}/approve", form).status_code == 303
    db.expire_all()
    assert db.get(BridgeLoan, loan["id"]).status == "approved"


def test_another_banks_officer_gets_404_pages_for_the_papers(app, db, client, factory, world) -> None:  # noqa: ANN001
    loan = world.submit()
    officer = signed_in(app, world.officer_user)
    assert _upload(officer, loan["id"], "application").status_code == 303
    doc = db.scalars(select(Document)).one()
    stranger_user = factory.make_user("bank_officer", factory.make_bank())
    factory.commit()
    stranger = signed_in(app, stranger_user)
    r = stranger.get(f"/documents/{doc.id}/content")
    assert r.status_code == 404 and r.mimetype == "text/html" and PDF not in r.data
    assert stranger.get(f"/bridge-loans/{loan['id']}").status_code == 404
    stranger.get("/")
    r = stranger.post(f"/bridge-loans/{loan['id']}/documents", {
        "idempotency_key": "console-x", "kind": "application", "file": (io.BytesIO(PDF), "x.pdf")},
        content_type="multipart/form-data")
    assert r.status_code == 404
    assert db.scalar(select(func.count()).select_from(Document)) == 1
    # an upload without the CSRF token is refused before anything is read
    r = officer.post(f"/bridge-loans/{loan['id']}/documents", {
        "idempotency_key": "console-y", "kind": "application", "file": (io.BytesIO(PDF), "x.pdf")},
        csrf=False, content_type="multipart/form-data")
    assert r.status_code == 400
    assert db.scalar(select(func.count()).select_from(Document)) == 1


def test_the_officer_records_the_renewal_in_the_console(app, db, world) -> None:  # noqa: ANN001
    loan = world.approved()
    officer = signed_in(app, world.officer_user)
    li = signed_in(app, world.li_user)
    path = f"/bridge-loans/{loan['id']}"
    assert 'data-testid="action-record_renewal_approved"' in officer.text(path)
    assert 'data-testid="action-record_renewal_approved"' not in li.text(path)  # the bank's officer records it
    assert 'data-testid="action-record_renewal_disbursed"' not in officer.text(path)  # approval first

    r = officer.get(f"{path}/confirm/record_renewal_approved", headers={"HX-Request": "true"},
                    query_string={"decided_on": "2020-02-09", "amount": "２,０００,０００"})
    assert r.status_code == 200
    confirm = r.get_data(as_text=True)
    assert re.search(r'data-testid="renewal-amount">2,000,000.00<', confirm)
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', confirm))
    assert officer.post(f"{path}/record_renewal_approved", form).status_code == 303
    db.expire_all()
    row = db.get(BridgeLoan, loan["id"])
    assert str(row.renewal_approved_amount) == "2000000.00" and row.renewal_approved_on.isoformat() == "2020-02-09"

    # Not lent yet: the disbursement of the renewal is not offered; once the fund has lent, it is.
    assert 'data-testid="action-record_renewal_disbursed"' not in officer.text(path)
    assert world.disburse(loan["id"], "2020-02-10").status_code == 200
    html = officer.text(path)
    assert 'data-testid="action-record_renewal_disbursed"' in html
    assert 'data-testid="action-record_renewal_approved"' not in html
    # a value date before the fund's own disbursement: the field's error beside it, nothing recorded
    r = officer.get(f"{path}/confirm/record_renewal_disbursed", headers={"HX-Request": "true"},
                    query_string={"value_date": "2020-02-11", "amount": "2000000.00", "contract_no": "RN-7"})
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', r.get_data(as_text=True)))
    bad = officer.post(f"{path}/record_renewal_disbursed", {**form, "value_date": "2020-02-09"})
    assert bad.status_code == 422 and "value_date" in bad.get_data(as_text=True)
    assert officer.post(f"{path}/record_renewal_disbursed", form).status_code == 303
    db.expire_all()
    assert db.get(BridgeLoan, loan["id"]).renewal_contract_no == "RN-7"
    shown = visible_text(officer.text(path).split('data-testid="renewal"')[1].split("</dd>")[0])
    assert "2020-02-11" in shown and "RN-7" in shown and "2,000,000.00" in shown
    timeline = visible_text(officer.text(path).split('data-testid="timeline"')[1])
    assert "登记银行续贷审批" in timeline and "登记续贷放款" in timeline
