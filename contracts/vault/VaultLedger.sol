// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IVaultBase} from "../interfaces/IVault.sol";
import {ICollateralToken} from "../interfaces/ICollateralToken.sol";
import {IPriceOracle} from "../interfaces/IPriceOracle.sol";
import {IPerpAmm} from "../interfaces/IPerpAmm.sol";
import {BookLib} from "../libraries/BookLib.sol";
import {FundingLib} from "../libraries/FundingLib.sol";
import {Owned} from "../libraries/Owned.sol";

/// @title VaultLedger
/// @notice The Vault's storage and the machinery every entry point shares: books (BookLib), the
///         funding index per market, margin, and the checks each kind of account is held to.
/// @dev Data flow of any ledger write: `_ctx` reads the listed markets and margin ratios once;
///      `_accrue` brings the written market's funding index up to now and samples its premium;
///      `_apply` settles a book's funding and applies its deltas in one slot write, the charges
///      gathered in `Charges` go to the funding pool in one write and one `FundingSettled` event
///      (`_closeCharges`); then `_check` holds each moved account to its rule. Views take the same
///      path without writing (`_markNow` computes the index a write would set).
abstract contract VaultLedger is IVaultBase, Owned {
    uint256 internal constant BPS = 10_000;
    /// @inheritdoc IVaultBase
    uint256 public constant MAX_PENALTY_BPS = 1_000;
    /// @inheritdoc IVaultBase
    uint256 public constant MAX_SLIPPAGE_BPS = 1_000;
    /// @inheritdoc IVaultBase
    uint256 public constant MAX_LIQUIDATION_BUFFER_BPS = 1_000;
    /// @inheritdoc IVaultBase
    uint256 public constant MAX_FULL_LIQUIDATION_BPS = 9_500;
    uint256 internal constant MIN_FUNDING_PERIOD = 1 hours;
    uint256 internal constant MAX_FUNDING_PERIOD = 30 days;
    /// @dev A funding unit is this fraction of the market's price when funding is enabled.
    uint256 internal constant FUNDING_RESOLUTION = 1e6;
    uint256 internal constant LOADED = 1 << 64;
    /// @dev The largest amount a book holds (its position and its cash are int88).
    uint256 internal constant MAX_AMOUNT = uint256(uint88(type(int88).max));
    uint256 internal constant MAX_RESERVE = type(uint112).max;
    /// @dev Book words live at `keccak256(account ‖ market ‖ BOOKS)`: one hash per book, and a
    ///      three-word preimage is never the two-word one of a Solidity mapping's slot.
    ///      BOOKS is `keccak256("DefiInt.books")`, written out so assembly can push it (a test checks it).
    bytes32 internal constant BOOKS = 0x1ae7fbd97eade76237dffcde2ad0825ec0656a95f0998be37f9f1e437e1dd854;
    /// @dev A trader's 128-nonce words live at `keccak256(trader ‖ nonce >> 7 ‖ NONCE_WORDS)`, two bits
    ///      a nonce; NONCE_WORDS is `keccak256("DefiInt.nonceWords")` (a test checks it).
    bytes32 internal constant NONCE_WORDS = 0x687f83f2cfceda8a3b21a13db7a6ad74aa863f5c1fc3feca6719084bf255801d;
    /// @dev Nonces whose low 224 bits are below this fall in a namespace's cacheable blocks of 8.
    uint256 internal constant WINDOW_NONCES = 1 << 19;
    uint256 internal constant OPEN = 0;
    uint256 internal constant PARTIAL = 1;
    uint256 internal constant FILLED = 2;
    uint256 internal constant CANCELLED = 3;

    /// @inheritdoc IVaultBase
    address public constant insuranceFund = address(uint160(uint256(keccak256("DefiInt.insuranceFund"))));
    /// @inheritdoc IVaultBase
    address public constant fundingPool = address(uint160(uint256(keccak256("DefiInt.fundingPool"))));

    /// @inheritdoc IVaultBase
    ICollateralToken public immutable token;
    /// @inheritdoc IVaultBase
    IPriceOracle public immutable oracle;
    /// @inheritdoc IVaultBase
    uint256 public immutable priceScale;

    /// @dev A listed market's parameters, one slot.
    struct Market {
        bool listed;
        uint96 cap;
        uint32 fundingPeriod;
        uint16 fundingCapBps;
        uint96 fundingUnit;
    }

    /// @dev A market's funding index and sampled premium (both price units), one slot. The
    ///      premium saturates at int88 (1.5e8 USD per base unit), which bounds the index's growth
    ///      so it cannot leave int128 in a million years.
    struct Funding {
        int128 index;
        int88 premium;
        uint40 updatedAt;
    }

    /// @dev What one call knows about the markets: read once, filled as needed.
    struct Ctx {
        uint32[] markets;
        uint256[] prices; // 0: not read yet (an oracle price is never 0)
        uint256[] marks; // LOADED | funding mark, once computed
        uint256[] units;
        uint256 initialBps;
        uint256 maintenanceBps;
    }

    /// @dev Funding settled during one call in one market, for the pool and the event.
    struct Charges {
        bytes32[] words;
        uint256 count;
        int256 total;
    }

    /// @inheritdoc IVaultBase
    mapping(address => bool) public isOperator;
    mapping(uint32 => Market) internal _info;
    mapping(uint32 => Funding) internal _funding;
    uint32[] internal _markets;
    // One slot: what every trade reads.
    address internal _feeRecipient;
    bool internal _paused;
    uint16 internal _initialBps;
    uint16 internal _maintenanceBps;
    uint32 internal _marketCount; // `_markets.length`, read with the rest of the slot
    // One slot: the AMM and the liquidation parameters.
    IPerpAmm internal _amm;
    uint16 internal _penaltyBps;
    uint16 internal _liquidatorShareBps;
    uint16 internal _maxSlippageBps;
    uint16 internal _liquidationBufferBps;
    uint16 internal _fullLiquidationBps;
    /// @dev The smallest notional a liquidation may close (collateral units), unless it closes a whole position.
    uint256 internal _minLiquidationNotional;
    /// @dev Each market's impact notional (collateral units): the funding premium is measured at the
    ///      AMM's average prices for this much on each side.
    mapping(uint32 => uint256) internal _impactNotional;
    /// @inheritdoc IVaultBase
    uint256 public badDebt;
    /// @dev The depositors' shares of the desk (`IDeskShares`): the one caller of `shareDeposit` and `sharePayout`.
    address internal _shares;
    /// @dev Running totals of orders filled in parts, by digest.
    mapping(bytes32 => uint256) internal _filled;

    constructor(ICollateralToken token_, IPriceOracle oracle_, address owner_) Owned(owner_) {
        if (address(token_) == address(0) || address(oracle_) == address(0)) revert ZeroAddress();
        token = token_;
        oracle = oracle_;
        priceScale = 10 ** (36 - uint256(token_.decimals()));
    }

    modifier onlyOperator() {
        if (!isOperator[msg.sender]) revert NotOperator(msg.sender);
        _;
    }

    modifier onlyShares() {
        if (msg.sender != _shares) revert NotShares(msg.sender);
        _;
    }

    modifier whenNotPaused() {
        if (_paused) revert Paused();
        _;
    }

    // -------------------------------------------------------------- books

    function _bookSlot(address account, uint32 market) internal pure returns (uint256 slot) {
        bytes32 namespace = BOOKS;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, and(account, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x20), and(market, 0xffffffff))
            mstore(add(ptr, 0x40), namespace)
            slot := keccak256(ptr, 0x60)
        }
    }

    /// @dev The word of `account`'s book in `market` (BookLib's layout).
    function _book(address account, uint32 market) internal view returns (uint256 word) {
        uint256 slot = _bookSlot(account, market);
        assembly ("memory-safe") {
            word := sload(slot)
        }
    }

    /// @dev `account`'s position in `market`.
    function _positionOf(address account, uint32 market) internal view returns (int256 pos) {
        (pos,,) = BookLib.unpack(_book(account, market));
    }

    function _setBook(address account, uint32 market, uint256 word) internal {
        uint256 slot = _bookSlot(account, market);
        assembly ("memory-safe") {
            sstore(slot, word)
        }
    }

    // ------------------------------------------------------------ context

    function _ctx() internal view returns (Ctx memory c) {
        c.markets = _markets;
        uint256 n = c.markets.length;
        c.prices = new uint256[](n);
        c.marks = new uint256[](n);
        c.units = new uint256[](n);
        (c.initialBps, c.maintenanceBps) = (_initialBps, _maintenanceBps);
    }

    /// @dev `_ctx` for a call that writes `market`, and `market`'s index in it. With one listed
    ///      market the list is `market` alone once it is known listed: no read of `_markets`.
    function _ctxFor(uint32 market) internal view returns (Ctx memory c, uint256 i) {
        if (_marketCount != 1) {
            c = _ctx();
            return (c, _indexOf(c, market));
        }
        if (!_info[market].listed) revert MarketNotListed(market);
        c.markets = new uint32[](1);
        c.markets[0] = market;
        c.prices = new uint256[](1);
        c.marks = new uint256[](1);
        c.units = new uint256[](1);
        (c.initialBps, c.maintenanceBps) = (_initialBps, _maintenanceBps);
    }

    function _indexOf(Ctx memory c, uint32 market) internal pure returns (uint256) {
        uint256 count = c.markets.length;
        for (uint256 i; i < count; ++i) {
            if (c.markets[i] == market) return i;
        }
        revert MarketNotListed(market);
    }

    function _price(Ctx memory c, uint256 i) internal view returns (uint256 p) {
        p = c.prices[i];
        if (p == 0) {
            p = oracle.price(c.markets[i]);
            c.prices[i] = p;
        }
    }

    /// @dev Market `i`'s price, or 0 while it is stale (never reverts).
    function _freshPrice(Ctx memory c, uint256 i) internal view returns (uint256 p) {
        p = c.prices[i];
        if (p == 0) {
            p = oracle.freshPrice(c.markets[i]);
            c.prices[i] = p;
        }
    }

    // ------------------------------------------------------------ funding

    /// @dev Brings market `i`'s index up to now, samples its premium, writes both if they changed.
    function _accrue(Ctx memory c, uint256 i) internal returns (uint64 mark, uint256 unit) {
        uint32 market = c.markets[i];
        Market memory info = _info[market];
        Funding memory f = _funding[market];
        int256 index = _indexAt(f, info.fundingPeriod);
        int256 premium = _premium(c, i, info);
        if (index != f.index || premium != f.premium || (premium != 0 && f.updatedAt != block.timestamp)) {
            if (index > type(int128).max || index < type(int128).min) revert AmountOutOfRange(BookLib.abs(index));
            _funding[market] = Funding(int128(index), int88(premium), uint40(block.timestamp));
            if (index != f.index || premium != f.premium) emit FundingUpdated(market, index, premium);
        }
        unit = info.fundingUnit;
        mark = BookLib.markOf(index, unit);
        c.marks[i] = LOADED | mark;
        c.units[i] = unit;
    }

    /// @dev The funding mark market `i` has now, without writing it.
    function _markNow(Ctx memory c, uint256 i) internal view returns (uint64, uint256) {
        uint256 m = c.marks[i];
        if (m & LOADED == 0) {
            uint32 market = c.markets[i];
            Market memory info = _info[market];
            m = LOADED | BookLib.markOf(_indexAt(_funding[market], info.fundingPeriod), info.fundingUnit);
            c.marks[i] = m;
            c.units[i] = info.fundingUnit;
        }
        return (uint64(m), c.units[i]);
    }

    function _indexAt(Funding memory f, uint256 period) internal view returns (int256) {
        if (period == 0 || f.premium == 0) return f.index;
        return f.index + BookLib.floorDiv(int256(f.premium) * int256(block.timestamp - f.updatedAt), period);
    }

    /// @dev The premium at the AMM's impact prices for `_impactNotional[market]` on each side (see
    ///      `IVault`'s notes), clamped to `fundingCapBps` of the oracle price; zero while funding is
    ///      off, the oracle stale or the market without a pool. The price read stays in `c`.
    function _premium(Ctx memory c, uint256 i, Market memory info) internal view returns (int256 premium) {
        IPerpAmm amm_ = _amm;
        if (info.fundingPeriod == 0 || address(amm_) == address(0)) return 0;
        uint32 market = c.markets[i];
        uint256 index = _freshPrice(c, i);
        if (index == 0) return 0;
        (uint256 base, uint256 quote, uint256 fee) = amm_.pool(market);
        if (base == 0) return 0;
        premium = FundingLib.impactPremium(index, base, quote, fee, _impactNotional[market], priceScale);
        int256 bound = int256(index * info.fundingCapBps / BPS);
        if (premium > bound) premium = bound;
        if (premium < -bound) premium = -bound;
        if (premium > type(int88).max) premium = type(int88).max;
        if (premium < type(int88).min) premium = type(int88).min;
    }

    // -------------------------------------------------------------- books

    /// @dev Settles the book's funding at `mark` and applies the deltas in one write; returns the
    ///      position before, the funding charged and the new word.
    function _apply(address account, uint32 market, int256 baseDelta, int256 cashDelta, uint64 mark, uint256 unit)
        internal
        returns (int256 before, int256 charged, uint256 word)
    {
        uint256 old = _book(account, market);
        (int256 pos, int256 c, uint64 then) = BookLib.unpack(old);
        before = pos;
        charged = BookLib.charge(pos, then, mark, unit, priceScale);
        word = BookLib.pack(old, pos + baseDelta, c + cashDelta - charged, mark);
        _setBook(account, market, word);
    }

    function _newCharges(uint256 capacity) internal pure returns (Charges memory) {
        return Charges(new bytes32[](capacity), 0, 0);
    }

    function _note(Charges memory ch, address account, int256 amount) internal pure {
        if (amount == 0) return;
        // a charge is within a book's int88 cash: it fits the event's int96
        ch.words[ch.count++] = bytes32((uint256(uint96(int96(amount))) << 160) | uint160(account));
        ch.total += amount;
    }

    /// @dev Credits the charges to the funding pool and reports them.
    function _closeCharges(uint32 market, Charges memory ch, uint64 mark, uint256 unit) internal {
        if (ch.total != 0) _apply(fundingPool, market, 0, ch.total, mark, unit);
        if (ch.count == 0) return;
        bytes32[] memory words = ch.words;
        uint256 count = ch.count;
        assembly ("memory-safe") {
            mstore(words, count)
        }
        emit FundingSettled(market, words);
    }

    /// @dev Settles funding on every book of `account` that holds a position.
    function _settleAll(address account, Ctx memory c) internal {
        uint256 count = c.markets.length;
        for (uint256 i; i < count; ++i) {
            uint32 market = c.markets[i];
            (int256 pos,,) = BookLib.unpack(_book(account, market));
            if (pos == 0) continue;
            (uint64 mark, uint256 unit) = _accrue(c, i);
            (, int256 charged,) = _apply(account, market, 0, 0, mark, unit);
            Charges memory ch = _newCharges(1);
            _note(ch, account, charged);
            _closeCharges(market, ch, mark, unit);
        }
    }

    // ------------------------------------------------------- custody, roles

    /// @dev Settles the account's funding everywhere, then pays out through the home book, which
    ///      may go negative while the account's total cash covers the amount.
    function _withdraw(address account, address to, uint256 amount) internal whenNotPaused {
        if (amount == 0) revert ZeroAmount();
        Ctx memory c = _ctx();
        if (c.markets.length == 0) revert MarketNotListed(0);
        _settleAll(account, c);
        int256 balance = _cashOf(account, c.markets);
        if (amount > MAX_AMOUNT || balance < int256(amount)) revert InsufficientCash(account, balance, amount);
        uint32 home = c.markets[0];
        uint256 old = _book(account, home);
        (int256 pos, int256 homeCash, uint64 then) = BookLib.unpack(old);
        _setBook(account, home, BookLib.pack(old, pos, homeCash - int256(amount), then));
        _requireMargin(account, c, c.initialBps);
        if (!token.transfer(to, amount)) revert TokenTransferFailed();
        emit Withdrawn(account, to, amount);
    }

    function _setMarginRatios(uint256 initialBps, uint256 maintenanceBps) internal {
        if (maintenanceBps == 0 || maintenanceBps > initialBps || initialBps > BPS) {
            revert InvalidMarginRatios(initialBps, maintenanceBps);
        }
        (_initialBps, _maintenanceBps) = (uint16(initialBps), uint16(maintenanceBps));
        emit MarginRatiosSet(initialBps, maintenanceBps);
    }

    function _setFeeRecipient(address recipient) internal {
        if (recipient == address(0)) revert ZeroAddress();
        _feeRecipient = recipient;
        emit FeeRecipientSet(recipient);
    }

    // ------------------------------------------------------------- nonces

    /// @dev The slot of `trader`'s 128-nonce word `index` (`nonce >> 7`).
    function _nonceWordSlot(address trader, uint256 index) internal pure returns (uint256 slot) {
        bytes32 namespace = NONCE_WORDS;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, and(trader, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x20), index)
            mstore(add(ptr, 0x40), namespace)
            slot := keccak256(ptr, 0x60)
        }
    }

    /// @dev Where `trader`'s `nonce` state lives (see `IVault`'s notes): `inBook` when its book in
    ///      the nonce's namespace caches the nonce's block, with that book's `slot` and the state's
    ///      bit `shift` in the word; else the 128-nonce word's `slot` and `shift`.
    function _nonceAt(address trader, uint256 nonce) internal view returns (bool inBook, uint256 slot, uint256 shift) {
        uint256 low = nonce & ((1 << 224) - 1);
        if (low < WINDOW_NONCES) {
            slot = _bookSlot(trader, uint32(nonce >> 224));
            uint256 word;
            assembly ("memory-safe") {
                word := sload(slot)
            }
            if ((word >> 224) & 0xffff == low >> 3) return (true, slot, 240 + ((low & 7) << 1));
        }
        return (false, _nonceWordSlot(trader, nonce >> 7), (nonce & 127) << 1);
    }

    /// @dev `trader`'s state of `nonce`: 0 OPEN, 1 PARTIAL, 2 FILLED, 3 CANCELLED.
    function _nonceState(address trader, uint256 nonce) internal view returns (uint256) {
        (, uint256 slot, uint256 shift) = _nonceAt(trader, nonce);
        uint256 word;
        assembly ("memory-safe") {
            word := sload(slot)
        }
        return (word >> shift) & 3;
    }

    // ------------------------------------------------------------- checks

    /// @dev The rule of each kind of account after its position in `market` moved.
    function _check(address account, uint32 market, Ctx memory c, int256 before, int256 after_) internal view {
        if (account == address(this)) {
            _checkCap(market, before, after_);
            _checkHouse(account, c, before, after_);
        } else if (account == address(_amm)) {
            _checkHouse(account, c, before, after_);
        } else {
            _requireMargin(account, c, BookLib.isReducing(before, after_) ? c.maintenanceBps : c.initialBps);
        }
    }

    /// @dev The house books' floor: maintenance margin after a move that grows a position.
    function _checkHouse(address account, Ctx memory c, int256 before, int256 after_) internal view {
        if (after_ == before || BookLib.isReducing(before, after_)) return;
        _requireMargin(account, c, c.maintenanceBps);
    }

    function _checkCap(uint32 market, int256 before, int256 after_) internal view {
        uint256 cap = _info[market].cap;
        uint256 size = BookLib.abs(after_);
        if (size > cap && size >= BookLib.abs(before)) revert InventoryCapExceeded(market, after_, cap);
    }

    function _requireMargin(address account, Ctx memory c, uint256 ratioBps) internal view {
        (int256 value, uint256 required) = _marginState(account, c, ratioBps);
        if (value < 0 || uint256(value) < required) revert InsufficientMargin(account, value, required);
    }

    /// @dev Equity and requirement over every book; only books holding a position read a price.
    function _marginState(address account, Ctx memory c, uint256 ratioBps)
        internal
        view
        returns (int256 value, uint256 required)
    {
        (, value, required) = _margin(account, c, ratioBps, true);
    }

    /// @dev `_marginState`; with `strict` unset a stale market makes it return `fresh = false`
    ///      instead of reverting (what the desk and the AMM can take in a liquidation).
    function _margin(address account, Ctx memory c, uint256 ratioBps, bool strict)
        internal
        view
        returns (bool fresh, int256 value, uint256 required)
    {
        uint256 count = c.markets.length;
        for (uint256 i; i < count; ++i) {
            uint256 word = _book(account, c.markets[i]);
            if (word == 0) continue;
            (int256 pos, int256 cash_, uint64 then) = BookLib.unpack(word);
            value += cash_;
            if (pos == 0) continue;
            uint256 price = strict ? _price(c, i) : _freshPrice(c, i);
            if (price == 0) return (false, 0, 0);
            (uint64 mark, uint256 unit) = _markNow(c, i);
            (int256 v, uint256 r) = BookLib.margin(pos, price, ratioBps, priceScale);
            value += v - BookLib.charge(pos, then, mark, unit, priceScale);
            required += r;
        }
        fresh = true;
    }

    /// @dev Every listed book's cash of `account`, summed.
    function _cashOf(address account, uint32[] memory markets_) internal view returns (int256 total) {
        uint256 count = markets_.length;
        for (uint256 i; i < count; ++i) {
            (, int256 c,) = BookLib.unpack(_book(account, markets_[i]));
            total += c;
        }
    }

    /// @dev An amount a book can hold, as a signed integer.
    function _int(uint256 x) internal pure returns (int256) {
        if (x > MAX_AMOUNT) revert AmountOutOfRange(x);
        return int256(x);
    }
}
