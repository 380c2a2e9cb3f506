"""Chinese first, English by a switch: a reviewed JSON catalogue per language.

Message ids are the Chinese source text (what a zh-CN reader sees), so a missing English entry
falls back to Chinese rather than to a code. ``translations/en.json`` maps id → English; a
functional test checks that every id used in the templates and views has an entry.
Domain errors carry English messages; ``error_words`` turns their ``rule``/``field`` into plain
Chinese where we have words for them, and otherwise shows the English message marked ``lang=en``.
A few domain messages are Chinese already (resident IDs, spreadsheet imports): their
``details["message_id"]`` is the catalogue id and the other details fill its placeholders.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from timebank.errors import TimebankError

LANGS = ("zh-CN", "en")
DEFAULT_LANG = "zh-CN"
CATALOGUES = Path(__file__).parent / "translations"

Translate = Callable[..., str]


@lru_cache(maxsize=4)
def catalogue(lang: str) -> dict[str, str]:
    if lang == DEFAULT_LANG:
        return {}
    path = CATALOGUES / f"{lang}.json"
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return data


def pick_lang(raw: str | None) -> str:
    return raw if raw in LANGS else DEFAULT_LANG


def translator(lang: str) -> Translate:
    table = catalogue(lang)

    def _(message: str, **values: Any) -> str:
        text = table.get(message, message)
        return text.format(**values) if values else text

    return _


# Plain words for the domain's rules and fields (message ids; English lives in en.json).
RULE_WORDS = {
    "login": "手机号或密码不对",
    "login_lockout": "错误次数太多，账户暂时锁定，请 15 分钟后再试",
    "account_inactive": "这个账户还不能使用",
    "otp": "验证码不对或已过期",
    "elder_code": "老人的签到码不对或已过期，请看老人手机上最新的数字",
    "check_in_window": "还没到签到时间：服务开始前 30 分钟才能签到",
    "need_balance": "时间币余额不够支付这次服务",
    "insufficient_balance": "余额不够",
    "pool_balance": "公益池余额不够",
    "gift_relation": "只能赠予已核实的直系亲属",
    "visit_state": "这次服务现在不能做这一步",
    "need_state": "这条需求现在不能做这一步",
    "self_service": "不能为自己服务",
    "second_approval": "纸质记录需要另一位工作人员审批",
    "training": "还没有完成培训",
    "volunteer_active": "还不是正式志愿者",
    "untrustworthy": "本机构在失信名单上，不能办理",
    "station_unconfirmed": "本服务站还没有得到街道确认",
    "csrf": "页面已过期，请返回刷新后再提交",
    "api_role": "您的身份不能做这件事",
    "proxy_grant": "您还没有得到代办授权",
    "phone": "这个手机号已经注册过",
    "unique_id_number": "这个身份证号已经登记过",
    "password": "密码要 8 位以上，字母和数字混合",
    "kinship_pending": "这条亲属关系已经处理过了",
    "grant_exists": "已经是代办人了",
    "alert_open": "这条预警已经处理过了",
    "case_transition": "案件现在不能做这一步",
    "case_decided": "这个案件已经有了决定",
    "assignee_district": "只能分配给本区的区级管理员或市级管理员",
    "appeal_state": "只有警告或认定作弊的决定才能申诉",
    "appeal_pending": "已经有一份申诉在等市里决定",
    "appeal_decided": "这份申诉已经决定过了",
    "appeal_party": "只有被处理的人或其代办人才能申诉",
    "unique_qualification": "这个证书已经登记过了",
    "qualification_pending": "这个证书已经处理过了",
    "qualification_expired": "证书已过期，不能核实",
    "admission_10000": "还没有达到一万小时的条件",
    "one_open": "已经有一份申请正在办理",
    "admission_state": "这份申请现在不能做这一步",
    "home_district": "养老机构要在本区",
    "listing_by_case": "这个机构是由案件列入的，只有申诉成功才能移出",
}
FIELD_WORDS = {
    "phone": "手机号填得不对",
    "password": "密码要 8 位以上，字母和数字混合",
    "id_number": "身份证号填得不对",
    "full_name": "请填写姓名",
    "code": "验证码不对",
    "amount": "数量填得不对",
    "reason": "请写明原因",
    "description": "请简单说说需要什么帮助（500 字以内）",
    "window_start": "时间已经过去了，请选以后的时间",
    "window_end": "结束时间要晚于开始时间",
    "expected_minutes": "服务时长不合适",
    "rating": "请选 1 到 5 颗星",
    "recipient_id": "请选一位亲属",
    "course": "请填写课程名称",
    "completed_on": "完成日期不对",
    "address": "缺少地址",
    "district_code": "请选择所在的区",
    "alert_ids": "请至少选一条未处理的预警",
    "assignee_user_id": "请选审查人",
    "outcome": "请选一个决定",
    "decision": "请选一个决定",
    "organisation_ids": "请从列表里选机构",
    "qualification_type": "请选证书类别",
    "number": "请填写证书编号",
    "issuer": "请填写发证机关",
    "valid_from": "发证日期不对：要像 2024-05-01，而且不能晚于今天",
    "valid_until": "有效期不对：要晚于发证日期",
    "minutes": "分钟数不对：不能超过记录的服务时长",
    "resolution": "请写明处理经过",
    "care_home_id": "请从列表里选养老机构",
    "lat": "手机发来的位置不对，请刷新页面再试",
    "org_id": "请从列表里选一个机构",
}


def error_words(exc: TimebankError, _: Translate) -> tuple[str, bool]:
    """(message, is_english_fallback) for showing a domain error to a person."""
    # A domain message written in Chinese names its id and values in ``details``.
    message_id = exc.details.get("message_id")
    if isinstance(message_id, str):
        return _(message_id, **exc.details), False
    words = RULE_WORDS.get(exc.rule or "") or RULE_WORDS.get(exc.code)
    if words is None and exc.field:
        words = FIELD_WORDS.get(exc.field)
    if words is not None:
        return _(words), False
    return exc.message, True
