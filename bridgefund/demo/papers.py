"""The demo's papers: a small PDF for each required document, attached before each approval as an officer would."""

from __future__ import annotations

import io

from sqlalchemy.orm import Session

from bridgefund.services import documents
from bridgefund.services.actor import Actor

#: What each kind is called on the paper (the file name the officer uploads).
TITLES = {"renewal_commitment": "续贷承诺函", "application": "转贷申请书", "tripartite_agreement": "三方协议",
          "claim_application": "代偿申请书", "overdue_evidence": "逾期证明", "other": "其他材料"}


def paper(reference: str, kind: str) -> bytes:
    """A one-page PDF standing for the scanned paper (its title in ASCII: the demo needs no font)."""
    text = f"{kind} {reference}".encode("ascii", "replace")
    content = b"BT /F1 12 Tf 20 100 Td (" + text + b") Tj ET"
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
               b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 200]/Contents 4 0 R"
               b"/Resources<</Font<</F1 5 0 R>>>>>>",
               b"<</Length " + str(len(content)).encode() + b">>stream\n" + content + b"\nendstream",
               b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj".encode() + body + b"endobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    out.write(b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets))
    out.write(f"trailer<</Size {len(objects) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def attach_required(session: Session, officer: Actor, subject_type: str, subject_id: int, reference: str,
                    kinds: list[str]) -> None:
    """Upload one paper of each kind in ``kinds`` to the record, as its bank's officer."""
    for kind in kinds:
        documents.upload(session, officer, subject_type, subject_id, kind=kind,
                         file=io.BytesIO(paper(reference, kind)), filename=f"{TITLES[kind]}-{reference}.pdf")
