"""The Chinese words of the staff console, kept as data so that ``make translations`` can regenerate
``zh/LC_MESSAGES/messages.po`` after ``pybabel extract`` (the .po and the compiled .mo are committed)."""

ZH = {
    "Approve": "审批通过", "Reject": "驳回", "Disburse": "放款", "Record repayment": "登记回款", "Withdraw": "撤回",
    "Cancel": "取消", "Application %(reference)s submitted.": "申请 %(reference)s 已提交。",
    "%(action)s: %(reference)s is now %(status)s.": "%(action)s：%(reference)s 当前状态为%(status)s。",
    "Administrator": "系统管理员", "Fund manager": "基金管理人", "Bank officer": "合作银行客户经理", "Auditor": "审计",
    "System": "系统", "Anonymous": "匿名", "Submitted": "已提交", "Approved": "已审批", "Rejected": "已驳回",
    "Withdrawn": "已撤回", "Cancelled": "已取消", "Disbursed": "已放款", "Repaid": "已回款", "Defaulted": "已违约",
    "Written off": "已核销", "Repayment recorded": "登记回款", "Declared in default": "认定违约",
    "Recovery recorded": "登记追偿",
    "You were signed out after %(minutes)d minutes without activity, or your session ended.":
        "您已 %(minutes)d 分钟无操作被自动登出，或会话已结束。",
    "Too many failed sign-ins for this user. Try again in %(seconds)d seconds.":
        "该用户登录失败次数过多，请 %(seconds)d 秒后再试。",
    "Wrong username or password.": "用户名或密码错误。", "You are signed out.": "您已退出登录。",
    "The two new passwords differ.": "两次输入的新密码不一致。",
    "Your password was changed; your other sessions were signed out.": "密码已修改；您的其他会话已登出。",
    "Bridge loan": "应急转贷", "The action was refused; nothing changed.": "操作被拒绝，未做任何更改。",
    "Enterprise": "企业", "Amount": "金额", "yuan": "元", "Term": "期限", "%(n)d days": "%(n)d 天",
    "Maturing loan": "到期贷款", "due %(date)s": "到期日 %(date)s", "Renewal commitment": "续贷承诺",
    "expected %(date)s": "预计 %(date)s", "Submitted on": "申请日期", "Approvals": "审批",
    "Disbursed on": "放款日", "Reason": "原因", "Amounts due": "应还金额", "As of": "截至日期", "Show": "查看",
    "Principal outstanding": "未还本金", "Fee accrued": "应计资金使用费", "Penalty accrued": "应计逾期费",
    "Amount due": "应还合计", "Days overdue": "逾期天数", "Repayments": "回款记录", "Value date": "起息/记账日",
    "Bank reference": "银行流水号", "Penalty": "逾期费", "Fee": "资金使用费", "Principal": "本金",
    "Timeline": "时间线", "system": "系统", "Actions": "操作",
    "Nothing to do on this loan for you.": "此笔贷款暂无您可执行的操作。",
    "Bridge loans": "应急转贷", "Status": "状态", "any": "全部", "Waiting for": "等待", "Awaiting approval": "待审批",
    "Awaiting second approval": "待第二审批", "Overdue": "逾期", "yes": "是", "no": "否", "Due from": "到期日自",
    "Due to": "到期日至", "Bank": "合作银行", "Filter": "筛选", "%(n)d loans": "共 %(n)d 笔", "estimated": "估算",
    "Next page": "下一页", "New bridge-loan application": "新建应急转贷申请",
    "The application was not submitted.": "申请未提交。",
    "Search by name or credit code": "按名称或统一社会信用代码搜索",
    "choose…": "请选择…", "Maturing bank loan": "到期银行贷款", "Contract number": "合同编号",
    "Amount (yuan)": "金额（元）", "e.g. 3,000,000.00": "例如 3,000,000.00", "Due date": "到期日",
    "At most the maturing loan and the fund's share of the renewal.": "不超过到期贷款金额及续贷金额的规定比例。",
    "Term (days)": "期限（天）", "Bank's renewal commitment": "银行续贷承诺", "Renewal amount (yuan)": "续贷金额（元）",
    "Expected renewal date": "预计续贷日期", "Purpose (optional)": "用途（选填）", "Submit application": "提交申请",
    "Dashboard": "数据看板", "Bridge-loan fund": "应急转贷资金", "Capital": "资本金", "Cash": "现金余额",
    "Outstanding principal": "在贷本金", "Disbursed, cumulative": "累计放款金额", "Fee income": "资金使用费收入",
    "Penalty income": "逾期费收入", "Losses": "损失", "Overdue amount": "逾期金额", "10k yuan": "万元",
    "Loans disbursed, cumulative": "累计放款笔数", "Enterprises served": "服务企业数", "Utilization": "资金使用率",
    "Turnover": "周转次数", "Overdue loans": "逾期笔数", "Risk-compensation pool": "风险补偿资金池",
    "Contributions": "注资", "Balance": "余额", "Claims paid": "已付代偿", "Recoveries": "追偿回收",
    "Total quota": "授信额度合计", "Loans outstanding": "在贷余额", "Leverage used": "放大倍数", "NPL ratio": "不良率",
    "New loans suspended": "暂停新增（熔断）", "Not found": "未找到", "Not allowed": "无权访问",
    "The request was refused": "请求被拒绝", "The action was refused": "操作被拒绝",
    "This page or record does not exist, or it is not visible to you.": "该页面或记录不存在，或您无权查看。",
    "Back to the home page": "返回首页", "Work queue": "待办事项", "Awaiting disbursement": "待放款",
    "Awaiting repayment": "待回款", "as of %(date)s": "截至 %(date)s", "Claims awaiting review": "待审核代偿",
    "all %(n)d": "全部 %(n)d 笔", "Reference": "编号", "Filed on": "申请日期", "Home": "首页",
    "Pool quota used": "已用授信额度", "of %(quota)s yuan": "授信额度 %(quota)s 元",
    "Due in the next 7 days": "7 天内到期", "Pool loans eligible for a claim": "可申请代偿的贷款",
    "My bank's applications by status": "本行申请（按状态）", "Loans": "笔数", "New application": "新建申请",
    "Welcome, %(name)s": "欢迎，%(name)s", "Dashboard: the fund and the pool": "数据看板：转贷资金与资金池",
    "Audit log and the API (GET /api/v1/audit-events)": "审计日志与接口（GET /api/v1/audit-events）",
    "Settings, users, banks, capital and periods (API, until their console screens exist)":
        "参数、用户、银行、资本金与会计期间（暂经接口维护）",
    "Inbox": "消息", "No notifications yet. Reminders of due dates and overdue loans will appear here.":
        "暂无消息。到期与逾期提醒将显示在这里。",
    "BridgeFund": "应急转贷与风险补偿管理系统", "Skip to content": "跳到正文", "Main": "主导航", "Menu": "菜单",
    "unread": "条未读", "Password": "密码", "Sign out": "退出",
    "Change password": "修改密码",
    "Current password": "当前密码", "New password": "新密码",
    "10 to 128 characters, letters mixed with digits or symbols, not containing your username.":
        "10 至 128 个字符，字母须与数字或符号混合，且不得包含用户名。",
    "New password again": "再次输入新密码", "Sign in": "登录", "Username": "用户名",
    "Comment (optional)": "意见（选填）", "Decision date (default today)": "决定日期（默认今天）",
    "%(n)d days overdue": "逾期 %(n)d 天", "No bridge loans match.": "没有符合条件的应急转贷。", "Due": "到期日",
    "Due now": "当前应还", "Please confirm: %(action)s": "请确认：%(action)s", "Loan amount": "贷款金额",
    "Money received": "收到金额", "→ penalty": "→ 逾期费", "→ fee": "→ 资金使用费", "→ principal": "→ 本金",
    "Principal left": "剩余本金",
    "Enterprise's approved and lent bridge loans, all banks": "该企业在各行已批及在贷转贷合计",
    "Per-enterprise cap": "单户上限", "Fund cash headroom from %(date)s": "自 %(date)s 起资金可用余额",
    "Confirm: %(action)s": "确认：%(action)s", "Back": "返回", "Choose the enterprise": "选择企业",
    "not in the zone": "非区内企业", "No enterprise matches “%(q)s”.": "没有与“%(q)s”匹配的企业。",
    "Fee if repaid on the due date (%(days)d days, today's tiers): %(fee)s yuan":
        "到期归还的资金使用费（%(days)d 天，按当前费率）：%(fee)s 元",
    "Credit code %(code)s: %(problem)s": "统一社会信用代码 %(code)s：%(problem)s",
    "Credit code %(code)s: check character verified.": "统一社会信用代码 %(code)s：校验位正确。",
    "Required.": "必填。", "Not a valid date (YYYY-MM-DD).": "日期无效（格式 YYYY-MM-DD）。",
    "Not a whole number.": "须为整数。", "Not a valid amount, e.g. 1,500,000.00.": "金额无效，例如 1,500,000.00。",
    "Must be more than 0.00.": "须大于 0.00。", "At most 2 decimal places.": "最多两位小数。",
    "The last 12 months": "近 12 个月", "Partner banks": "合作银行", "Pool quota": "授信额度",
    "Quota used": "已用额度", "Use of quota": "额度使用率",
    "NPL ratio (suspension above %(threshold)s)": "不良率（高于 %(threshold)s 熔断）", "suspended": "已暂停",
    "active": "正常", "Bridge loans disbursed per month (10k yuan)": "每月转贷放款（万元）",
    "Pool loans outstanding at month end (10k yuan)": "月末资金池在贷余额（万元）",
    "Pool loans": "风险补偿资金池贷款", "Pool loan": "资金池贷款", "Contract": "合同编号", "Annual rate": "年利率",
    "Start date": "起始日", "%(n)d months": "%(n)d 个月", "Pool share": "资金池分担比例", "Classification": "五级分类",
    "Schedule": "还款计划", "Interest": "利息", "Principal paid": "已还本金", "Interest paid": "已还利息",
    "No repayments yet.": "尚无回款。", "No pool loans match.": "没有符合条件的资金池贷款。",
    "Repayment of %(amount)s recorded on %(reference)s.": "已为 %(reference)s 记录回款 %(amount)s 元。",
    # issue 15: documents and the renewal loop on the bridge loan
    "Record the bank's renewal approval": "登记银行续贷审批", "Record the renewal's disbursement": "登记续贷放款",
    "%(action)s: recorded on %(reference)s.": "%(action)s：已在 %(reference)s 登记。",
    "Choose the file to upload.": "请选择要上传的文件。",
    "Uploaded %(kind)s, version %(version)d.": "已上传%(kind)s，第 %(version)d 版。",
    "Bank's renewal approval recorded": "登记银行续贷审批", "Renewal disbursement recorded": "登记续贷放款",
    "Renewal commitment letter": "续贷承诺函", "Bridge loan application": "转贷申请书",
    "Three-party agreement": "三方协议", "Claim application": "代偿申请书", "Overdue evidence": "逾期证明",
    "Other document": "其他材料", "Bank's renewal": "银行续贷", "disbursed on %(date)s": "%(date)s 已放款",
    "contract %(no)s": "合同号 %(no)s", "approved on %(date)s": "%(date)s 已审批", "not disbursed yet": "尚未放款",
    "committed; the bank's approval not recorded yet": "已承诺；尚未登记银行审批", "Documents": "材料",
    "The upload was refused; nothing changed.": "上传被拒绝；未做任何更改。", "missing": "缺少", "present": "已提交",
    "The fund requires no documents before approval.": "基金审批前不要求提交材料。", "Kind": "类型",
    "Version": "版本", "File": "文件", "Size (bytes)": "大小（字节）", "Uploaded": "上传时间",
    "No documents uploaded yet.": "尚未上传材料。", "Upload a document": "上传材料",
    "File (PDF, OFD, JPEG, PNG or XLSX; at most 20 MiB)": "文件（PDF、OFD、JPEG、PNG 或 XLSX；不超过 20 MiB）",
    "Note (optional)": "备注（可选）", "Upload": "上传", "New loan's contract no.": "新贷款合同号",
    "Required documents are missing; upload them first:": "缺少必需的材料，请先上传：",
    "Renewal amount": "续贷金额",
}

