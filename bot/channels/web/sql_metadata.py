"""What /staff/sql says about the enquiry log, in Chinese: each table and column described, and
canned queries for the questions staff ask most (Datasette metadata; issue 16)."""

from __future__ import annotations

TABLES = {
    "enquiries": {
        "description": "每一条咨询：时间、渠道、地区、去除个人信息后的问题、回复类型、匹配到的问答及置信度、依据条款、耗时。",
        "columns": {
            "id": "咨询编号",
            "time": "时间（UTC）",
            "channel": "渠道：web 网页、telegram、cli 终端、ask 命令行",
            "user_key": "用户的化名（不可还原的哈希）",
            "region": "用户选择的地区",
            "text": "问题原文（已去除手机号、证件号等）",
            "kind": "回复类型：answer 直接回答、clarify 追问、calculation 测算、checklist 清单、excerpt 条款摘录、fallback 未能回答、smalltalk 寒暄、handoff 转人工",
            "intent": "匹配到的问答编号",
            "confidence": "置信度（0—1）",
            "top3": "排名前三的问答及置信度",
            "sources": "回答依据的条款编号",
            "latency_ms": "回复耗时（毫秒）",
            "faq_version": "回答时问答库的版本",
        },
    },
    "feedback": {
        "description": "用户对回答的评价：1 为👍，-1 为👎。",
        "columns": {"enquiry_id": "被评价的咨询编号", "value": "评价：1 有帮助，-1 没帮助"},
    },
    "calculations": {
        "description": "补贴和税额测算：输入、结果与合计金额（元）。",
        "columns": {
            "kind": "测算种类：subsidy 补贴、first-order 首单补偿、eit 所得税",
            "inputs": "输入",
            "result": "结果",
            "total": "合计（元）",
        },
    },
    "calculation_items": {
        "description": "测算中每个支持项目的申报额与估算额（元）。",
        "columns": {"item": "支持项目编号", "claimed": "申报的费用（元）", "estimate": "估算的补贴（元）"},
    },
    "handoffs": {
        "description": "转人工记录：何时提出、渠道、地区、摘要，以及何时由谁回复。",
        "columns": {
            "opened_at": "提出时间",
            "summary": "对话摘要（已去除个人信息）",
            "answered_at": "回复时间",
            "answered_by": "回复人",
        },
    },
    "_migrations": {"description": "数据库结构的升级记录。"},
}

QUERIES = {
    "unanswered-this-week": {
        "title": "本周未能回答的咨询",
        "description": "最近7天里回复为「未能回答」或「条款摘录」的咨询，最新的在前。",
        "sql": "SELECT time, channel, region, text, kind FROM enquiries "
        "WHERE kind IN ('fallback', 'excerpt') AND time >= strftime('%Y-%m-%dT%H:%M:%S', 'now', '-7 days') "
        "ORDER BY time DESC LIMIT 200",
    },
    "asked-back-this-week": {
        "title": "本周追问的咨询",
        "description": "最近7天里助手反问用户的咨询，可看出哪些说法容易混淆。",
        "sql": "SELECT time, region, text, top3 FROM enquiries "
        "WHERE kind = 'clarify' AND time >= strftime('%Y-%m-%dT%H:%M:%S', 'now', '-7 days') ORDER BY time DESC LIMIT 200",
    },
    "top-intents-by-region": {
        "title": "各地区问得最多的问答",
        "description": "按地区统计被直接回答最多的问答（未选地区记为「未选」）。",
        "sql": "SELECT coalesce(region, '未选') AS 地区, intent AS 问答, count(*) AS 次数 FROM enquiries "
        "WHERE kind IN ('answer', 'calculation', 'checklist') GROUP BY 地区, intent ORDER BY 地区, 次数 DESC",
    },
    "disliked-answers": {
        "title": "被点👎的回答",
        "description": "用户点了「没帮助」的咨询及其回答的问答。",
        "sql": "SELECT e.time, e.text, e.intent, e.kind FROM feedback f JOIN enquiries e ON e.id = f.enquiry_id "
        "WHERE f.value = -1 ORDER BY e.time DESC LIMIT 200",
    },
}


def metadata(database: str, hidden: dict) -> dict:
    """The Datasette metadata of /staff/sql for the log database ``database``."""
    return {
        "title": "cbec-bot 咨询日志（只读）",
        "description": "咨询日志的只读查询：问题已去除个人信息，用户以化名记录。可直接写SQL，或点下面的常用查询。",
        "databases": {database: {"tables": {**TABLES, **hidden}, "queries": QUERIES}},
    }
