import pytest
from timebank.ledger import rules, services
from tests.integration.ledger import test_stateful as ts

@pytest.mark.parametrize("mutant", ["nocap"])
def test_mutant(fresh_engine, monkeypatch, mutant):
    monkeypatch.setattr(rules, "credit_minutes", lambda d, c, p: max(d, 0) // 30 * 30)
    ts.test_ledger_against_model(fresh_engine)