# Pool import, claims and recoveries (issue 13, the pool screens).
ZH.update({
    "Pay": "支付", "Record recovery": "登记追偿", "Recovery of %(amount)s recorded; %(pool)s returns to the pool.":
        "已登记追偿 %(amount)s 元，其中 %(pool)s 元返还资金池。",
    "%(action)s: claim %(reference)s is now %(status)s.": "%(action)s：代偿 %(reference)s 现为%(status)s。",
    "Claim %(reference)s of %(amount)s filed.": "已提交代偿申请 %(reference)s，金额 %(amount)s 元。",
    "Active": "正常还款中", "Claimed": "已代偿", "Filed": "已申请", "Paid": "已支付", "Normal": "正常",
    "Special mention": "关注", "Substandard": "次级", "Doubtful": "可疑", "Loss": "损失", "Claim filed": "申请代偿",
    "Confirmed": "已确认", "Not an import.": "这不是导入任务。", "The import was queued.": "导入已排队处理。",
    "Claim": "代偿", "Unpaid principal": "未还本金", "Claim amount": "代偿金额", "Approved on": "批准日期",
    "Rejected on": "拒绝日期", "Paid on": "支付日期", "Money recovered": "追回金额", "→ to the pool": "→ 返还资金池",
    "→ kept by the bank": "→ 银行留存", "Principal unrecovered after it": "追偿后尚未追回本金",
    "To the pool": "返还资金池", "No recoveries yet.": "尚无追偿。", "Claims": "代偿", "No claims match.":
        "没有符合条件的代偿。",
    "File a claim": "申请代偿", "Claim date": "申请日期", "Import pool loans": "批量导入资金池贷款",
    "Upload a CSV or XLSX file with the template's columns. Every row is checked first and shown with its errors; "
    "nothing is stored until you confirm.":
        "上传按模板列填写的 CSV 或 XLSX 文件。系统先逐行检查并显示每行的错误；确认之前不会保存任何数据。",
    "Download the template": "下载模板", "File (CSV or XLSX)": "文件（CSV 或 XLSX）", "Check the file": "检查文件",
    "Import preview": "导入预览", "Import": "导入", "Upload another file": "上传其他文件",
    "Checking the file…": "正在检查文件…",
    "Importing…": "正在导入…", "Progress": "进度", "The job failed.": "任务失败。",
    "Nothing was imported.": "未导入任何数据。",
    "Errors": "错误", "Row": "行", "Field": "字段", "Message": "说明", "Rows": "行数", "Valid rows": "有效行",
    "Rows with errors": "有错误的行", "Principal of the valid rows": "有效行本金合计",
    "%(n)d rows have errors. Nothing was stored: correct the file and upload it again.":
        "%(n)d 行有错误。未保存任何数据：请修改文件后重新上传。",
    "This file was sent for import.": "该文件已提交导入。", "See the import": "查看导入",
    "Confirm: import %(n)d loans": "确认：导入 %(n)d 笔贷款",
    "This preview has expired: its file was deleted at %(at)s because it was not confirmed within %(hours)s hours. "
    "Upload the file again to import it.":
        "该预览已过期：文件在 %(hours)s 小时内未确认导入，已于 %(at)s 删除。如需导入，请重新上传文件。",
    "Rows of the file (every row with errors, and the first rows)": "文件各行（所有有错误的行及前若干行）",
    "%(n)d pool loans imported.": "已导入 %(n)d 笔资金池贷款。",
})
from bridgefund.console.translations.zh_terms_reports import ZH_REPORTS  # noqa: E402 - reports, periods, the bell

