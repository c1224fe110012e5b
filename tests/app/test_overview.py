"""The Overview as the home page: total value, every status, one "Test all", the next step."""

from __future__ import annotations


def test_next_step_follows_the_state(app):
    at = app.button(key="overview.start_demo").click().run()
    assert not at.exception
    assert any("not tested yet" in i.value for i in at.info)  # untested: the next step is a test
    assert at.button(key="overview.test_all").label == "Test all 9 connections"
    assert [m.label for m in at.metric] == ["Total value"]
    table = at.dataframe[0].value
    assert "Demo" not in table.columns  # the names already say "(demo)"
    assert "None" not in table.to_string()

    at = at.button(key="overview.test_all").click().run()
    assert not at.exception
    unsafe = [e.value for e in at.error if "Withdrawal is enabled" in e.value]
    assert unsafe
    assert "disable withdrawal" in unsafe[0]  # what to do on the exchange
    assert "MEXC Withdrawal Enabled (demo)" in [t.value for t in at.text]  # which, as plain text
    assert "need attention" in at.warning[0].value
    assert any("MEXC Wrong IP (demo): Failed" in t.value for t in at.text)
    assert "Untested" not in at.dataframe[0].value["Status"].tolist()
