// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ISettlement} from "../interfaces/ISettlement.sol";
import {AmmMath} from "../libraries/AmmMath.sol";
import {SignatureLib} from "../libraries/SignatureLib.sol";

/// @title FillSteps
/// @notice The per-fill steps of `Settlement.settle` and `settleCompact`, written out for gas:
///         decoding a packed fill, verifying an order (digest, guards, signature) and checking and
///         queueing its leg for the Vault (which records its nonce beside the trader's book). Every check and error is the one the interface
///         documents; the gas snapshot (tests/gas_snapshot.json) holds them to their cost.
/// @dev Data flow: a reader fills one `Terms` in memory (reused for every fill of a batch); its
///      first ten words are the EIP-712 struct encoding of the order, so `keccak256` over them is
///      `hashStruct`. `_verify` checks it; `_priceLeg` appends the leg to the batch's `IVault.book`
///      calldata (five words: `uint160(trader) | fee << 160 | isBuy << 255`, `size << 128 |
///      notional`, `orderSize << 128 | amount`, digest, nonce; `_queueNonce` writes the last three,
///      and a fill without an internal leg queues them alone, with a size of 0). Offsets used below: trader 0x20, market 0x40, isBuy 0x60, size 0x80,
///      limitPrice 0xa0, expiry 0xc0, nonce 0xe0, maxFeeBps 0x100, allowAmm 0x120, internalSize
///      0x140, internalPrice 0x160, ammSize 0x180, feeBps 0x1a0, r 0x1c0, s 0x1e0, v 0x200,
///      sigLength 0x220.
abstract contract FillSteps is ISettlement {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant FILLED = 2;
    uint256 internal constant CANCELLED = 3;
    /// @dev The bytes of one leg of `IVault.book`: five words.
    uint256 internal constant LEG_BYTES = 0xa0;
    /// @dev A fill's log word: it has an internal leg, it has an AMM leg (its quote below).
    uint256 internal constant INTERNAL_LEG = 1 << 255;
    uint256 internal constant AMM_LEG = 1 << 254;
    /// @dev The shortest packed fill: a one-word-less nonce of zero bytes, the whole order internal.
    uint256 internal constant MIN_PACKED_FILL = 150;

    /// @dev A fill's fields; see the contract notes for their offsets.
    struct Terms {
        bytes32 typehash;
        address trader;
        uint32 market;
        bool isBuy;
        uint256 size;
        uint256 limitPrice;
        uint256 expiry;
        uint256 nonce;
        uint256 maxFeeBps;
        bool allowAmm;
        uint256 internalSize;
        uint256 internalPrice;
        uint256 ammSize;
        uint256 feeBps;
        bytes32 r;
        bytes32 s;
        uint256 v;
        uint256 sigLength;
    }

    /// @dev Oracle mark, AMM pool and band of the market being settled, read once per run of fills
    ///      in that market and kept in step with the AMM legs the batch sends. Offsets: loaded 0,
    ///      market 0x20, mark 0x40, base 0x60, quote 0x80, poolFee 0xa0, maxDeviationBps 0xc0.
    struct MarketCache {
        bool loaded;
        uint32 market;
        uint256 mark;
        uint256 base;
        uint256 quote;
        uint256 poolFee;
        uint256 maxDeviationBps;
    }

    /// @dev Reads the packed fill at calldata offset `cursor` (layout on `ISettlement.settleCompact`)
    ///      into `t`; returns where the next one starts. Unknown flag bits, a nonce longer than 32
    ///      bytes or a fill running past `end` revert `MalformedFill(index)`.
    function _readPacked(uint256 cursor, uint256 end, uint256 index, Terms memory t)
        internal
        pure
        returns (uint256 next)
    {
        bool malformed;
        assembly ("memory-safe") {
            let p := cursor
            let head := calldataload(p)
            mstore(add(t, 0x20), shr(96, head)) // trader
            mstore(add(t, 0x40), and(shr(64, head), 0xffffffff)) // market
            let flags := and(shr(56, head), 0xff)
            mstore(add(t, 0x60), and(flags, 1)) // isBuy
            mstore(add(t, 0x120), and(shr(1, flags), 1)) // allowAmm
            mstore(add(t, 0x200), add(27, and(shr(2, flags), 1))) // v
            let size := shr(128, calldataload(add(p, 25)))
            mstore(add(t, 0x80), size)
            mstore(add(t, 0xa0), shr(128, calldataload(add(p, 41)))) // limitPrice
            mstore(add(t, 0xc0), shr(192, calldataload(add(p, 57)))) // expiry
            let length := byte(0, calldataload(add(p, 65)))
            malformed := or(gt(flags, 15), gt(length, 32))
            let nonce := 0
            if length { nonce := shr(sub(256, shl(3, length)), calldataload(add(p, 66))) }
            mstore(add(t, 0xe0), nonce)
            p := add(add(p, 66), length)
            mstore(add(t, 0x100), shr(240, calldataload(p))) // maxFeeBps
            switch and(shr(3, flags), 1)
            case 1 {
                // the whole order, internally
                mstore(add(t, 0x140), size)
                mstore(add(t, 0x160), shr(128, calldataload(add(p, 2))))
                mstore(add(t, 0x180), 0)
                p := add(p, 18)
            }
            default {
                mstore(add(t, 0x140), shr(128, calldataload(add(p, 2)))) // internalSize
                mstore(add(t, 0x160), shr(128, calldataload(add(p, 18)))) // internalPrice
                mstore(add(t, 0x180), shr(128, calldataload(add(p, 34)))) // ammSize
                p := add(p, 50)
            }
            mstore(add(t, 0x1a0), shr(240, calldataload(p))) // feeBps
            mstore(add(t, 0x1c0), calldataload(add(p, 2))) // r
            mstore(add(t, 0x1e0), calldataload(add(p, 34))) // s
            next := add(p, 66)
            malformed := or(malformed, gt(next, end))
        }
        if (malformed) revert MalformedFill(index);
    }

    /// @dev The EIP-712 digest of the order in `t`: `keccak256("\x19\x01" ‖ separator ‖ hashStruct)`.
    function _digest(bytes32 separator, Terms memory t) internal pure returns (bytes32 d) {
        assembly ("memory-safe") {
            let h := keccak256(t, 0x140)
            let ptr := mload(0x40)
            mstore(ptr, hex"1901")
            mstore(add(ptr, 0x02), separator)
            mstore(add(ptr, 0x22), h)
            d := keccak256(ptr, 0x42)
        }
    }

    /// @dev Verifies the order in `t`, in the documented order: expiry, fee cap, a leg to fill; the
    ///      signature (65 bytes, low s, v 27 or 28, recovering the trader). Its nonce and the amount
    ///      left are the Vault's to check, when the leg is booked. Returns the order's digest.
    function _verify(bytes32 separator, Terms memory t) internal view returns (bytes32 digest) {
        uint256 code;
        uint256 a;
        uint256 b;
        uint256 c;
        uint256 halfOrder = SignatureLib.HALF_ORDER;
        assembly ("memory-safe") {
            function verify(t_, separator_, halfOrder_) -> code_, digest_, a_, b_, c_ {
                let ptr := mload(0x40)
                mstore(ptr, hex"1901")
                mstore(add(ptr, 0x02), separator_)
                mstore(add(ptr, 0x22), keccak256(t_, 0x140))
                digest_ := keccak256(ptr, 0x42)
                // guards
                let expiry := mload(add(t_, 0xc0))
                if gt(timestamp(), expiry) {
                    code_ := 1
                    a_ := expiry
                    b_ := timestamp()
                    leave
                }
                let feeBps := mload(add(t_, 0x1a0))
                let maxFee := mload(add(t_, 0x100))
                if gt(feeBps, maxFee) {
                    code_ := 2
                    a_ := feeBps
                    b_ := maxFee
                    leave
                }
                let amount := add(mload(add(t_, 0x140)), mload(add(t_, 0x180)))
                if iszero(amount) {
                    code_ := 3
                    leave
                }
                // the signature
                let length := mload(add(t_, 0x220))
                if iszero(eq(length, 65)) {
                    code_ := 4
                    a_ := length
                    leave
                }
                let s := mload(add(t_, 0x1e0))
                if gt(s, halfOrder_) {
                    code_ := 5
                    a_ := s
                    leave
                }
                let v := mload(add(t_, 0x200))
                if iszero(or(eq(v, 27), eq(v, 28))) {
                    code_ := 6
                    a_ := v
                    leave
                }
                mstore(ptr, digest_)
                mstore(add(ptr, 0x20), v)
                mstore(add(ptr, 0x40), mload(add(t_, 0x1c0)))
                mstore(add(ptr, 0x60), s)
                mstore(0, 0)
                pop(staticcall(gas(), 0x01, ptr, 0x80, 0, 0x20))
                let signer := mload(0)
                let trader := mload(add(t_, 0x20))
                if or(iszero(eq(signer, trader)), iszero(signer)) {
                    code_ := 7
                    a_ := signer
                    b_ := trader
                    leave
                }
            }
            code, digest, a, b, c := verify(t, separator, halfOrder)
        }
        if (code != 0) _fail(code, digest, a, b, c);
    }

    /// @dev Checks the internal leg against the order's limit, the oracle band and best execution
    ///      and appends its booking at `slot`, with its fee. Rounding against the trader: a buyer pays the
    ///      notional rounded up, a seller gets it rounded down; the fee rounds up. Best execution:
    ///      the notional is no worse than the AMM's quote for the same size now (AmmMath's
    ///      formulas and guards); a buy the pool cannot fill at all is any price in the band. A
    ///      notional beyond what a ledger book holds (2^87 - 1) is refused here, so no later
    ///      arithmetic can overflow.
    function _priceLeg(Terms memory t, bytes32 digest, MarketCache memory cache, uint256 scale, uint256 slot)
        internal
        pure
    {
        uint256 code;
        uint256 a;
        uint256 b;
        uint256 c;
        assembly ("memory-safe") {
            function price(t_, cache_, scale_, slot_) -> code_, a_, b_, c_ {
                let internalPrice := mload(add(t_, 0x160))
                let size := mload(add(t_, 0x140))
                let isBuy := mload(add(t_, 0x60))
                // the order's limit (needs no price): a buy at most, a sell at least
                let limit := mload(add(t_, 0xa0))
                if or(and(isBuy, gt(internalPrice, limit)), and(iszero(isBuy), lt(internalPrice, limit))) {
                    code_ := 16
                    a_ := internalPrice
                    b_ := limit
                    leave
                }
                // the oracle band (prices are below 2^128: no overflow)
                let mark := mload(add(cache_, 0x40))
                let deviation := mload(add(cache_, 0xc0))
                let band := div(mul(mark, deviation), 10000)
                if or(gt(internalPrice, add(mark, band)), lt(add(internalPrice, band), mark)) {
                    code_ := 11
                    a_ := internalPrice
                    b_ := mark
                    c_ := deviation
                    leave
                }
                // size and price are below 2^128, so their product fits 256 bits
                let raw := mul(size, internalPrice)
                let notional := div(raw, scale_)
                if and(isBuy, gt(raw, mul(notional, scale_))) { notional := add(notional, 1) }
                // best execution
                let base := mload(add(cache_, 0x60))
                if base {
                    let quote := mload(add(cache_, 0x80))
                    let poolFee := mload(add(cache_, 0xa0))
                    let fillable := or(iszero(isBuy), lt(size, base))
                    if and(fillable, iszero(quote)) {
                        code_ := 14
                        leave
                    }
                    if and(fillable, iszero(lt(poolFee, 10000))) {
                        code_ := 15
                        a_ := poolFee
                        leave
                    }
                    switch isBuy
                    case 1 {
                        if fillable {
                            // reserves are below 2^112 and size below base: no overflow
                            let cost := add(div(mul(mul(quote, size), 10000), mul(sub(base, size), sub(10000, poolFee))), 1)
                            if gt(notional, cost) {
                                code_ := 12
                                a_ := notional
                                b_ := cost
                                leave
                            }
                        }
                    }
                    default {
                        // size below 2^128, reserves below 2^112: no overflow
                        let withFee := mul(size, sub(10000, poolFee))
                        let proceeds := div(mul(withFee, quote), add(mul(base, 10000), withFee))
                        if lt(notional, proceeds) {
                            code_ := 12
                            a_ := notional
                            b_ := proceeds
                            leave
                        }
                    }
                }
                if gt(notional, 0x7fffffffffffffffffffff) {
                    code_ := 13
                    a_ := notional
                    leave
                }
                let feeRaw := mul(notional, mload(add(t_, 0x1a0)))
                let fee := div(feeRaw, 10000)
                if gt(feeRaw, mul(fee, 10000)) { fee := add(fee, 1) }
                mstore(slot_, or(or(mload(add(t_, 0x20)), shl(160, fee)), shl(255, isBuy)))
                mstore(add(slot_, 0x20), or(shl(128, size), notional))
            }
            code, a, b, c := price(t, cache, scale, slot)
        }
        if (code != 0) _fail(code, digest, a, b, c);
    }

    /// @dev Reverts with the error a step reported by its code, and the step's values.
    function _fail(uint256 code, bytes32 digest, uint256 a, uint256 b, uint256 c) private pure {
        if (code == 1) revert OrderExpired(digest, a, b);
        if (code == 2) revert FeeAboveMax(digest, a, b);
        if (code == 3) revert EmptyFill(digest);
        if (code == 4) revert SignatureLib.InvalidSignatureLength(a);
        if (code == 5) revert SignatureLib.InvalidSignatureS(bytes32(a));
        if (code == 6) revert SignatureLib.InvalidSignatureV(uint8(a));
        if (code == 7) revert InvalidSigner(digest, address(uint160(a)), address(uint160(b)));
        if (code == 11) revert PriceOutsideBand(digest, a, b, c);
        if (code == 12) revert WorseThanAmm(digest, a, b);
        if (code == 13) revert AmountOutOfRange(a);
        if (code == 14) revert AmmMath.InsufficientLiquidity();
        if (code == 16) revert LimitPriceExceeded(digest, a, b);
        revert AmmMath.FeeTooHigh(a);
    }

    /// @dev The last three words of the fill's leg at `slot`: `orderSize << 128 | amount` (both
    ///      legs), the order's digest and its nonce, for the Vault to record against the nonce.
    function _queueNonce(Terms memory t, bytes32 digest, uint256 slot) internal pure {
        assembly ("memory-safe") {
            mstore(add(slot, 0x40), or(shl(128, mload(add(t, 0x80))), add(mload(add(t, 0x140)), mload(add(t, 0x180)))))
            mstore(add(slot, 0x60), digest)
            mstore(add(slot, 0x80), mload(add(t, 0xe0)))
        }
    }

    /// @dev The first two words of a leg without an internal leg (the nonce only): the trader, size 0.
    function _emptyLeg(Terms memory t, uint256 slot) internal pure {
        assembly ("memory-safe") {
            mstore(slot, mload(add(t, 0x20)))
            mstore(add(slot, 0x20), 0)
        }
    }

    /// @dev The fill's `FillsSettled` word at `log`: which legs it has (`INTERNAL_LEG`, `AMM_LEG`)
    ///      and its AMM quote (the funding its leg settled is added when the run is booked).
    function _queueLog(uint256 entry, uint256 log) internal pure {
        assembly ("memory-safe") {
            mstore(log, entry)
        }
    }
}
