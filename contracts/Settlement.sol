// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ISettlement, Fill} from "./interfaces/ISettlement.sol";
import {IVault} from "./interfaces/IVault.sol";
import {IPerpAmm} from "./interfaces/IPerpAmm.sol";
import {IPriceOracle} from "./interfaces/IPriceOracle.sol";
import {Order, OrderLib} from "./libraries/OrderLib.sol";
import {SignatureLib} from "./libraries/SignatureLib.sol";
import {AmmMath} from "./libraries/AmmMath.sol";
import {Owned} from "./libraries/Owned.sol";

/// @title Settlement
/// @notice Verifies signed orders and settles the keeper's batches against the desk and the AMM.
contract Settlement is ISettlement, Owned {
    uint256 private constant BPS = 10_000;
    uint256 private constant OPEN = 0;
    uint256 private constant PARTIAL = 1;
    uint256 private constant FILLED = 2;
    uint256 private constant CANCELLED = 3;
    /// @inheritdoc ISettlement
    uint256 public constant FILL_BYTES = 214;

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
    /// @inheritdoc ISettlement
    mapping(bytes32 => uint256) public filled;
    /// @dev trader => word index (nonce >> 7) => 128 two-bit nonce states.
    mapping(address => mapping(uint256 => uint256)) private _nonceWords;

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
        uint256 state = nonceState(t.trader, t.nonce);
        if (state == FILLED || state == CANCELLED) return 0;
        if (state == OPEN) return t.size;
        return t.size - filled[digest];
    }

    /// @inheritdoc ISettlement
    function nonceState(address trader, uint256 nonce) public view returns (uint8) {
        return uint8((_nonceWords[trader][nonce >> 7] >> ((nonce & 127) << 1)) & 3);
    }

    // ----------------------------------------------------------- settlement

    /// @inheritdoc ISettlement
    /// @dev For each fill, in order: guards (expiry, fee cap, non-empty), signature, the order's
    ///      remaining size (recorded before any external call), the internal leg (limit, oracle
    ///      band, best execution; the Vault books it with the other legs of its run and checks
    ///      margin and the desk's cap), the AMM leg (allowed, then the AMM trades and the average
    ///      price is held to the limit). Internal legs are handed to the Vault in runs of one market:
    ///      at a change of market and at the end. Any failing fill reverts the whole batch; the
    ///      keeper drops it and resends.
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
        uint256 count = packed.length / FILL_BYTES;
        Batch memory b = _begin(count);
        if (count * FILL_BYTES != packed.length) revert MalformedFill(count);
        for (uint256 i; i < count; ++i) {
            _readPacked(packed, i, b.t);
            _fill(b);
        }
        _flush(b);
    }

    /// @dev A fill's fields, laid out so that the first ten words are the EIP-712 struct encoding
    ///      of its order (one `keccak256` over them is `hashStruct`). One per batch, rewritten per fill.
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
    }

    /// @dev Oracle mark, AMM pool and band of the market being settled, read once per run of fills
    ///      in that market and kept in step with the AMM legs this batch sends.
    struct MarketCache {
        bool loaded;
        uint32 market;
        uint256 mark;
        uint256 base;
        uint256 quote;
        uint256 poolFee;
        uint256 maxDeviationBps;
    }

    /// @dev One batch in progress. `legs` is the Vault call being built: `book(market, legs)`'s
    ///      calldata from `legs + 28`, the packed legs (4 words each) from `legs + 0x80`.
    struct Batch {
        Terms t;
        bytes32 separator;
        MarketCache cache;
        uint256 legs;
        uint256 booked;
        uint32 bookedMarket;
    }

    function _begin(uint256 count) private view returns (Batch memory b) {
        if (vault.paused()) revert SettlementPaused();
        if (count == 0) revert EmptyBatch();
        b.t.typehash = OrderLib.TYPEHASH;
        b.separator = domainSeparator();
        b.cache.maxDeviationBps = maxDeviationBps;
        bytes4 selector = IVault.book.selector;
        uint256 legs;
        assembly ("memory-safe") {
            legs := mload(0x40)
            mstore(0x40, add(legs, add(0x80, shl(7, count))))
            mstore(legs, shr(224, selector))
            mstore(add(legs, 0x40), 0x40)
        }
        b.legs = legs;
    }

    /// @dev One fill: its checks, its internal leg queued for the Vault, its AMM leg, its event.
    function _fill(Batch memory b) private {
        Terms memory t = b.t;
        bytes32 digest = _digest(b.separator, t);
        _checkGuards(t, digest);
        address signer = SignatureLib.recover(digest, t.r, t.s, t.v);
        if (signer != t.trader || signer == address(0)) revert InvalidSigner(digest, signer, t.trader);
        _recordFill(t, digest);
        uint256 fee;
        if (t.internalSize != 0) {
            if (b.booked != 0 && t.market != b.bookedMarket) _flush(b);
            fee = _internalLeg(b, t, digest);
        }
        uint256 ammQuote;
        if (t.ammSize != 0) {
            uint256 ammFee;
            (ammQuote, ammFee) = _settleAmm(t, digest, b.cache);
            fee += ammFee;
        }
        uint256 internalPrice = t.internalSize == 0 ? 0 : t.internalPrice;
        emit OrderFilled(digest, t.trader, t.internalSize, internalPrice, t.ammSize, ammQuote, fee);
    }

    /// @dev Hands the queued legs of the current run to the Vault; its revert is the batch's.
    function _flush(Batch memory b) private {
        uint256 count = b.booked;
        if (count == 0) return;
        uint256 legs = b.legs;
        uint32 market = b.bookedMarket;
        address target = address(vault);
        assembly ("memory-safe") {
            mstore(add(legs, 0x20), market)
            mstore(add(legs, 0x60), shl(7, count))
            if iszero(call(gas(), target, 0, add(legs, 28), add(0x64, shl(7, count)), 0, 0)) {
                returndatacopy(0, 0, returndatasize())
                revert(0, returndatasize())
            }
        }
        b.booked = 0;
    }

    /// @dev Reads fill `index` word by word and rejects any value with bits beyond its type, so
    ///      the order hashed is exactly the order checked and booked.
    function _readAbi(Fill calldata fill, uint256 index, Terms memory t) private pure {
        bool dirty = _copyOrder(fill.order, t);
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
        }
        if (dirty) revert MalformedFill(index);
        (t.r, t.s, t.v) = _split(fill.signature);
    }

    function _split(bytes calldata signature) private pure returns (bytes32, bytes32, uint256) {
        (bytes32 r, bytes32 s, uint8 v) = SignatureLib.split(signature);
        return (r, s, v);
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

    /// @dev Unpacks fill `index` of `settleCompact`'s batch (layout on the interface).
    function _readPacked(bytes calldata packed, uint256 index, Terms memory t) private pure {
        bool dirty;
        assembly ("memory-safe") {
            let p := add(packed.offset, mul(index, 214))
            let head := calldataload(p)
            mstore(add(t, 0x20), shr(96, head)) // trader
            mstore(add(t, 0x40), and(shr(64, head), 0xffffffff)) // market
            let flags := and(shr(56, head), 0xff)
            mstore(add(t, 0x60), and(flags, 1)) // isBuy
            mstore(add(t, 0x120), and(shr(1, flags), 1)) // allowAmm
            dirty := gt(flags, 3)
            mstore(add(t, 0x80), shr(128, calldataload(add(p, 25)))) // size
            mstore(add(t, 0xa0), shr(128, calldataload(add(p, 41)))) // limitPrice
            mstore(add(t, 0xc0), shr(192, calldataload(add(p, 57)))) // expiry
            mstore(add(t, 0xe0), calldataload(add(p, 65))) // nonce
            mstore(add(t, 0x100), shr(240, calldataload(add(p, 97)))) // maxFeeBps
            mstore(add(t, 0x140), shr(128, calldataload(add(p, 99)))) // internalSize
            mstore(add(t, 0x160), shr(128, calldataload(add(p, 115)))) // internalPrice
            mstore(add(t, 0x180), shr(128, calldataload(add(p, 131)))) // ammSize
            mstore(add(t, 0x1a0), shr(240, calldataload(add(p, 147)))) // feeBps
            mstore(add(t, 0x1c0), calldataload(add(p, 149))) // r
            mstore(add(t, 0x1e0), calldataload(add(p, 181))) // s
            mstore(add(t, 0x200), shr(248, calldataload(add(p, 213)))) // v
        }
        if (dirty) revert MalformedFill(index);
    }

    /// @dev The EIP-712 digest of the order in `t`: `keccak256("\x19\x01" ‖ separator ‖ hashStruct)`.
    function _digest(bytes32 separator, Terms memory t) private pure returns (bytes32 d) {
        assembly ("memory-safe") {
            let h := keccak256(t, 0x140)
            let ptr := mload(0x40)
            mstore(ptr, hex"1901")
            mstore(add(ptr, 0x02), separator)
            mstore(add(ptr, 0x22), h)
            d := keccak256(ptr, 0x42)
        }
    }

    function _load(MarketCache memory cache, uint32 market) private view returns (MarketCache memory) {
        if (!cache.loaded || cache.market != market) {
            cache.loaded = true;
            cache.market = market;
            cache.mark = oracle.price(market);
            (cache.base, cache.quote, cache.poolFee) = amm.pool(market);
        }
        return cache;
    }

    function _checkGuards(Terms memory t, bytes32 digest) private view {
        if (block.timestamp > t.expiry) revert OrderExpired(digest, t.expiry, block.timestamp);
        if (t.feeBps > t.maxFeeBps) revert FeeAboveMax(digest, t.feeBps, t.maxFeeBps);
        if (t.internalSize == 0 && t.ammSize == 0) revert EmptyFill(digest);
    }

    /// @dev Moves the order's nonce to PARTIAL or FILLED; only partial orders touch `filled`.
    function _recordFill(Terms memory t, bytes32 digest) private {
        uint256 amount = t.internalSize + t.ammSize;
        mapping(uint256 => uint256) storage words = _nonceWords[t.trader];
        uint256 wordPos = t.nonce >> 7;
        uint256 shift = (t.nonce & 127) << 1;
        uint256 word = words[wordPos];
        uint256 state = (word >> shift) & 3;
        if (state == FILLED) revert OrderAlreadyFilled(digest);
        if (state == CANCELLED) revert OrderIsCancelled(digest);
        uint256 prior = state == PARTIAL ? filled[digest] : 0;
        uint256 left = t.size - prior;
        if (amount > left) revert Overfill(digest, amount, left);
        uint256 newState = amount == left ? FILLED : PARTIAL;
        if (newState == PARTIAL || prior != 0) filled[digest] = prior + amount;
        if (newState != state) words[wordPos] = word ^ ((state ^ newState) << shift);
    }

    /// @dev Checks the internal leg (limit first: it needs no price) and queues its booking.
    function _internalLeg(Batch memory b, Terms memory t, bytes32 digest) private view returns (uint256 fee) {
        uint256 price = t.internalPrice;
        uint256 size = t.internalSize;
        bool isBuy = t.isBuy;
        if (isBuy ? price > t.limitPrice : price < t.limitPrice) revert LimitPriceExceeded(digest, price, t.limitPrice);
        MarketCache memory cache = _load(b.cache, t.market);
        uint256 mark = cache.mark;
        uint256 band = (mark * cache.maxDeviationBps) / BPS;
        if (price > mark + band || price + band < mark) {
            revert PriceOutsideBand(digest, price, mark, cache.maxDeviationBps);
        }
        // Rounding against the trader: a buyer pays the notional rounded up, a seller gets it rounded down.
        uint256 notional = isBuy ? _ceilDiv(size * price, _priceScale) : (size * price) / _priceScale;
        _checkBestExecution(cache, isBuy, digest, size, notional);
        fee = _ceilDiv(notional * t.feeBps, BPS);
        uint256 slot = b.legs + 0x80 + (b.booked << 7);
        uint256 head = uint256(uint160(t.trader)) | (isBuy ? 1 << 255 : 0);
        assembly ("memory-safe") {
            mstore(slot, head)
            mstore(add(slot, 0x20), size)
            mstore(add(slot, 0x40), notional)
            mstore(add(slot, 0x60), fee)
        }
        b.booked += 1;
        b.bookedMarket = t.market;
    }

    /// @dev The AMM quote for the same size at this moment; when the pool cannot fill a buy of that
    ///      size at all, any price inside the band is the best available.
    function _checkBestExecution(MarketCache memory cache, bool isBuy, bytes32 digest, uint256 size, uint256 notional)
        private
        pure
    {
        (uint256 base, uint256 quote, uint256 poolFee) = (cache.base, cache.quote, cache.poolFee);
        if (base == 0) return;
        if (isBuy) {
            if (size >= base) return;
            uint256 ammCost = AmmMath.getAmountIn(size, quote, base, poolFee);
            if (notional > ammCost) revert WorseThanAmm(digest, notional, ammCost);
        } else {
            uint256 ammProceeds = AmmMath.getAmountOut(size, base, quote, poolFee);
            if (notional < ammProceeds) revert WorseThanAmm(digest, notional, ammProceeds);
        }
    }

    function _settleAmm(Terms memory t, bytes32 digest, MarketCache memory cache)
        private
        returns (uint256 quote, uint256 fee)
    {
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
        (quote, fee) = abi.decode(ret, (uint256, uint256));
        if (cache.loaded && cache.market == t.market) {
            (cache.base, cache.quote) =
                t.isBuy ? (cache.base - size, cache.quote + quote) : (cache.base + size, cache.quote - quote);
        }
    }

    // ------------------------------------------------------------ the rest

    // ------------------------------------------------------------ the rest

    /// @inheritdoc ISettlement
    function cancel(Order calldata order) external {
        Terms memory t;
        bytes32 digest = _cleanDigest(order, t);
        if (msg.sender != t.trader) revert NotOrderTrader(msg.sender, t.trader);
        mapping(uint256 => uint256) storage words = _nonceWords[t.trader];
        uint256 wordPos = t.nonce >> 7;
        uint256 shift = (t.nonce & 127) << 1;
        uint256 word = words[wordPos];
        uint256 state = (word >> shift) & 3;
        if (state == FILLED) revert OrderAlreadyFilled(digest);
        if (state == CANCELLED) revert OrderIsCancelled(digest);
        words[wordPos] = word | (CANCELLED << shift);
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
