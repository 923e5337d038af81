"""The console's pool import: upload → a preview job with every row's errors in place and nothing stored →
confirm once → the import job; scoped, escaped and CSRF-protected like the rest of the console."""

from __future__ import annotations

import io
import re

import pytest

from bridgefund.models import Job, PoolLoan
from tests.console_support import one_time_key, signed_in
from tests.pool_support import PoolWorld

HEADER = "enterprise_uscc,contract_no,principal,annual_rate,start_date,term_months,repayment_method\n"


@pytest.fixture
def world(client, factory, settings):  # noqa: ANN001, ANN201
    settings.today = "2020-12-31"
    return PoolWorld(client, factory)


def _csv(world: PoolWorld, *rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


def _good(world: PoolWorld, n: int) -> str:
    return f"{world.enterprise.uscc},IMP-{n},1000000.00,0.0435,2020-06-01,12,equal_principal"


def _upload(b, data: bytes, name: str = "loans.csv", **form: str):  # noqa: ANN001, ANN202
    key = one_time_key(b.text("/pool-loans/import"))
    return b.post("/pool-loans/import", {"file": (io.BytesIO(data), name), "idempotency_key": key, **form},
                  content_type="multipart/form-data")


def test_a_bad_row_is_shown_in_place_and_nothing_is_stored_then_a_good_file_imports_once(app, db, world) -> None:  # noqa: ANN001, E501
    officer = signed_in(app, world.officer_user)
    bad = _csv(world, _good(world, 1), f"{world.enterprise.uscc},IMP-<b>2</b>,abc,0.0435,2020-06-01,12,bullet")
    r = _upload(officer, bad)
    assert r.status_code == 303
    page = officer.text(r.headers["Location"])
    assert 'data-testid="preview-invalid"' in page and 'data-testid="confirm-import"' not in page
    bad_rows = re.findall(r'data-testid="bad-row">(.*?)</tr>', page, re.S)
    assert len(bad_rows) == 1 and ">3</th>" in bad_rows[0] and "principal" in bad_rows[0]
    assert "<b>2</b>" not in page and "IMP-&lt;b&gt;2&lt;/b&gt;" in page
    assert db.query(PoolLoan).count() == 0

    r = _upload(officer, _csv(world, _good(world, 1), _good(world, 2)))
    preview_url = r.headers["Location"]
    page = officer.text(preview_url)
    assert 'data-testid="bad-row"' not in page and 'data-testid="confirm-import"' in page
    assert db.query(PoolLoan).count() == 0  # the preview stores nothing
    preview_id = int(preview_url.rsplit("/", 1)[1])
    assert db.get(Job, preview_id).payload  # the file waits server-side, in the job's row
    data = {"idempotency_key": one_time_key(page)}
    done = officer.post(f"/pool-loans/import/{preview_id}/confirm", data)
    assert done.status_code == 303
    again = officer.post(f"/pool-loans/import/{preview_id}/confirm", data)  # a double click: replayed
    assert again.status_code == 303 and again.headers["Location"] == done.headers["Location"]
    result = officer.text(done.headers["Location"])
    assert 'data-testid="import-done"' in result
    assert db.query(PoolLoan).count() == 2
    # Another confirmation with a fresh key (a second tab) is refused: the preview was imported.
    key2 = one_time_key(officer.text("/pool-loans/import"))
    r = officer.post(f"/pool-loans/import/{preview_id}/confirm", {"idempotency_key": key2})
    assert r.status_code == 409 and db.query(PoolLoan).count() == 2
    db.expire_all()
    assert db.get(Job, preview_id).payload is None


def test_progress_fragment_and_failures(app, db, world) -> None:  # noqa: ANN001
    officer = signed_in(app, world.officer_user)
    r = _upload(officer, b"nonsense,columns\n1,2\n")  # not the template: the preview job fails, naming the file
    page = officer.text(r.headers["Location"])
    assert 'data-testid="import-failed"' in page
    frag = officer.get(r.headers["Location"], headers={"HX-Request": "true"}).get_data(as_text=True)
    assert frag.lstrip().startswith("{#") is False and 'id="import-status"' in frag and "<html" not in frag
    r = _upload(officer, b"")
    assert r.status_code in (400, 422) or 'file' in r.get_data(as_text=True)
    key = one_time_key(officer.text("/pool-loans/import"))
    r = officer.post("/pool-loans/import", {"idempotency_key": key}, content_type="multipart/form-data")
    assert r.status_code == 422 and 'id="file-error"' in r.get_data(as_text=True)
    assert db.query(PoolLoan).count() == 0


def test_access_per_role_and_bank(app, db, world, factory) -> None:  # noqa: ANN001
    officer = signed_in(app, world.officer_user)
    r = _upload(officer, _csv(world, _good(world, 1)))
    url = r.headers["Location"]
    preview_id = int(url.rsplit("/", 1)[1])
    for role in ("admin", "auditor"):
        b = signed_in(app, factory.make_user(role))
        assert b.get("/pool-loans/import").status_code == 403
        assert b.get(url).status_code == 200  # staff see every job
    other = signed_in(app, factory.make_user("bank_officer", world.other_bank))
    assert other.get(url).status_code == 404
    key = one_time_key(other.text("/pool-loans/import"))
    assert other.post(f"/pool-loans/import/{preview_id}/confirm", {"idempotency_key": key}).status_code == 404
    manager = signed_in(app, factory.make_user("fund_manager"))
    page = manager.text(url)
    assert 'data-testid="confirm-import"' not in page  # only the uploader confirms
    key = one_time_key(manager.text("/pool-loans/import"))
    assert manager.post(f"/pool-loans/import/{preview_id}/confirm", {"idempotency_key": key}).status_code == 409
    # CSRF: refused without the token
    assert officer.post(f"/pool-loans/import/{preview_id}/confirm", {"idempotency_key": "x"},
                        csrf=False).status_code == 400
    assert db.query(PoolLoan).count() == 0


def test_a_manager_names_the_bank(app, db, world, factory) -> None:  # noqa: ANN001
    manager = signed_in(app, factory.make_user("fund_manager"))
    r = _upload(manager, _csv(world, _good(world, 1)))
    assert r.status_code == 422 and 'id="bank_id-error"' in r.get_data(as_text=True)
    r = _upload(manager, _csv(world, _good(world, 1)), bank_id=str(world.bank.id))
    page = manager.text(r.headers["Location"])
    assert 'data-testid="confirm-import"' in page
    assert manager.client.get("/pool-loans/import/template.xlsx").status_code == 200
