// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ISettlement, Fill} from "./interfaces/ISettlement.sol";
import {IVault, Booking} from "./interfaces/IVault.sol";
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
        return OrderLib.digest(domainSeparator(), order);
    }

    /// @inheritdoc ISettlement
    function remaining(Order calldata order) external view returns (uint256) {
        uint256 state = nonceState(order.trader, order.nonce);
        if (state == FILLED || state == CANCELLED) return 0;
        if (state == OPEN) return order.size;
        return order.size - filled[OrderLib.digest(domainSeparator(), order)];
    }

    /// @inheritdoc ISettlement
    function nonceState(address trader, uint256 nonce) public view returns (uint8) {
        return uint8((_nonceWords[trader][nonce >> 7] >> ((nonce & 127) << 1)) & 3);
    }

    // ----------------------------------------------------------- settlement

    /// @inheritdoc ISettlement
    /// @dev For each fill, in order: guards (expiry, fee cap, non-empty), signature, the order's
    ///      remaining size (recorded before any external call), the internal leg (limit, oracle
    ///      band, best execution, then the Vault books it and checks margin and the desk's cap),
    ///      the AMM leg (allowed, then the AMM trades and the average price is held to the limit).
    ///      Any failing fill reverts the whole batch; the keeper drops it and resends.
    function settle(Fill[] calldata fills) external onlyKeeper {
        if (vault.paused()) revert SettlementPaused();
        if (fills.length == 0) revert EmptyBatch();
        bytes32 separator = domainSeparator();
        MarketCache memory cache = MarketCache(type(uint32).max, 0, 0, 0, 0, maxDeviationBps);
        Booking[] memory bookings = new Booking[](fills.length);
        uint256 booked;
        uint32 bookedMarket;
        for (uint256 i; i < fills.length; ++i) {
            Fill calldata fill = fills[i];
            Terms memory t = _read(fill, i);
            bytes32 digest = OrderLib.digest(separator, fill.order);
            _checkGuards(t, digest);
            _checkSignature(digest, t.trader, fill.signature);
            _recordFill(t, digest);
            uint256 fee;
            if (t.internalSize != 0) {
                if (booked != 0 && t.market != bookedMarket) {
                    _book(bookedMarket, bookings, booked);
                    booked = 0;
                }
                Booking memory leg = _internalLeg(t, digest, _load(cache, t.market));
                bookedMarket = t.market;
                bookings[booked++] = leg;
                fee = leg.fee;
            }
            uint256 ammQuote;
            if (t.ammSize != 0) {
                uint256 ammFee;
                (ammQuote, ammFee) = _settleAmm(t, digest, cache);
                fee += ammFee;
            }
            uint256 internalPrice = t.internalSize == 0 ? 0 : t.internalPrice;
            emit OrderFilled(digest, t.trader, t.internalSize, internalPrice, t.ammSize, ammQuote, fee);
        }
        if (booked != 0) _book(bookedMarket, bookings, booked);
    }

    /// @dev Hands the first `count` legs to the Vault, then restores the array for reuse.
    function _book(uint32 market, Booking[] memory bookings, uint256 count) private {
        uint256 capacity = bookings.length;
        assembly ("memory-safe") {
            mstore(bookings, count)
        }
        vault.book(market, bookings);
        assembly ("memory-safe") {
            mstore(bookings, capacity)
        }
    }

    /// @dev A fill's scalar fields, read from calldata once.
    struct Terms {
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
    }

    /// @dev Reads fill `index` word by word and rejects any value with bits beyond its type, so
    ///      the order hashed from calldata is exactly the order checked and booked.
    function _read(Fill calldata fill, uint256 index) private pure returns (Terms memory t) {
        bool dirty;
        assembly ("memory-safe") {
            function word(src, dst, bits) -> extra {
                let w := calldataload(src)
                mstore(dst, w)
                extra := shr(bits, w)
            }
            let x := word(fill, t, 160) // trader
            x := or(x, word(add(fill, 0x20), add(t, 0x20), 32)) // market
            x := or(x, word(add(fill, 0x40), add(t, 0x40), 1)) // isBuy
            x := or(x, word(add(fill, 0x60), add(t, 0x60), 128)) // size
            x := or(x, word(add(fill, 0x80), add(t, 0x80), 128)) // limitPrice
            x := or(x, word(add(fill, 0xa0), add(t, 0xa0), 64)) // expiry
            mstore(add(t, 0xc0), calldataload(add(fill, 0xc0))) // nonce: all 256 bits
            x := or(x, word(add(fill, 0xe0), add(t, 0xe0), 16)) // maxFeeBps
            x := or(x, word(add(fill, 0x100), add(t, 0x100), 1)) // allowAmm
            // 0x120 holds the signature's offset
            x := or(x, word(add(fill, 0x140), add(t, 0x120), 128)) // internalSize
            x := or(x, word(add(fill, 0x160), add(t, 0x140), 128)) // internalPrice
            x := or(x, word(add(fill, 0x180), add(t, 0x160), 128)) // ammSize
            x := or(x, word(add(fill, 0x1a0), add(t, 0x180), 16)) // feeBps
            dirty := iszero(iszero(x))
        }
        if (dirty) revert MalformedFill(index);
    }

    /// @dev Oracle mark, AMM pool and band of the market being settled, read once per run of fills
    ///      in that market and kept in step with the AMM legs this batch sends.
    struct MarketCache {
        uint32 market;
        uint256 mark;
        uint256 base;
        uint256 quote;
        uint256 poolFee;
        uint256 maxDeviationBps;
    }

    function _load(MarketCache memory cache, uint32 market) private view returns (MarketCache memory) {
        if (cache.market != market) {
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

    function _checkSignature(bytes32 digest, address trader, bytes calldata signature) private view {
        address signer = SignatureLib.recover(digest, signature);
        if (signer != trader || signer == address(0)) revert InvalidSigner(digest, signer, trader);
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

    /// @dev Checks the internal leg and returns its booking; the Vault books all legs at the end.
    function _internalLeg(Terms memory t, bytes32 digest, MarketCache memory cache)
        private
        view
        returns (Booking memory)
    {
        uint256 mark = cache.mark;
        uint256 price = t.internalPrice;
        uint256 size = t.internalSize;
        bool isBuy = t.isBuy;
        if (isBuy ? price > t.limitPrice : price < t.limitPrice) revert LimitPriceExceeded(digest, price, t.limitPrice);
        uint256 band = (mark * cache.maxDeviationBps) / BPS;
        if (price > mark + band || price + band < mark) {
            revert PriceOutsideBand(digest, price, mark, cache.maxDeviationBps);
        }
        // Rounding against the trader: a buyer pays the notional rounded up, a seller gets it rounded down.
        uint256 notional = isBuy ? _ceilDiv(size * price, _priceScale) : (size * price) / _priceScale;
        _checkBestExecution(cache, isBuy, digest, size, notional);
        // Cannot overflow: size and price are below 2**128, so the notional is below 2**255.
        int256 base = int256(size);
        int256 quote = int256(notional);
        return Booking(t.trader, isBuy ? base : -base, isBuy ? -quote : quote, _ceilDiv(notional * t.feeBps, BPS));
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
        if (cache.market == t.market) {
            (cache.base, cache.quote) =
                t.isBuy ? (cache.base - size, cache.quote + quote) : (cache.base + size, cache.quote - quote);
        }
    }

    // ------------------------------------------------------------ the rest

    /// @inheritdoc ISettlement
    function cancel(Order calldata order) external {
        if (msg.sender != order.trader) revert NotOrderTrader(msg.sender, order.trader);
        bytes32 digest = OrderLib.digest(domainSeparator(), order);
        mapping(uint256 => uint256) storage words = _nonceWords[order.trader];
        uint256 wordPos = order.nonce >> 7;
        uint256 shift = (order.nonce & 127) << 1;
        uint256 word = words[wordPos];
        uint256 state = (word >> shift) & 3;
        if (state == FILLED) revert OrderAlreadyFilled(digest);
        if (state == CANCELLED) revert OrderIsCancelled(digest);
        words[wordPos] = word | (CANCELLED << shift);
        emit OrderCancelled(digest, order.trader, order.nonce);
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
