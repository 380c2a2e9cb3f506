"""The eight city categories named in the Beijing plan, and the city-wide default items."""

from __future__ import annotations

CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("emotional_comfort", "情感慰藉", "Emotional comfort"),
    ("assistance", "协助服务", "Assistance"),
    ("travel_companion", "出行陪伴", "Travel companion"),
    ("culture_sports", "文体活动", "Culture and sports"),
    ("health_science", "健康科普", "Health science"),
    ("legal_aid", "法律援助", "Legal aid"),
    ("training_seminar", "培训讲座", "Training seminars"),
    ("risk_guidance", "指导防范金融和网络风险", "Guidance against financial and online risks"),
)

# (category, code, zh, en, professional, required qualification, risk)
CITY_ITEMS: tuple[tuple[str, str, str, str, bool, str | None, str], ...] = (
    ("emotional_comfort", "chat_visit", "聊天陪伴", "Chat and company", False, None, "low"),
    ("emotional_comfort", "phone_call", "电话问候", "Phone greeting", False, None, "low"),
    ("assistance", "shopping", "代购代办", "Shopping and errands", False, None, "low"),
    ("assistance", "tech_help", "智能手机帮学", "Smartphone help", False, None, "low"),
    (
        "travel_companion",
        "clinic_escort",
        "陪同就医",
        "Escort to the clinic",
        False,
        None,
        "medium",
    ),
    ("travel_companion", "walk", "陪同散步", "Walk together", False, None, "low"),
    ("culture_sports", "reading", "读书读报", "Reading aloud", False, None, "low"),
    ("culture_sports", "exercise", "健身活动", "Exercise together", False, None, "medium"),
    ("health_science", "health_talk", "健康知识讲解", "Health talk", False, None, "low"),
    ("legal_aid", "legal_consult", "法律咨询", "Legal consultation", True, "lawyer", "medium"),
    ("training_seminar", "seminar", "老年课堂", "Seminar for elders", False, None, "low"),
    (
        "risk_guidance",
        "anti_fraud",
        "防诈骗指导",
        "Anti-fraud guidance",
        True,
        "financial",
        "medium",
    ),
)