ZH.update(ZH_REPORTS)
# The admin screens (issue 13: settings, users, banks, guarantors, enterprises, capital, calendar).
ZH.update({
    "%(date)s follows Monday to Friday again.": "%(date)s 已恢复按周一至周五安排。",
    "%(date)s saved in the calendar.": "%(date)s 已保存到工作日历。",
    "%(name)s registered.": "%(name)s 已登记。", "%(name)s saved.": "%(name)s 已保存。",
    "%(user)s is active again.": "%(user)s 已重新启用。",
    "%(user)s is deactivated; their sessions ended.": "%(user)s 已停用，其会话均已结束。",
    "%(what)s of %(amount)s booked on %(date)s.": "%(what)s %(amount)s 元已于 %(date)s 入账。",
    "%(what)s saved.": "%(what)s已保存。",
    "A guarantor shares a pool loan's loss with the pool and the bank; loans already reported keep the share they "
    "were reported with.": "担保机构与资金池、银行共同分担资金池贷款的损失；已报备的贷款保持报备时的分担比例。",
    "Account active": "账户启用", "Add a tier": "增加一档", "Administration": "系统管理",
    "Bank %(code)s registered.": "银行 %(code)s 已登记。", "Bank %(code)s: reinstated.": "银行 %(code)s：已恢复合作。",
    "Bank %(code)s: the terms are changed from %(date)s.": "银行 %(code)s：条款自 %(date)s 起变更。",
    "Bank (bank officers only)": "所属银行（仅银行客户经理）", "Bank NPL ratio that suspends": "暂停合作的银行不良率",
    "Banks and quotas": "合作银行与额度", "Blank: the pool's default.": "留空：使用资金池默认值。",
    "Breadcrumb": "导航路径", "Cap per enterprise (yuan)": "单户上限（元）", "Capital in": "注资",
    "Capital out": "撤资", "Cash after": "变动后现金", "Change the terms": "变更条款",
    "Claim after days overdue": "逾期多少天后可申请代偿", "Code": "代码", "Confirm: deactivate": "确认：停用",
    "Confirm: new password": "确认：重置密码", "Confirm: reactivate": "确认：重新启用",
    "Confirm: save the settings": "确认：保存设置", "Confirm: save the terms": "确认：保存条款",
    "Correct the master data": "更正基本信息", "Create the user": "创建用户", "Created": "创建时间",
    "Credit code": "统一社会信用代码", "Daily rate": "日费率", "Dated terms": "分期生效的条款", "Day off": "休息日",
    "Deactivate %(user)s? They are signed out everywhere and cannot sign in until reactivated.":
        "停用 %(user)s？其所有会话将登出，重新启用前无法登录。",
    "Deactivate…": "停用…", "Default after days overdue": "逾期多少天认定违约",
    "Default pool share of a loss": "资金池默认损失分担比例", "Direction": "方向", "Done": "完成",
    "Each tier's daily rate applies from its day on; the first tier starts at day 1 and the days ascend.":
        "每档日费率自该档起始天数起适用；第一档从第 1 天开始，天数递增。",
    "Edit": "编辑", "Edit %(date)s": "编辑 %(date)s", "Effective from": "生效日期", "Enterprises": "企业",
    "Fee tiers": "费率档位", "Fri": "五", "From day": "起始天数", "Fund capital": "基金资本",
    "Fund capital in and out": "基金注资与撤资", "Fund cash on the value date, after": "记账日基金现金（变动后）",
    "Fund cash on the value date, before": "记账日基金现金（变动前）", "Fund established on": "基金成立日",
    "Fund settings": "基金设置", "Fund settings and fee tiers": "基金设置与费率档位",
    "Give %(user)s a new one-time password? Their old password stops working and their sessions end.":
        "为 %(user)s 生成新的一次性密码？旧密码将失效，其会话均将结束。",
    "Guarantee institutions": "担保机构", "Guarantee share": "担保分担比例",
    "Guarantee share (e.g. 0.30)": "担保分担比例（如 0.30）", "Highest annual rate": "最高年利率", "Holiday": "节假日",
    "In force from %(date)s until the next change of the same term.": "自 %(date)s 起生效，直至该条款下一次变更。",
    "In the zone": "区内企业", "Industry": "行业", "Largest pool loan (yuan)": "单笔资金池贷款上限（元）",
    "Largest share of the renewal": "占续贷金额的最高比例", "Latest capital movements": "最近的资本变动",
    "Letters, digits, '.', '_' and '-'; a one-time password is drawn and shown once.":
        "字母、数字、“.”、“_”和“-”；系统生成一次性密码，仅显示一次。",
    "Leverage (quotas ÷ contributions)": "放大倍数（额度 ÷ 出资）", "Limits and rules": "限额与规则",
    "Longest term (days)": "最长期限（天）", "Make-up working day": "调休上班日",
    "Market bridge rate a day": "市场过桥日利率",
    "Mon": "一",
    "Monday to Friday are working days and weekends are not, except for the days listed: holidays on weekdays and "
    "make-up working days (调休) at weekends. Due dates on a day off move to the next working day.":
        "周一至周五为工作日、周末休息，以下列出的日子除外：工作日的节假日和周末的调休上班日。到期日落在休息日的顺延至下一个工作日。",
    "Money": "资金", "Month": "月份", "More": "更多", "Move a due date on a day off to the next working day":
        "到期日遇休息日顺延至下一个工作日",
    "Name": "名称", "Name (e.g. 国庆节)": "名称（如 国庆节）", "Name or credit code": "名称或统一社会信用代码",
    "New one-time password…": "重置一次性密码…", "New password for %(user)s": "%(user)s 的新密码", "New user": "新用户",
    "Next month": "下个月", "No banks were partners on that day.": "当日没有合作银行。",
    "No capital movements yet.": "尚无资本变动。", "No enterprise matches.": "没有符合条件的企业。",
    "No guarantee institutions yet.": "尚无担保机构。", "No users match.": "没有符合条件的用户。", "Note": "备注",
    "Nothing changes.": "没有任何变更。", "One-time password": "一次性密码",
    "Overdue interest bears penalty interest": "逾期利息计收罚息（复利）", "Partner from": "合作起始日",
    "Partner since": "合作起始日", "Penalty rate a day": "逾期日费率", "Penalty rate markup": "罚息上浮比例",
    "Please confirm the changes": "请确认以下变更", "Please confirm the new terms": "请确认新的条款",
    "Please confirm: reinstate the bank": "请确认：恢复合作", "Pool loss ratio threshold": "资金池损失率阈值",
    "Pool quota (yuan)": "资金池额度（元）", "Pool settings": "资金池设置",
    "Pool share (e.g. 0.50)": "资金池分担比例（如 0.50）",
    "Previous month": "上个月",
    "Reactivate %(user)s? They sign in with their password again.": "重新启用 %(user)s？其可再次使用密码登录。",
    "Reactivate…": "重新启用…", "Register": "登记", "Register a guarantee institution": "登记担保机构",
    "Register a partner bank": "登记合作银行", "Register an enterprise": "登记企业", "Register the bank": "登记银行",
    "Register the enterprise": "登记企业", "Registered in the zone": "注册在区内", "Registers": "登记簿",
    "Reinstate the bank": "恢复合作", "Remove": "删除", "Remove the exception: follow Monday to Friday":
        "删除例外：按周一至周五安排",
    "Review": "核对", "Review the changes": "核对变更", "Role": "角色", "Rules": "规则", "Sat": "六", "Save": "保存",
    "Save the day": "保存该日", "Search": "搜索", "Second approval from (yuan)": "需第二审批的金额起点（元）",
    "Setting": "设置项", "Size": "规模", "Sun": "日", "Terms from": "条款生效日", "Terms in force on": "条款截至日期",
    "The change was refused; nothing changed.": "变更被拒绝，未做任何更改。",
    "The credit code cannot change: register a new enterprise instead.": "统一社会信用代码不可修改：请登记新企业。",
    "The day is": "该日为", "The fund's cash today": "基金今日现金",
    "The movement was refused; nothing changed.": "资本变动被拒绝，未做任何更改。",
    "The one-time password is shown only this once. Give it to the user in person; they should change it at their "
    "first sign-in (Password, in the bar).":
        "一次性密码仅显示这一次。请当面交给用户；用户首次登录后应修改密码（顶部栏“密码”）。",
    "The pool's rules are not dated: a change that would alter a figure of a closed month is refused.":
        "资金池规则不分期生效：会改变已结账月份数据的变更将被拒绝。",
    "The rules new approvals are made under; loans already approved keep the settings they were approved with. The "
    "settings have no effective date: they apply from the moment they are saved.":
        "新的审批按此规则进行；已审批的贷款保持审批时的设置。设置没有生效日期：保存即生效。",
    "Thu": "四", "Tue": "二", "Unified social credit code (18 characters)": "统一社会信用代码（18 位）",
    "User %(user)s created": "用户 %(user)s 已创建", "Users": "用户", "Wed": "三", "Working day": "工作日",
    "Working-day calendar": "工作日历", "a holiday (no work)": "节假日（休息）", "a make-up working day": "调休上班日",
    "deactivated": "已停用", "e.g. 0.0005 (0.05% a day)": "如 0.0005（每日 0.05%）", "e.g. 0.001 (1‰ a day)":
        "如 0.001（每日 1‰）",
    "e.g. 0.95": "如 0.95", "from day %(day)s: %(rate)s a day": "第 %(day)s 天起：日费率 %(rate)s", "large": "大型",
    "medium": "中型", "micro": "微型", "row %(n)d": "第 %(n)d 行", "small": "小型",
    "working days, days off (grey), holidays (red) and make-up working days (blue)":
        "工作日、休息日（灰）、节假日（红）和调休上班日（蓝）",
})
# The audit log and Export to Excel (issue 13, caudit).
ZH.update({
    "Audit log": "审计日志", "Entity type": "对象类型", "Entity ID": "对象ID", "Actor": "操作人", "anyone": "任何人",
    "Action": "操作", "From": "起始日期", "To": "截止日期", "Request ID": "请求ID", "Clear filters": "清除筛选",
    "%(n)d events": "%(n)d 条事件", "Audit events, newest first": "审计事件（最新在前）", "Time": "时间",
    "Entity": "对象", "Changes": "变更", "its history": "其全部记录", "open": "打开", "request": "请求",
    "Field": "字段", "Before": "变更前", "After": "变更后", "changed": "已变更", "(none)": "（无）",
    "(removed)": "（已删除）", "%(n)d unchanged fields": "%(n)d 个未变更字段",
    "No audit events match.": "没有符合条件的审计事件。",
    "Every change in the audit log, with before and after": "在审计日志中查看每次变更（含变更前后）",
    "Export to Excel": "导出 Excel",
    # issues 13 and 15: documents on pool loans, claims and enterprises; the required documents set by the admin
    "Uploaded by": "上传人", "Go to the documents": "前往材料", "The file is larger than 20 MiB.": "文件超过 20 MiB。",
    "The pool requires no documents before a claim's approval.": "资金池代偿审批前不要求提交材料。",
    "Documents a bridge loan needs before approval": "应急转贷审批前须提交的材料",
    "Documents a claim needs before approval": "代偿审批前须提交的材料",
    "None checked: no documents are required.": "不勾选：不要求提交任何材料。",
    "no documents required": "不要求提交材料",
})
# Export on every list and a user's role (issue 13, cmisc).
ZH.update({
    "%(user)s is now %(role)s; their sessions ended.": "%(user)s 的角色已改为%(role)s；其会话已全部结束。",
    "Role and bank": "角色与所属银行",
    "Nothing to change: that is the user's role and bank already.": "无需更改：该用户已是此角色和所属银行。",
    "Change the role of %(user)s? They are signed out everywhere and sign in again with the new role.":
        "确认更改 %(user)s 的角色？其所有会话将被登出，需以新角色重新登录。",
    "Confirm: change the role": "确认：更改角色", "Leave empty for every role but bank officer.":
        "除银行客户经理外，其他角色请留空。",
    "Change the role…": "更改角色…", "A bank officer needs a bank.": "银行客户经理须指定所属银行。",
    "Only a bank officer has a bank: leave it empty.": "只有银行客户经理有所属银行，请留空。",
    "You cannot change your own role or deactivate yourself.": "不能更改自己的角色或停用自己的账号。",
})
# Default, write-off, recoveries and the approval form on a bridge loan (issue 13, cmisc).
ZH.update({
    "Declare default": "认定违约", "Write off": "核销", "Principal written off (a loss of the fund)":
        "核销本金（基金损失）",
    "Recovery": "追偿金额", "Still written off after it": "追偿后仍核销金额",
    "Recovery of %(amount)s recorded on %(reference)s.": "已在 %(reference)s 上登记追偿 %(amount)s。",
    "Declared in default on": "认定违约日期", "recovered %(amount)s": "已追回 %(amount)s",
    "Approval form (PDF)": "审批表（PDF）",
    "Enterprise: name or credit code": "企业：名称或信用代码", "any enterprise": "全部企业",
})
# The dashboard's cash forecast and financing cost saved (issue 13, cmisc).
ZH.update({
    "Projected cash (10k yuan)": "预计现金余额（万元）", "Days (1–90)": "天数（1–90）",
    "Cash at the start: %(cash)s yuan; lowest: %(low)s yuan on %(date)s.":
        "期初现金 %(cash)s 元；最低 %(low)s 元（%(date)s）。",
    "The approved loans cannot all be paid out.": "已审批贷款无法全部放款。", "Cash forecast": "现金预测",
    "Expected in (loans due)": "预计流入（到期贷款）",
    "Expected out (approved, not disbursed)": "预计流出（已审批未放款）",
    "Projected cash": "预计现金余额",
    "Days with nothing expected are left out. Loans already overdue are not counted as coming in.":
        "无预计收支的日期未列出；已逾期贷款不计入流入。",
    "Financing cost saved": "节约融资成本", "Cash forecast, next 30 days": "未来 30 天现金预测",
    "Open the cash forecast": "查看现金预测",
})
# The fund's and the pool's ledgers (issue 13, cmisc).
ZH.update({
    "Fund ledger": "应急转贷资金流水", "Pool ledger": "风险补偿池资金流水",
    "Balance after": "余额", "No entries match.": "没有符合条件的流水。",
    "Disbursement": "放款", "Principal repaid": "本金回收",
    "Write-off loss": "核销损失", "Contribution": "资金注入", "Claim payout": "代偿支付", "Recovery share": "追偿分成",
})
# The notification outbox (issue 13, cmisc).
ZH.update({
    "Notification outbox": "通知发送记录", "pending": "待发送", "sent": "已发送", "failed": "发送失败",
    "Channel": "渠道", "Attempts": "尝试次数", "Last error": "最近错误", "Sent at": "发送时间",
    "No deliveries match.": "没有符合条件的发送记录。",
})
