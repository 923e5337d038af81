"""Documents in the console beyond the bridge loan (issues 13 and 15): the pool loan's, the claim's and the
enterprise's pages list every version (kind in words, version, file, size, sha256, uploaded by and at) with its
download, take uploads (multipart, CSRF, one-time key, the API's checks, errors beside the field, nothing stored),
keep another bank's officer out (404 pages); a claim's checklist and the approval's 409 naming the missing kinds;
the admin's required-documents settings as checkboxes, through the before → after confirmation."""

from __future__ import annotations

import html as htmllib
import io
import re
from typing import Any
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from bridgefund.api.docs import EXAMPLES
from bridgefund.models import AuditEvent, BridgeLoan, Claim, Document
from tests.bridge_support import World
from tests.console_support import Browser, one_time_key, signed_in, visible_text
from tests.documents_support import PDF, PDF_JS, PNG
from tests.pool_support import PoolWorld

HOSTILE = '../../x"; evil.pdf'
CHINESE = "逾期证明（盖章）.pdf"


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-12-31"
    w = PoolWorld(client, factory)
    w.pool_loan, w.claim = w.default_and_claim()
    return w


#: subject → (page path, upload path) of the record in the world
def _paths(world: PoolWorld, subject: str) -> tuple[str, str]:
    base = {"pool_loan": f"/pool-loans/{world.pool_loan['id']}", "claim": f"/claims/{world.claim['id']}",
            "enterprise": f"/enterprises/{world.enterprise.id}"}[subject]
    return base, f"{base}/documents"


SUBJECTS = ("pool_loan", "claim", "enterprise")


def _documents(db) -> int:  # noqa: ANN001
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Document)) or 0


def _audits(db) -> int:  # noqa: ANN001
    db.expire_all()
    return db.scalar(select(func.count()).select_from(AuditEvent)) or 0


def _upload(b: Browser, page_path: str, kind: str, data: bytes = PDF, filename: str = "letter.pdf",
            **more: Any) -> Any:
    """Fill the page's upload form (its one-time key) and send it."""
    html = b.text(page_path)
    form = html.split('data-testid="upload-form"')[1].split("</form>")[0]
    action = htmllib.unescape(re.search(r'action="([^"]+)"', html.split('data-testid="upload-form"')[0]
                                        .rsplit("<form", 1)[1]).group(1))
    body = {"idempotency_key": one_time_key(form), "kind": kind, "file": (io.BytesIO(data), filename), **more}
    return b.post(action, body, content_type="multipart/form-data")


def _versions(html: str) -> list[tuple[str, int, int]]:
    """(kind, version, document id) of each listed version, as listed."""
    table = html.split('data-testid="document-versions"')[1].split("</table>")[0]
    rows = re.findall(r'data-kind="([^"]+)" data-version="(\d+)">.*?href="/documents/(\d+)/content"', table, re.S)
    return [(k, int(v), int(i)) for k, v, i in rows]


def _checklist(html: str) -> dict[str, str]:
    part = html.split('data-testid="checklist"')[1].split("</ul>")[0]
    return dict(re.findall(r'data-kind="([^"]+)" data-state="([^"]+)"', part))


def _safe_disposition(header: str) -> str:
    """The header is ``attachment`` with an ASCII fallback and an RFC 8187 name that cannot break out of it; the
    name it carries."""
    m = re.fullmatch(r"attachment; filename=\"([A-Za-z0-9._-]+)\"; filename\*=UTF-8''([A-Za-z0-9%._~-]+)", header)
    assert m, header
    name = unquote(m.group(2))
    assert "/" not in name and "\\" not in name and '"' not in name and not name.startswith(".")
    return name


