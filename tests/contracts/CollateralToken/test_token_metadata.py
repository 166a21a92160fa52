"""The margin token describes itself like USDC: 6 decimals, its name, symbol and owner."""

from defi_int.chain import SystemParams


def test_token_has_six_decimals_like_usdc(defi_system):
    assert defi_system.chain.call(defi_system.token.functions.decimals()) == 6
    assert SystemParams().decimals == 6


def test_vault_price_scale_follows_the_token_decimals(defi_system):
    assert defi_system.chain.call(defi_system.vault.functions.priceScale()) == 10**30


def test_token_reports_its_name_symbol_and_owner(defi_system):
    chain, token = defi_system.chain, defi_system.token
    assert chain.call(token.functions.name()) == "Defi-Int USD"
    assert chain.call(token.functions.symbol()) == "dUSD"
    assert chain.call(token.functions.owner()) == defi_system.owner.address
