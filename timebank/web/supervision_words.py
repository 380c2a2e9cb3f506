"""Plain Chinese words (message ids; English in en.json) for supervision's codes: the rules an
alert names, and the states of alerts, cases, sanctions and appeals."""

from __future__ import annotations

RULE_NAMES = {
    "overlap": "同一时间在多处服务",
    "late_night": "深夜服务",
    "daily_cap": "超过每天的时长上限",
    "far_checkin": "签到地点离老人家太远",
    "impossible_travel": "两次服务之间来不及赶到",
    "duration_outlier": "服务时长异常",
    "same_device": "同一台手机签到又确认",
    "new_account_fast": "新账户挣得太快",
    "two_way_pair": "两人频繁互相服务",
    "ring": "几个人轮流互相服务",
    "gift_count": "赠予次数太多",
    "gift_velocity": "短时间内赠予太多",
    "gift_fan_in": "很多人赠予同一人",
    "gift_then_redeem": "受赠后很快兑换",
    "donation_count": "捐赠次数太多",
    "donation_velocity": "短时间内捐赠太多",
    "offline_share": "纸质记录比例太高",
    "station_volume": "服务站业务量异常",
}
ALERT_STATUS_WORDS = {"open": "未处理", "in_case": "已立案", "closed": "已结束"}
CASE_STATUS_WORDS = {
    "open": "待分配",
    "assigned": "审查中",
    "dismissed": "已排除",
    "warned": "已警告",
    "confirmed": "已认定作弊",
    "overturned": "申诉后已撤销",
}
OUTCOME_WORDS = {"dismiss": "排除：没有问题", "warn": "警告", "confirm_fraud": "认定作弊"}
SANCTION_WORDS = {
    "warning": "警告",
    "disqualification": "取消志愿者资格",
    "reversal": "冲正时间币",
}
APPEAL_STATUS_WORDS = {
    "pending": "等市里决定",
    "rejected": "已驳回",
    "upheld": "已支持，处理已撤销",
}
APPEAL_DECISION_WORDS = {"reject": "驳回申诉", "reinstate": "支持申诉，撤销处理"}


class Words:
    """The tables above as one template global, ``sv``: ``sv.rules``, ``sv.case`` …"""

    rules = RULE_NAMES
    alert = ALERT_STATUS_WORDS
    case = CASE_STATUS_WORDS
    outcome = OUTCOME_WORDS
    sanction = SANCTION_WORDS
    appeal = APPEAL_STATUS_WORDS
    appeal_decision = APPEAL_DECISION_WORDS