@pytest.mark.parametrize("subject", SUBJECTS)
def test_upload_list_versions_and_download_on_each_page(app, db, world, subject) -> None:  # noqa: ANN001
    page_path, _upload_path = _paths(world, subject)
    officer = signed_in(app, world.officer_user)
    html = officer.text(page_path)
    assert 'id="documents"' in html and "尚未上传材料" in visible_text(html)  # no documents yet
    before = _audits(db)

    r = _upload(officer, page_path, "other", PDF, HOSTILE, note="第一版")
    assert r.status_code == 303 and r.headers["Location"] == f"{page_path}#documents"
    html = officer.text(page_path)
    assert [(k, v) for k, v, _ in _versions(html)] == [("other", 1)]
    table = html.split('data-testid="document-versions"')[1].split("</table>")[0]
    shown = visible_text(table)
    doc = db.scalars(select(Document)).one()
    assert doc.subject_type == subject and "其他材料" in shown and "v1" in shown and "第一版" in shown
    assert doc.sha256[:12] in shown and world.officer_user.username in shown and str(len(PDF)) in shown
    assert "/" not in doc.filename and '"' not in doc.filename and ".." not in doc.filename  # path and quote gone
    assert htmllib.escape(doc.filename) in table
    assert _audits(db) == before + 1  # the upload's audit event

    # The same kind again: version 2, version 1 still listed and still downloadable.
    assert _upload(officer, page_path, "other", PNG, CHINESE).status_code == 303
    listed = _versions(officer.text(page_path))
    assert [(k, v) for k, v, _ in listed] == [("other", 2), ("other", 1)]
    (_, _, v2_id), (_, _, v1_id) = listed
    r = officer.get(f"/documents/{v1_id}/content")
    assert r.status_code == 200 and r.data == PDF and r.mimetype == "application/pdf"
    assert _safe_disposition(r.headers["Content-Disposition"]) == doc.filename
    r = officer.get(f"/documents/{v2_id}/content")
    assert r.status_code == 200 and r.data == PNG and r.mimetype == "image/png"
    assert _safe_disposition(r.headers["Content-Disposition"]) == "逾期证明（盖章）.png"

    # A fund manager sees the same list; an auditor sees it without the form and may not upload.
    manager = signed_in(app, world.factory.make_user("fund_manager"))
    assert [i for *_, i in _versions(manager.text(page_path))] == [v2_id, v1_id]
    auditor = signed_in(app, world.factory.make_user("auditor"))
    html = auditor.text(page_path)
    assert len(_versions(html)) == 2 and 'data-testid="upload-form"' not in html
    r = auditor.post(f"{page_path}/documents", {"idempotency_key": "console-auditor", "kind": "other",
                                                "file": (io.BytesIO(PDF), "x.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 403 and _documents(db) == 2


@pytest.mark.parametrize("subject", SUBJECTS)
def test_a_refused_upload_shows_the_error_beside_the_field_and_stores_nothing(app, db, world, subject) -> None:  # noqa: ANN001
    page_path, upload_path = _paths(world, subject)
    officer = signed_in(app, world.officer_user)
    audits = _audits(db)
    too_big = PDF + b"0" * (20 * 1024 * 1024)
    for data, name, statuses in ((b"just text, not a PDF", "letter.pdf", (415, 422)),  # the bytes decide the type
                                 (PDF_JS, "script.pdf", (422,)),  # a PDF with JavaScript
                                 (too_big, "big.pdf", (413,))):  # over 20 MiB
        r = _upload(officer, page_path, "overdue_evidence", data, name)
        html = r.get_data(as_text=True)
        assert r.status_code in statuses, (name, r.status_code)
        assert 'data-testid="upload-error"' in html and 'id="file-error"' in html, name
        form = html.split('data-testid="upload-form"')[1].split("</form>")[0]
        assert 'id="file-error"' in form and 'aria-invalid="true"' in form  # beside the file field
        if r.status_code != 413:  # (a request over the limit is refused before its form is read)
            assert '<option value="overdue_evidence" selected>' in form  # the kind chosen stays chosen
        assert _documents(db) == 0 and _audits(db) == audits, name
    # No file chosen, an unknown kind: each beside its field.
    html = officer.text(page_path)
    r = officer.post(upload_path, {"idempotency_key": one_time_key(html.split('data-testid="upload-form"')[1]),
                                   "kind": "other"}, content_type="multipart/form-data")
    assert r.status_code == 422 and 'id="file-error"' in r.get_data(as_text=True)
    r = _upload(officer, page_path, "passport")
    assert r.status_code == 422 and 'id="kind-error"' in r.get_data(as_text=True)
    # Without the CSRF token: refused before anything is read.
    r = officer.post(upload_path, {"idempotency_key": "console-no-csrf", "kind": "other",
                                   "file": (io.BytesIO(PDF), "x.pdf")}, csrf=False, content_type="multipart/form-data")
    assert r.status_code == 400 and "CSRF" in r.get_data(as_text=True)
    assert _documents(db) == 0 and _audits(db) == audits
    # The same one-time key twice (a double click): stored once, the second answer replayed.
    key = one_time_key(officer.text(page_path).split('data-testid="upload-form"')[1])
    first, second = (officer.post(upload_path, {"idempotency_key": key, "kind": "other",
                                                "file": (io.BytesIO(PDF), "x.pdf")}, content_type="multipart/form-data")
                     for _ in range(2))
    assert first.status_code == second.status_code == 303 and second.headers["Idempotent-Replayed"] == "true"
    assert _documents(db) == 1


@pytest.mark.parametrize("subject", ("pool_loan", "claim"))
def test_another_banks_officer_gets_the_404_page_for_page_upload_and_download(app, db, world, subject) -> None:  # noqa: ANN001
    page_path, upload_path = _paths(world, subject)
    officer = signed_in(app, world.officer_user)
    assert _upload(officer, page_path, "other").status_code == 303
    doc = db.scalars(select(Document)).one()
    stranger = signed_in(app, world.factory.make_user("bank_officer", world.other_bank))
    for r in (stranger.get(page_path), stranger.get(f"/documents/{doc.id}/content")):
        assert r.status_code == 404 and r.mimetype == "text/html" and PDF not in r.data
    stranger.get("/")
    for data in (PDF, PDF + b"0" * (20 * 1024 * 1024)):  # an ordinary file and one over the limit alike
        r = stranger.post(upload_path, {"idempotency_key": "console-x", "kind": "other",
                                        "file": (io.BytesIO(data), "x.pdf")}, content_type="multipart/form-data")
        assert r.status_code == 404 and r.mimetype == "text/html"
    assert _documents(db) == 1


def test_enterprise_documents_are_shared_by_every_bank_like_the_enterprise(app, db, world) -> None:  # noqa: ANN001
    page_path, _ = _paths(world, "enterprise")
    assert _upload(signed_in(app, world.officer_user), page_path, "other").status_code == 303
    doc = db.scalars(select(Document)).one()
    assert doc.bank_id is None
    other = signed_in(app, world.factory.make_user("bank_officer", world.other_bank))
    assert [i for *_, i in _versions(other.text(page_path))] == [doc.id]
    r = other.get(f"/documents/{doc.id}/content")
    assert r.status_code == 200 and r.data == PDF
    assert _upload(other, page_path, "other").status_code == 303  # the service lets any bank's officer add one
    assert [(k, v) for k, v, _ in _versions(other.text(page_path))] == [("other", 2), ("other", 1)]
    assert signed_in(app, world.officer_user).get("/enterprises/999999").status_code == 404


# --- the claim's checklist and its approval ------------------------------------------------------------------------


def _require_claim_papers(world: PoolWorld, kinds: list[str]) -> None:
    body = {**EXAMPLES["PUT /api/v1/pool/settings"], "claim_required_documents": kinds}
    r = world.client.put("/api/v1/pool/settings", json=body, headers=world.admin)
    assert r.status_code == 200, r.get_json()


def test_claim_approval_names_the_missing_papers_until_they_are_uploaded(app, db, world) -> None:  # noqa: ANN001
    _require_claim_papers(world, ["claim_application", "overdue_evidence"])
    claim_id = world.claim["id"]
    path = f"/claims/{claim_id}"
    officer = signed_in(app, world.officer_user)
    manager = signed_in(app, world.factory.make_user("fund_manager"))
    html = manager.text(path)
    assert _checklist(html) == {"claim_application": "missing", "overdue_evidence": "missing"}
    assert "代偿申请书" in visible_text(html) and "逾期证明" in visible_text(html)

    # The confirmation is refused at the approve form, naming the missing kinds in words.
    r = manager.get(f"{path}/confirm/approve", query_string={"decided_on": "2020-06-02"})
    assert r.status_code == 409
    form = r.get_data(as_text=True).split('id="action-approve"')[1].split("</form>")[0]
    missing = form.split('data-testid="missing-documents"')[1].split("</ul>")[0]
    assert re.findall(r'data-kind="([^"]+)"', missing) == ["claim_application", "overdue_evidence"]
    assert "代偿申请书" in visible_text(missing)
    # Sent anyway (a stale confirmation): the same 409 at the approve form; the claim unchanged, nothing audited.
    audits = _audits(db)
    r = manager.post(f"{path}/approve", {"decided_on": "2020-06-02", "idempotency_key": "console-stale"})
    assert r.status_code == 409
    form = r.get_data(as_text=True).split('id="action-approve"')[1].split("</form>")[0]
    assert 'data-testid="missing-documents"' in form and "逾期证明" in visible_text(form)
    db.expire_all()
    assert db.get(Claim, claim_id).status == "filed" and _audits(db) == audits

    # One paper uploaded: the other still named.
    assert _upload(officer, path, "claim_application").status_code == 303
    assert _checklist(manager.text(path)) == {"claim_application": "present", "overdue_evidence": "missing"}
    r = manager.get(f"{path}/confirm/approve", query_string={"decided_on": "2020-06-02"})
    missing = r.get_data(as_text=True).split('data-testid="missing-documents"')[1].split("</ul>")[0]
    assert r.status_code == 409 and re.findall(r'data-kind="([^"]+)"', missing) == ["overdue_evidence"]
    # Both: the approval goes through.
    assert _upload(officer, path, "overdue_evidence", PNG, "逾期证明.png").status_code == 303
    assert _checklist(manager.text(path)) == dict.fromkeys(("claim_application", "overdue_evidence"), "present")
    confirm = manager.text(f"{path}/confirm/approve", query_string={"decided_on": "2020-06-02"})
    assert 'data-testid="confirm-approve"' in confirm
    r = manager.post(f"{path}/approve", {"decided_on": "2020-06-02", "idempotency_key": one_time_key(confirm)})
    assert r.status_code == 303
    db.expire_all()
    assert db.get(Claim, claim_id).status == "approved"


def test_a_claim_page_with_no_papers_required_says_so(app, world) -> None:  # noqa: ANN001
    _require_claim_papers(world, [])
    html = signed_in(app, world.officer_user).text(f"/claims/{world.claim['id']}")
    assert _checklist(html) == {} and 'data-testid="nothing-required"' in html


# --- the admin's required documents --------------------------------------------------------------------------------


def _form_pairs(page: str, testid: str | None = None) -> dict[str, list[str]]:
    """What a browser sends from a form, every value of a repeated name kept (checked boxes only)."""
    if testid:
        body = re.search(rf'<form[^>]*data-testid="{re.escape(testid)}"[^>]*>(.*?)</form>', page, re.S).group(1)
    else:
        body = list(re.finditer(r'<form[^>]*method="post"[^>]*>(.*?)</form>', page, re.S))[-1].group(1)
    out: dict[str, list[str]] = {}
    for tag in re.findall(r"<input\b[^>]*>", body):
        name = re.search(r'\bname="([^"]*)"', tag)
        kind = (re.search(r'\btype="([^"]*)"', tag) or [None, "text"])[1]
        if not name or (kind in ("checkbox", "radio") and " checked" not in tag):
            continue
        value = re.search(r'\bvalue="([^"]*)"', tag)
        out.setdefault(name.group(1), []).append(htmllib.unescape(value.group(1)) if value else "")
    return out


def _checked(page: str, name: str) -> list[str]:
    return [k for k in _form_pairs(page, "settings-form").get(name, []) if k]


def _edit_kinds(admin: Browser, screen: str, name: str, kinds: list[str]) -> Any:
    """Tick exactly ``kinds`` on the settings screen, review the changes, confirm; the answer of the save."""
    fields = _form_pairs(admin.text(f"/admin/{screen}-settings"), "settings-form")
    fields[name] = ["", *kinds]
    confirm = admin.get(f"/admin/{screen}-settings/confirm", query_string={**fields, "op": "review"})
    page = confirm.get_data(as_text=True)
    if confirm.status_code != 200:
        return confirm
    assert 'data-testid="confirm-settings"' in page, page[:3000]
    return admin.post(f"/admin/{screen}-settings", _form_pairs(page)), page


def test_the_admin_sets_the_bridge_loans_required_documents(app, db, client, factory, settings) -> None:  # noqa: ANN001
    settings.today = "2020-03-31"
    world = World(client, factory)
    assert world.capital("50000000.00").status_code == 201
    admin = signed_in(app, factory.make_user("admin"))
    page = admin.text("/admin/fund-settings")
    assert _checked(page, "required_documents") == []  # (the tests' defaults: none)
    kinds = visible_text(page.split('data-testid="kinds-required_documents"')[1].split("</fieldset>")[0])
    assert "续贷承诺函" in kinds and "三方协议" in kinds and "代偿申请书" in kinds  # each kind in words

    audits = _audits(db)
    r, confirm = _edit_kinds(admin, "fund", "required_documents", ["application", "tripartite_agreement"])
    changes = visible_text(re.search(r'data-testid="changes">(.*?)</table>', confirm, re.S).group(1))
    assert "不要求提交材料" in changes and "转贷申请书" in changes and "三方协议" in changes  # before → after
    assert r.status_code == 303
    api = client.get("/api/v1/fund/settings", headers=world.admin).get_json()
    assert api["required_documents"] == ["application", "tripartite_agreement"]
    assert _audits(db) == audits + 1
    event = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.action == "update_settings" and event.entity_type == "fund"
    assert event.after["required_documents"] == ["application", "tripartite_agreement"]
    assert _checked(admin.text("/admin/fund-settings"), "required_documents") == ["application",
                                                                                  "tripartite_agreement"]

    # A bridge loan's approval now needs exactly that set.
    loan = world.submit()
    li = signed_in(app, world.li_user)
    r = li.get(f"/bridge-loans/{loan['id']}/confirm/approve", headers={"HX-Request": "true"})
    missing = r.get_data(as_text=True).split('data-testid="missing-documents"')[1].split("</ul>")[0]
    assert r.status_code == 409 and re.findall(r'data-kind="([^"]+)"', missing) == ["application",
                                                                                    "tripartite_agreement"]
    officer = signed_in(app, world.officer_user)
    for kind in ("application", "tripartite_agreement"):
        assert _upload(officer, f"/bridge-loans/{loan['id']}", kind).status_code == 303
    confirm = li.text(f"/bridge-loans/{loan['id']}/confirm/approve", headers={"HX-Request": "true"})
    assert 'data-testid="confirm-approve"' in confirm  # no renewal commitment letter needed any more
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', confirm))
    assert li.post(f"/bridge-loans/{loan['id']}/approve", form).status_code == 303
    db.expire_all()
    assert db.get(BridgeLoan, loan["id"]).status == "approved"

    # None ticked: an empty set — "no documents required" — distinct from the defaults, and saved as such.
    r, confirm = _edit_kinds(admin, "fund", "required_documents", [])
    assert r.status_code == 303 and "不要求提交材料" in visible_text(confirm)
    assert client.get("/api/v1/fund/settings", headers=world.admin).get_json()["required_documents"] == []
    # An unknown kind is refused (the API's schema and service judge the kinds), shown at the set, nothing saved.
    audits = _audits(db)
    r = _edit_kinds(admin, "fund", "required_documents", ["application", "passport"])
    assert r.status_code == 422 and 'id="required_documents-error"' in r.get_data(as_text=True)
    fields = {**_form_pairs(admin.text("/admin/fund-settings"), "settings-form"), "required_documents": ["", "other"]}
    key_page = admin.text("/admin/fund-settings/confirm", query_string={**fields, "op": "review"})
    assert 'data-testid="confirm-button"' in key_page  # a confirmation with its form, sent with a kind changed
    r = admin.post("/admin/fund-settings", {**_form_pairs(key_page),
                                            "required_documents": ["", "application", "passport"]})
    assert r.status_code == 422 and 'id="required_documents-error"' in r.get_data(as_text=True)
    assert client.get("/api/v1/fund/settings", headers=world.admin).get_json()["required_documents"] == []
    assert _audits(db) == audits


def test_the_admin_sets_the_claims_required_documents(app, db, world) -> None:  # noqa: ANN001
    admin = signed_in(app, world.factory.make_user("admin"))
    audits = _audits(db)
    r, _confirm = _edit_kinds(admin, "pool", "claim_required_documents", ["overdue_evidence"])
    assert r.status_code == 303
    api = world.client.get("/api/v1/pool/settings", headers=world.admin).get_json()
    assert api["claim_required_documents"] == ["overdue_evidence"]
    assert _audits(db) == audits + 1
    assert _checked(admin.text("/admin/pool-settings"), "claim_required_documents") == ["overdue_evidence"]
    # The claim's page follows the setting.
    html = signed_in(app, world.officer_user).text(f"/claims/{world.claim['id']}")
    assert _checklist(html) == {"overdue_evidence": "missing"}
    # A form without the field at all (an older page) leaves the setting as it is.
    fields = _form_pairs(admin.text("/admin/pool-settings"), "settings-form")
    fields.pop("claim_required_documents")
    fields["claim_after_days_overdue"] = ["80"]
    confirm = admin.text("/admin/pool-settings/confirm", query_string=fields)
    assert admin.post("/admin/pool-settings", _form_pairs(confirm)).status_code == 303
    api = world.client.get("/api/v1/pool/settings", headers=world.admin).get_json()
    assert api["claim_after_days_overdue"] == 80 and api["claim_required_documents"] == ["overdue_evidence"]
