"""Histories in words (gridmap.auditlog): no raw keys or English values in Chinese."""

from gridmap.auditlog import event_text


def test_a_case_event_reads_as_words_in_each_language():
    detail = "source=visit; category=因残; urgency=ordinary"
    assert event_text(detail, "zh") == "发现渠道：走访发现；类别：因残；紧急程度：一般"
    assert event_text(detail, "en") == "Source: Visit; Category: Disability; Urgency: Ordinary"
    assert event_text("judgement=eligible; assistance=低保;临时救助", "zh") == (
        "研判结论：符合救助条件；救助：低保、临时救助")
    assert event_text("aid_kind=救助金; aid_amount=1400.0", "zh") == "帮扶：救助金；金额：1,400 元"


def test_an_order_or_visit_id_is_named_by_the_page():
    names = {"O1": "助洁 8 小时"}.get
    assert event_text("order=O1", "zh", lambda v: names(v) or v) == "订购服务：助洁 8 小时"
    assert event_text("visit=V9", "zh") == "走访：V9"
    assert event_text(None, "zh") == "" and event_text("free text", "zh") == "free text"
