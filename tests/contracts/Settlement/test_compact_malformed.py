"""settleCompact refuses a packed batch it cannot read whole: unknown flag bits, a nonce longer than
32 bytes, a fill cut short. The fills before the malformed one are checked first, as in a batch."""

import pytest

from defi_int.chain.encoding import pack_fill, pack_fills

FLAGS = 24  # trader 20 | market 4 | flags


@pytest.mark.parametrize("entry", ["compact"])
@pytest.mark.parametrize("flags", [0x10, 0x80])
def test_unknown_flag_bits_revert_with_malformed_fill(defi_system, defi_traders, defi_orders, expect_revert, flags):
    packed = bytearray(pack_fill(defi_orders.fill(defi_traders[0])))
    packed[FLAGS] |= flags
    fn = defi_system.settlement.functions.settleCompact(bytes(packed))
    expect_revert(defi_system.keeper, fn, "MalformedFill", index=0)


@pytest.mark.parametrize("entry", ["compact"])
def test_a_nonce_longer_than_a_word_reverts_with_malformed_fill(defi_system, defi_traders, defi_orders, expect_revert):
    good = pack_fill(defi_orders.fill(defi_traders[0]))
    bad = bytearray(pack_fill(defi_orders.fill(defi_traders[1])))
    length_at = FLAGS + 1 + 16 + 16 + 8
    bad[length_at] = 33
    fn = defi_system.settlement.functions.settleCompact(good + bytes(bad) + bytes(32))
    expect_revert(defi_system.keeper, fn, "MalformedFill", index=1)


@pytest.mark.parametrize("entry", ["compact"])
@pytest.mark.parametrize("cut", [1, 64, 140])
def test_a_fill_cut_short_reverts_with_malformed_fill(defi_system, defi_traders, defi_orders, expect_revert, cut):
    packed = pack_fills([defi_orders.fill(defi_traders[0]), defi_orders.fill(defi_traders[1])])
    fn = defi_system.settlement.functions.settleCompact(packed[:-cut])
    expect_revert(defi_system.keeper, fn, "MalformedFill", index=1)


def test_an_empty_packed_batch_reverts_with_empty_batch(defi_system, expect_revert):
    expect_revert(defi_system.keeper, defi_system.settlement.functions.settleCompact(b""), "EmptyBatch")
