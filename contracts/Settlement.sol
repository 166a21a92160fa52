// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ISettlement, Fill} from "./interfaces/ISettlement.sol";
import {IVault} from "./interfaces/IVault.sol";
import {IPerpAmm} from "./interfaces/IPerpAmm.sol";
import {IPriceOracle} from "./interfaces/IPriceOracle.sol";
import {Order, OrderLib} from "./libraries/OrderLib.sol";
import {SignatureLib} from "./libraries/SignatureLib.sol";
import {Owned} from "./libraries/Owned.sol";
import {FillSteps} from "./settlement/FillSteps.sol";

/// @title Settlement
/// @notice Verifies signed orders and settles the keeper's batches against the desk and the AMM.
/// @dev The flow lives here; the per-fill steps, written out for gas, in `FillSteps`.
contract Settlement is FillSteps, Owned {
    /// @inheritdoc ISettlement
    IVault public immutable vault;
    /// @inheritdoc ISettlement
    IPerpAmm public immutable amm;
    /// @inheritdoc ISettlement
    IPriceOracle public immutable oracle;
    uint256 private immutable _priceScale;
    address private immutable _desk;
    uint256 private immutable _cachedChainId;
    bytes32 private immutable _cachedSeparator;

    /// @inheritdoc ISettlement
    mapping(address => bool) public isKeeper;
    /// @inheritdoc ISettlement
    uint256 public maxDeviationBps;

    modifier onlyKeeper() {
        if (!isKeeper[msg.sender]) revert NotKeeper(msg.sender);
        _;
    }

    constructor(IVault vault_, IPerpAmm amm_, address owner_, uint256 maxDeviationBps_) Owned(owner_) {
        vault = vault_;
        amm = amm_;
        oracle = vault_.oracle();
        _priceScale = vault_.priceScale();
        _desk = vault_.desk();
        _cachedChainId = block.chainid;
        _cachedSeparator = OrderLib.domainSeparator(address(this));
        _setMaxDeviationBps(maxDeviationBps_);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ISettlement
    function domainSeparator() public view returns (bytes32) {
        return block.chainid == _cachedChainId ? _cachedSeparator : OrderLib.domainSeparator(address(this));
    }

    /// @inheritdoc ISettlement
    function hashOrder(Order calldata order) external view returns (bytes32) {
        Terms memory t;
        return _cleanDigest(order, t);
    }

    /// @inheritdoc ISettlement
    function remaining(Order calldata order) external view returns (uint256) {
        Terms memory t;
        bytes32 digest = _cleanDigest(order, t);
        uint256 state = vault.nonceState(t.trader, t.nonce);
        if (state == FILLED || state == CANCELLED) return 0;
        return t.size - vault.filledOf(digest);
    }

    /// @inheritdoc ISettlement
    function nonceState(address trader, uint256 nonce) external view returns (uint8) {
        return vault.nonceState(trader, nonce);
    }

    /// @inheritdoc ISettlement
    function filled(bytes32 orderDigest) external view returns (uint256) {
        return vault.filledOf(orderDigest);
    }

    // ----------------------------------------------------------- settlement

    /// @inheritdoc ISettlement
    /// @dev For each fill, in order: guards (expiry, fee cap, non-empty), signature, the internal
    ///      leg (limit, oracle band, best execution), the AMM leg (allowed, then the AMM trades and
    ///      the average price is held to the limit). Every fill's leg (its internal leg, or its
    ///      nonce alone) is handed to the Vault in runs of one market, at a change of market and at
    ///      the end: the Vault records the order's nonce and remaining size beside the trader's
    ///      book, books the internal leg, checks margin and the desk's cap. Any failing fill
    ///      reverts the whole batch; the keeper drops it and resends.
    function settle(Fill[] calldata fills) external onlyKeeper {
        Batch memory b = _begin(fills.length);
        for (uint256 i; i < fills.length; ++i) {
            _readAbi(fills[i], i, b.t);
            _fill(b);
        }
        _flush(b);
    }

    /// @inheritdoc ISettlement
    function settleCompact(bytes calldata packed) external onlyKeeper {
        Batch memory b = _begin(packed.length == 0 ? 0 : packed.length / MIN_PACKED_FILL + 1);
        uint256 cursor;
        uint256 end;
        assembly ("memory-safe") {
            cursor := packed.offset
            end := add(packed.offset, packed.length)
        }
        b.t.sigLength = 65; // a packed fill's signature is always r, s and v (a flag)
        for (uint256 i; cursor < end; ++i) {
            cursor = _readPacked(cursor, end, i, b.t);
            _fill(b);
        }
        _flush(b);
    }

    /// @dev One batch in progress. `legs` is the Vault call being built: `book(market, legs)`'s
    ///      calldata from `legs + 28`, the packed legs (5 words each) from `legs + 0x80`; the
    ///      Vault's answer (the legs' funding) lands there too. `logs` is the `FillsSettled` being
    ///      built (its ABI head at `logs`, then one word per fill since the last booking, packed to
    ///      12, 14 or 26 bytes when logged). Every fill is booked (its internal leg, or its nonce
    ///      alone) and logged, so `booked` counts both.
    struct Batch {
        Terms t;
        bytes32 separator;
        MarketCache cache;
        uint256 legs;
        uint256 booked;
        uint32 bookedMarket;
        uint256 logs;
    }

    /// @dev Guards of the batch, and its buffers for up to `capacity` fills.
    function _begin(uint256 capacity) private view returns (Batch memory b) {
        if (vault.paused()) revert SettlementPaused();
        if (capacity == 0) revert EmptyBatch();
        b.t.typehash = OrderLib.TYPEHASH;
        b.separator = domainSeparator();
        b.cache.maxDeviationBps = maxDeviationBps;
        bytes4 selector = IVault.book.selector;
        uint256 legs;
        uint256 logs;
        assembly ("memory-safe") {
            legs := mload(0x40)
            logs := add(legs, add(0x80, mul(capacity, 0xa0)))
            mstore(0x40, add(logs, add(0x60, shl(5, capacity))))
            mstore(logs, 0x20)
            mstore(legs, shr(224, selector))
            mstore(add(legs, 0x40), 0x40)
        }
        (b.legs, b.logs) = (legs, logs);
    }

    /// @dev One fill: verify it, check and queue its leg (its internal leg, or its nonce alone;
    ///      the Vault books the legs of a run of one market together: at a change of market and at
    ///      the end), trade its AMM leg, queue its log (written once its run is booked, with its
    ///      funding).
    function _fill(Batch memory b) private {
        Terms memory t = b.t;
        bytes32 digest = _verify(b.separator, t);
        // Offsets and counts below are bounded by the batch's calldata: no overflow.
        unchecked {
            uint32 market = t.market;
            if (b.booked != 0 && market != b.bookedMarket) _flush(b);
            uint256 booked = b.booked;
            uint256 slot = b.legs + 0x80 + booked * LEG_BYTES;
            uint256 entry; // the fill's log word: which legs it has, its AMM quote
            if (t.internalSize != 0) {
                entry = INTERNAL_LEG;
                MarketCache memory cache = b.cache;
                if (!cache.loaded || cache.market != market) _load(cache, market);
                _priceLeg(t, digest, cache, _priceScale, slot);
            } else {
                _emptyLeg(t, slot);
            }
            _queueNonce(t, digest, slot);
            b.booked = booked + 1;
            b.bookedMarket = market;
            if (t.ammSize != 0) entry |= AMM_LEG | _settleAmm(t, digest, b.cache);
            _queueLog(entry, b.logs + 0x40 + (booked << 5));
        }
    }

    /// @dev Hands the queued legs of the current run to the Vault (its revert is the batch's),
    ///      then logs the run's fills in one `FillsSettled`, each with the funding the Vault
    ///      settled for its leg (zero for a nonce alone).
    function _flush(Batch memory b) private {
        uint256 count = b.booked;
        uint256 legs = b.legs;
        uint32 market = b.bookedMarket;
        address target = address(vault);
        bytes32 topic = FillsSettled.selector;
        uint256 logs = b.logs;
        assembly ("memory-safe") {
            // the Vault returns int256[]: offset, length, then one charge per leg
            let charge := add(legs, 0xc0)
            if count {
                mstore(add(legs, 0x20), market)
                mstore(add(legs, 0x60), mul(count, 0xa0))
                if iszero(call(gas(), target, 0, add(legs, 28), add(0x64, mul(count, 0xa0)), 0, 0)) {
                    returndatacopy(0, 0, returndatasize())
                    revert(0, returndatasize())
                }
                returndatacopy(add(legs, 0x80), 0, returndatasize())
                // each fill's word (its legs, its AMM quote) becomes its entry, packed in place: the
                // int96 funding of a fill with an internal leg, then the uint112 quote of one with
                // an AMM leg (12, 14 or 26 bytes, which the calldata tells apart); the bytes written
                // for fill i end before fill i + 1's word
                let first := add(logs, 0x40)
                let out := first
                for { let log := first } lt(log, add(first, shl(5, count))) { log := add(log, 0x20) } {
                    // funding moves a book's int88 cash, so it fits int96 (and is zero for a fill
                    // without an internal leg); the quote is below 2^112 (zero without an AMM leg)
                    let w := mload(log)
                    let internal := shr(255, w)
                    let quote := and(w, 0xffffffffffffffffffffffffffff)
                    mstore(out, or(shl(160, mload(charge)), shl(sub(144, mul(96, internal)), quote)))
                    out := add(out, add(mul(12, internal), mul(14, and(shr(254, w), 1))))
                    charge := add(charge, 0x20)
                }
                mstore(out, 0) // the padding
                let length := sub(out, first)
                mstore(add(logs, 0x20), length)
                log1(logs, add(0x40, and(add(length, 31), not(31))), topic)
            }
        }
        b.booked = 0;
    }

    /// @dev Reads fill `index` word by word and rejects any value with bits beyond its type, so
    ///      the order hashed is exactly the order checked and booked. A signature that is not 65
    ///      bytes is reported by `_verify`, after the guards.
    function _readAbi(Fill calldata fill, uint256 index, Terms memory t) private pure {
        bool dirty = _copyOrder(fill.order, t);
        bytes calldata signature = fill.signature;
        assembly ("memory-safe") {
            function word(src, dst, bits) -> extra {
                let w := calldataload(src)
                mstore(dst, w)
                extra := shr(bits, w)
            }
            // 0x120 holds the signature's offset
            let x := word(add(fill, 0x140), add(t, 0x140), 128) // internalSize
            x := or(x, word(add(fill, 0x160), add(t, 0x160), 128)) // internalPrice
            x := or(x, word(add(fill, 0x180), add(t, 0x180), 128)) // ammSize
            x := or(x, word(add(fill, 0x1a0), add(t, 0x1a0), 16)) // feeBps
            dirty := or(dirty, iszero(iszero(x)))
            mstore(add(t, 0x1c0), calldataload(signature.offset)) // r
            mstore(add(t, 0x1e0), calldataload(add(signature.offset, 0x20))) // s
            mstore(add(t, 0x200), byte(0, calldataload(add(signature.offset, 0x40)))) // v
            mstore(add(t, 0x220), signature.length)
        }
        if (dirty) revert MalformedFill(index);
    }

    /// @dev Copies an order's nine words after `t`'s typehash; returns whether any carries bits
    ///      beyond its type.
    function _copyOrder(Order calldata order, Terms memory t) private pure returns (bool dirty) {
        assembly ("memory-safe") {
            function word(src, dst, bits) -> extra {
                let w := calldataload(src)
                mstore(dst, w)
                extra := shr(bits, w)
            }
            let x := word(order, add(t, 0x20), 160) // trader
            x := or(x, word(add(order, 0x20), add(t, 0x40), 32)) // market
            x := or(x, word(add(order, 0x40), add(t, 0x60), 1)) // isBuy
            x := or(x, word(add(order, 0x60), add(t, 0x80), 128)) // size
            x := or(x, word(add(order, 0x80), add(t, 0xa0), 128)) // limitPrice
            x := or(x, word(add(order, 0xa0), add(t, 0xc0), 64)) // expiry
            mstore(add(t, 0xe0), calldataload(add(order, 0xc0))) // nonce: all 256 bits
            x := or(x, word(add(order, 0xe0), add(t, 0x100), 16)) // maxFeeBps
            x := or(x, word(add(order, 0x100), add(t, 0x120), 1)) // allowAmm
            dirty := iszero(iszero(x))
        }
    }

    /// @dev Reads `market`'s oracle mark and pool into the cache (a run of fills in it reads them once).
    function _load(MarketCache memory cache, uint32 market) private view {
        cache.loaded = true;
        cache.market = market;
        cache.mark = oracle.price(market);
        (cache.base, cache.quote, cache.poolFee) = amm.pool(market);
    }

    /// @dev Trades the AMM leg for the trader (its fee is charged by the AMM's booking); returns the quote.
    function _settleAmm(Terms memory t, bytes32 digest, MarketCache memory cache) private returns (uint256 quote) {
        if (!t.allowAmm) revert AmmNotAllowed(digest);
        uint256 size = t.ammSize;
        uint256 limitQuote = t.isBuy ? (size * t.limitPrice) / _priceScale : _ceilDiv(size * t.limitPrice, _priceScale);
        (bool ok, bytes memory ret) = address(amm).call(
            abi.encodeCall(IPerpAmm.swapFor, (t.trader, t.market, t.isBuy, size, limitQuote, t.feeBps))
        );
        if (!ok) {
            // Name the order in the AMM's slippage error: SlippageExceeded(quote, limitQuote).
            if (ret.length == 0x44 && bytes4(ret) == IPerpAmm.SlippageExceeded.selector) {
                assembly ("memory-safe") {
                    quote := mload(add(ret, 0x24))
                }
                revert AmmLimitExceeded(digest, size, quote, t.limitPrice);
            }
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        (quote,) = abi.decode(ret, (uint256, uint256));
        if (cache.loaded && cache.market == t.market) {
            (cache.base, cache.quote) =
                t.isBuy ? (cache.base - size, cache.quote + quote) : (cache.base + size, cache.quote - quote);
        }
    }

    // ------------------------------------------------------------ the rest

    /// @inheritdoc ISettlement
    function cancel(Order calldata order) external {
        Terms memory t;
        bytes32 digest = _cleanDigest(order, t);
        if (msg.sender != t.trader) revert NotOrderTrader(msg.sender, t.trader);
        vault.cancelNonce(t.trader, t.nonce, digest);
        emit OrderCancelled(digest, t.trader, t.nonce);
    }

    /// @dev The digest of `order`, copied into `t` first; reverts on bits beyond a field's type.
    function _cleanDigest(Order calldata order, Terms memory t) private view returns (bytes32) {
        if (_copyOrder(order, t)) revert MalformedOrder();
        t.typehash = OrderLib.TYPEHASH;
        return _digest(domainSeparator(), t);
    }

    /// @inheritdoc ISettlement
    function hedge(uint32 market, bool isBuy, uint256 size, uint256 limitQuote) external onlyKeeper returns (uint256 quote) {
        (quote,) = amm.swapFor(_desk, market, isBuy, size, limitQuote, 0);
        emit Hedged(market, isBuy, size, quote);
    }

    /// @inheritdoc ISettlement
    function setKeeper(address keeper, bool allowed) external onlyOwner {
        isKeeper[keeper] = allowed;
        emit KeeperSet(keeper, allowed);
    }

    /// @inheritdoc ISettlement
    function setMaxDeviationBps(uint256 maxDeviationBps_) external onlyOwner {
        _setMaxDeviationBps(maxDeviationBps_);
    }

    function _setMaxDeviationBps(uint256 value) private {
        if (value > BPS) revert InvalidDeviationBps(value);
        maxDeviationBps = value;
        emit MaxDeviationSet(value);
    }

    function _ceilDiv(uint256 a, uint256 b) private pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }
}
