# ruff: noqa: E501 - Chinese lines are wide
"""The Chinese words of the console's reports, period close, jobs and notifications pages (merged into
:data:`zh_terms.ZH`)."""

ZH_REPORTS = {
    "%(n)d notifications marked read.": "已将 %(n)d 条通知标为已读。",
    "Your notification settings were saved.": "通知设置已保存。",
    "Choose a bank.": "请选择银行。",
    "%(period)s is closed: nothing dated in it or before can be booked any more.":
        "%(period)s 已月结：该月及以前日期的业务不能再登记。",
    "Job %(id)d": "后台任务 %(id)d", "Background job": "后台任务", "Back to the reports": "返回报表",
    "Notification settings": "通知设置", "Channels": "通知渠道", "In the console (always on)": "系统内通知（始终开启）",
    "The bell always shows your notifications.": "铃铛始终显示您的通知。", "E-mail": "电子邮件",
    "WeCom group robot": "企业微信群机器人", "E-mail address": "电子邮箱地址", "WeCom robot webhook": "企业微信机器人 Webhook",
    "A webhook is stored (its key is never shown); leave blank to keep it.":
        "已保存 Webhook（密钥不显示）；留空则保持不变。",
    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
    "Language of the messages": "通知语言", "Save": "保存", "Notifications": "通知", "All": "全部", "Unread": "未读",
    "Read": "已读", "Mark all read": "全部标为已读", "Date": "日期", "Notification": "通知", "State": "状态",
    "Mark read": "标为已读", "No notifications.": "暂无通知。", "Periods": "月结", "Periods: month close": "会计期间：月结",
    "Please confirm: close %(period)s": "请确认：月结 %(period)s",
    "Closing cannot be undone. From then on, nothing dated on or before %(day)s can be booked: no capital movement, "
    "disbursement, repayment, pool loan, installment payment, claim or recovery.":
        "月结不可撤销。此后，%(day)s 及以前日期的任何业务都不能再登记：注资/撤资、放款、回款、风险池贷款、分期还款、代偿及追偿。",
    "What becomes immutable": "以下内容将被锁定，不可再更改", "The months closed:": "月结的月份：",
    "The fund's position as of %(day)s:": "转贷资金截至 %(day)s 的状况：",
    "The risk-compensation pool as of %(day)s:": "风险补偿资金池截至 %(day)s 的状况：",
    "The statements of %(period)s of %(n)d partner banks:": "%(n)d 家合作银行 %(period)s 的对账单：",
    "The monthly report of %(period)s: reports generated from now on are final, no longer drafts (%(n)d archived so "
    "far).": "%(period)s 月度报告：此后生成的报告为定稿，不再是草稿（已归档 %(n)d 份）。",
    "Confirm: close %(period)s": "确认：月结 %(period)s", "Close a month": "月结", "Month (YYYY-MM)": "月份（YYYY-MM）",
    "Close…": "月结…", "Closed months": "已月结的月份", "Month": "月份", "Last day": "最后一天", "Closed at": "月结时间",
    "No month is closed yet.": "尚无已月结的月份。", "Reports": "报表", "Archive": "归档", "Language": "语言",
    "Archived reports": "已归档报表", "Report": "报表", "Version": "版本", "Generated": "生成时间", "PDF": "PDF",
    "Monthly report": "月度报告", "Bank statement": "银行对账单", "bank": "银行", "Draft": "草稿", "Final": "定稿",
    "Download": "下载", "No reports archived yet.": "尚无归档报表。", "Bank statements": "银行对账单",
    "Unread:": "未读：", "All notifications": "全部通知", "Generate the monthly report": "生成月度报告",
    "Generate": "生成", "Monthly report %(period)s (%(lang)s)": "月度报告 %(period)s（%(lang)s）",
    "Waiting in the queue…": "排队等待中…", "Generating…": "正在生成…", "Done.": "已完成。", "Failed.": "失败。",
    "Download the PDF (version %(v)s)": "下载 PDF（第 %(v)s 版）", "The job failed.": "任务失败。", "Refresh": "刷新",
    "Statements": "对账单", "Download the statement": "下载对账单",
    # The month close through the queue (issue 16).
    "Closing %(period)s": "月结 %(period)s", "Writing the month snapshots…": "正在写入月末快照…",
    "See the closed months": "查看已月结的月份", "Back to the periods": "返回月结",
}
