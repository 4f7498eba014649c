import logging

from core.logging import LogfmtFormatter


def test_logfmt_line_is_greppable():
    record = logging.LogRecord(
        "inbox.tasks", logging.WARNING, __file__, 1, 'poll failed: "%s"', ("boom",), None
    )
    record.channel = 12
    line = LogfmtFormatter().format(record)
    assert " level=WARNING logger=inbox.tasks " in line
    assert 'msg="poll failed: \\"boom\\""' in line
    assert line.endswith("channel=12")
    assert "\n" not in line
