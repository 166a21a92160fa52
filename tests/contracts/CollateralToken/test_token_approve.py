"""approve sets the allowance outright (no increase/decrease semantics) and emits Approval."""


def test_approve_sets_the_allowance_and_emits_approval(defi_system, token, alice, bob, events):
    chain = defi_system.chain
    receipt = chain.transact(alice, token.functions.approve(bob.address, 500), gas=60_000)
    assert chain.call(token.functions.allowance(alice.address, bob.address)) == 500
    assert chain.call(token.functions.allowance(bob.address, alice.address)) == 0
    assert events(token, receipt, "Approval") == [{"owner": alice.address, "spender": bob.address, "value": 500}]


def test_approve_overwrites_a_previous_allowance(defi_system, token, alice, bob):
    chain = defi_system.chain
    chain.transact(alice, token.functions.approve(bob.address, 500), gas=60_000)
    chain.transact(alice, token.functions.approve(bob.address, 7), gas=60_000)
    assert chain.call(token.functions.allowance(alice.address, bob.address)) == 7


def test_approve_zero_revokes_the_allowance(defi_system, token, alice, bob, events):
    chain = defi_system.chain
    chain.transact(alice, token.functions.approve(bob.address, 500), gas=60_000)
    receipt = chain.transact(alice, token.functions.approve(bob.address, 0), gas=60_000)
    assert chain.call(token.functions.allowance(alice.address, bob.address)) == 0
    assert events(token, receipt, "Approval") == [{"owner": alice.address, "spender": bob.address, "value": 0}]
