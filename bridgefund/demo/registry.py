"""Demo chapter 1: the zone's 12 partner banks, guarantee institutions, users and enterprises.

Enterprise names are fictional (never the real firms of the 2020 article); their credit codes are valid.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from bridgefund.finance.uscc import demo_uscc
from bridgefund.services import registry
from bridgefund.services.actor import SYSTEM

#: (code, name, pool quota in yuan) — quotas sum to 1,000,000,000 = 10 × the 2019 pool of 100 million.
BANKS: list[tuple[str, str, str]] = [
    ("BOC-HN", "中国银行河南省分行", "150000000.00"),
    ("ICBC-ZZGX", "中国工商银行郑州高新技术开发区支行", "120000000.00"),
    ("CCB-ZZGX", "中国建设银行郑州高新技术开发区支行", "110000000.00"),
    ("ABC-ZZGX", "中国农业银行郑州高新区支行", "100000000.00"),
    ("BOCOM-HN", "交通银行河南省分行", "80000000.00"),
    ("CMB-ZZ", "招商银行郑州分行", "80000000.00"),
    ("CITIC-ZZ", "中信银行郑州分行", "70000000.00"),
    ("SPDB-ZZ", "上海浦东发展银行郑州分行", "60000000.00"),
    ("CIB-ZZ", "兴业银行郑州分行", "60000000.00"),
    ("ZZB-GX", "郑州银行高新技术开发区支行", "70000000.00"),
    ("ZYB-GX", "中原银行郑州高新区支行", "60000000.00"),
    ("PSBC-ZZ", "中国邮政储蓄银行郑州市分行", "40000000.00"),
]

#: The day each bank became a partner (its first dated terms, DOMAIN.md "Dated terms"): the eight banks that signed
#: the pool's cooperation agreement on 20 June 2019, before the pool opened, then four more in the autumn — each
#: before its first loan (the 2019 loans are at BOC, ICBC and CCB; the others' first loans are in February 2020).
PARTNER_SINCE: dict[str, dt.date] = {
    **{code: dt.date(2019, 6, 20) for code in ("BOC-HN", "ICBC-ZZGX", "CCB-ZZGX", "ABC-ZZGX", "BOCOM-HN", "CMB-ZZ",
                                               "CITIC-ZZ", "ZZB-GX")},
    "SPDB-ZZ": dt.date(2019, 9, 2), "CIB-ZZ": dt.date(2019, 9, 2), "ZYB-GX": dt.date(2019, 11, 15),
    "PSBC-ZZ": dt.date(2019, 12, 16),
}

GUARANTORS: list[tuple[str, str]] = [
    ("郑州高新科创融资担保有限公司", "0.20"),
    ("嵩岳中小企业融资担保有限公司", "0.20"),
    ("豫信科技融资担保有限公司", "0.30"),
]

_PREFIX = ["中科", "华创", "金水", "天宇", "博睿", "启航", "瑞丰", "恒信", "嵩山", "黄河", "绿源", "智远",
           "正弘", "清越", "鼎诚", "汇达", "宏图", "新原", "云帆", "星辰", "凯瑞", "安泰", "德润", "盛景"]
_TRADE = [("智能装备", "制造业"), ("信息技术", "软件和信息技术服务业"), ("生物医药", "医药制造业"),
          ("新材料", "制造业"), ("电子科技", "计算机、通信和其他电子设备制造业"), ("环保科技", "生态保护和环境治理业"),
          ("检测技术", "专业技术服务业"), ("网络科技", "互联网和相关服务"), ("精密机械", "通用设备制造业"),
          ("食品科技", "食品制造业"), ("光电科技", "电气机械和器材制造业"), ("数据服务", "软件和信息技术服务业")]
#: How many demo enterprises: enough for 74 bridge-loan firms and 147 pool-loan firms, with overlap.
ENTERPRISE_COUNT = 180


def demo_enterprises(count: int = ENTERPRISE_COUNT) -> list[dict[str, Any]]:
    """Deterministic fictional enterprises: names, valid credit codes, sizes (a few large, a few out of zone)."""
    out = []
    for i in range(count):
        prefix = _PREFIX[i % len(_PREFIX)]
        trade, industry = _TRADE[(i // len(_PREFIX) + i) % len(_TRADE)]
        suffix = "" if i < len(_PREFIX) * len(_TRADE) else str(i)
        size = "large" if i % 37 == 36 else ("medium" if i % 5 == 0 else ("small" if i % 3 else "micro"))
        out.append({
            "uscc": demo_uscc(59_000_000 + i * 7919, "410100"),
            "name": f"郑州{prefix}{trade}{suffix}有限公司",
            "size": size,
            "industry": industry,
            "in_zone": i % 29 != 28,
        })
    return out


USERS: list[tuple[str, str, str | None, str]] = [
    ("admin", "admin", None, "Spring-2020-Zone"),
    ("manager-li", "fund_manager", None, "Approve-2020-Fund"),
    ("manager-wang", "fund_manager", None, "Approve-2020-Fund"),
    ("auditor", "auditor", None, "Ledger-2020-Check"),
]


def load(session: Session, story: dict[str, Any]) -> None:
    cfg = story["app"].extensions["bridgefund.auth"]
    banks = {}
    for code, name, quota in BANKS:
        banks[code] = registry.create_bank(session, SYSTEM, code=code, name=name, pool_quota=Decimal(quota),
                                           pool_share=Decimal("0.50"), effective_from=PARTNER_SINCE[code])
    story["banks"] = banks
    story["guarantors"] = [
        registry.create_guarantor(session, SYSTEM, name=name, guarantee_share=Decimal(share))
        for name, share in GUARANTORS
    ]
    users = {}
    for username, role, _bank, password in USERS:
        users[username] = registry.create_user(session, SYSTEM, cfg, username=username, password=password, role=role)
        story["logins"].append((role, username, password))
    for code, bank in banks.items():
        username = "officer-" + code.lower()
        password = "Bank-2020-Renew"  # noqa: S105 - a printed demo login
        users[username] = registry.create_user(session, SYSTEM, cfg, username=username, password=password,
                                               role="bank_officer", bank_id=bank.id)
        story["logins"].append(("bank_officer", username, password))
    story["users"] = users
    story["enterprises"] = [registry.create_enterprise(session, SYSTEM, **e) for e in demo_enterprises()]
