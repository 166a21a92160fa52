// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ICollateralToken} from "./ICollateralToken.sol";
import {IPriceOracle} from "./IPriceOracle.sol";
import {IPerpAmm} from "./IPerpAmm.sol";

/// @title IVaultBase
/// @notice The Vault's errors and events, and the values its storage answers (token, oracle, the
///         house accounts, the bounds of its parameters). See `IVault` for the whole Vault.
interface IVaultBase {
    /// @notice Thrown when `caller` calls an operator-only function.
    error NotOperator(address caller);
    /// @notice Thrown when the Vault's module is called directly instead of through the Vault.
    error NotDelegated();
    /// @notice Thrown when order `digest` was already filled whole, or its nonce consumed by another order.
    error OrderAlreadyFilled(bytes32 digest);
    /// @notice Thrown when order `digest`'s nonce was cancelled.
    error OrderIsCancelled(bytes32 digest);
    /// @notice Thrown when a fill of `amount` exceeds the `remaining` size of order `digest`.
    error Overfill(bytes32 digest, uint256 amount, uint256 remaining);
    /// @notice Thrown when the vault is paused.
    error Paused();
    /// @notice Thrown when an amount of zero is deposited, withdrawn or liquidated.
    error ZeroAmount();
    /// @notice Thrown when the collateral token refuses a transfer.
    error TokenTransferFailed();
    /// @notice Thrown when `account` would withdraw `amount` with only `cash` in cash.
    error InsufficientCash(address account, int256 cash, uint256 amount);
    /// @notice Thrown when `account`'s `equity` would fall below its `required` margin.
    error InsufficientMargin(address account, int256 equity, uint256 required);
    /// @notice Thrown when the desk's inventory in `market` would reach `inventory`, beyond `cap`.
    error InventoryCapExceeded(uint32 market, int256 inventory, uint256 cap);
    /// @notice Thrown when `market` is not listed.
    error MarketNotListed(uint32 market);
    /// @notice Thrown when `market` is listed twice.
    error MarketAlreadyListed(uint32 market);
    /// @notice Thrown when listing `market` = 2^32 - 1, an id reserved as "no market".
    error InvalidMarket(uint32 market);
    /// @notice Thrown when margin ratios are not 0 < maintenance <= initial <= 10000 bps.
    error InvalidMarginRatios(uint256 initialBps, uint256 maintenanceBps);
    /// @notice Thrown when an amount does not fit the ledger's signed 88-bit books.
    error AmountOutOfRange(uint256 amount);
    /// @notice Thrown when the AMM is named a second time.
    error AmmAlreadySet();
    /// @notice Thrown when the depositors' shares contract is named a second time.
    error SharesAlreadySet();
    /// @notice Thrown when `caller`, not the depositors' shares contract, moves the desk's cash.
    error NotShares(address caller);
    /// @notice Thrown when funding parameters are not `period` = 0 (off) or 1 hour..30 days, `capBps` <= 10000.
    error InvalidFundingParams(uint256 period, uint256 capBps);
    /// @notice Thrown when funding is enabled for `market` whose last oracle `price` is zero or
    ///         above 2^96 x 1e9 (its funding unit, 1e-9 of that price, must fit 96 bits).
    error FundingUnitUnavailable(uint32 market, uint256 price);
    /// @notice Thrown when the penalty is above `MAX_PENALTY_BPS`, the liquidator's share above 10000
    ///         bps or the AMM close's slippage bound above `MAX_SLIPPAGE_BPS`.
    error InvalidLiquidationParams(uint256 penaltyBps, uint256 liquidatorShareBps, uint256 maxSlippageBps);
    /// @notice Thrown when the close factor's buffer is above `MAX_LIQUIDATION_BUFFER_BPS`, its full
    ///         liquidation threshold above `MAX_FULL_LIQUIDATION_BPS` or its minimum notional above 2^95 - 1.
    error InvalidCloseFactor(uint256 bufferBps, uint256 fullLiquidationBps, uint256 minNotional);
    /// @notice Thrown when a liquidation of `size` is below the `minimum` size (the minimum notional
    ///         at the oracle price) and not the whole position.
    error LiquidationTooSmall(uint256 size, uint256 minimum);
    /// @notice Thrown when neither the desk nor the AMM can take any of the `size` of `account`'s
    ///         position in `market` the liquidation may close.
    error CannotClose(address account, uint32 market, uint256 size);
    /// @notice Thrown when `account` (the desk, the AMM, the insurance fund or the funding pool) is liquidated.
    error CannotLiquidate(address account);
    /// @notice Thrown when `account`, holding `equity`, is liquidated while at or above its maintenance `required`.
    error NotLiquidatable(address account, int256 equity, uint256 required);
    /// @notice Thrown when `account` holds no position in `market` to liquidate.
    error NoPosition(address account, uint32 market);

    /// @notice Emitted when `from` deposits `amount` to `account`'s cash.
    event Deposited(address indexed account, address indexed from, uint256 amount);
    /// @notice Emitted when `amount` of `account`'s cash is paid out to `to`.
    event Withdrawn(address indexed account, address indexed to, uint256 amount);
    /// @notice Emitted when `operator` is granted (`allowed`) or denied the right to move the ledger.
    event OperatorSet(address indexed operator, bool allowed);
    /// @notice Emitted when `market` is listed with an inventory cap of `cap` base units.
    event MarketListed(uint32 indexed market, uint256 cap);
    /// @notice Emitted when the desk's inventory cap in `market` becomes `cap`.
    event InventoryCapSet(uint32 indexed market, uint256 cap);
    /// @notice Emitted when the margin ratios change.
    event MarginRatiosSet(uint256 initialBps, uint256 maintenanceBps);
    /// @notice Emitted when fees start accruing to `recipient`.
    event FeeRecipientSet(address indexed recipient);
    /// @notice Emitted when the vault is paused (`paused`) or resumed.
    event PausedSet(bool paused);
    /// @notice Emitted when the AMM whose pools set the funding premium is named.
    event AmmSet(address indexed amm);
    /// @notice Emitted when the depositors' shares contract of the desk is named.
    event SharesSet(address indexed shares);
    /// @notice Emitted when `market`'s funding parameters change; `unit` is its funding unit in price units.
    event FundingParamsSet(uint32 indexed market, uint256 period, uint256 capBps, uint256 unit);
    /// @notice Emitted when `market`'s funding index moves to `index` or its premium is sampled anew as `premium`.
    event FundingUpdated(uint32 indexed market, int256 index, int256 premium);
    /// @notice Emitted once per ledger call for the books of `market` that settled funding: each
    ///         word is `uint256(uint96(int96(amount))) << 160 | uint160(account)`, `amount` being what
    ///         the account paid (negative: received). Only nonzero amounts are listed.
    event FundingSettled(uint32 indexed market, bytes32[] charges);
    /// @notice Emitted when the liquidation parameters change.
    event LiquidationParamsSet(uint256 penaltyBps, uint256 liquidatorShareBps, uint256 maxSlippageBps);
    /// @notice Emitted when the close factor changes.
    event CloseFactorSet(uint256 bufferBps, uint256 fullLiquidationBps, uint256 minNotional);
    /// @notice Emitted when `market`'s funding premium is measured at impact prices for `notional`.
    event FundingImpactSet(uint32 indexed market, uint256 notional);
    /// @notice Emitted when `liquidator` closes `size` of `account`'s position in `market` (signed as
    ///         the position was): `toDesk` taken by the desk at `mark`, `toAmm` closed on the AMM for
    ///         `ammQuote`; `penalty` is what the account paid for it.
    event Liquidated(
        address indexed account,
        uint32 indexed market,
        address indexed liquidator,
        int256 size,
        uint256 toDesk,
        uint256 toAmm,
        uint256 ammQuote,
        uint256 mark,
        uint256 penalty
    );
    /// @notice Emitted when `account` is left with no position and `amount` of negative cash: the
    ///         insurance fund pays it; `uncovered` of it is more than the fund held.
    event BadDebtRealized(address indexed account, uint256 amount, uint256 uncovered);

    /// @notice The collateral token.
    function token() external view returns (ICollateralToken);
    /// @notice The oracle that marks positions for margin.
    function oracle() external view returns (IPriceOracle);
    /// @notice size (1e18) x price (1e18) / priceScale = collateral units.
    function priceScale() external view returns (uint256);
    /// @notice The account that receives liquidation penalties and pays bad debt; no key holds it.
    function insuranceFund() external view returns (address);
    /// @notice The account funding is settled against; no key holds it.
    function fundingPool() external view returns (address);
    /// @notice Whether `account` may move the ledger through `trade` and `book`.
    function isOperator(address account) external view returns (bool);
    /// @notice The largest liquidation penalty: 1000 bps (10 %) of the closed notional.
    function MAX_PENALTY_BPS() external view returns (uint256);
    /// @notice The largest slippage bound of an AMM close: 1000 bps (10 %) from the oracle price.
    function MAX_SLIPPAGE_BPS() external view returns (uint256);
    /// @notice The largest buffer above maintenance a liquidation restores: 1000 bps of the notional.
    function MAX_LIQUIDATION_BUFFER_BPS() external view returns (uint256);
    /// @notice The highest threshold, in bps of maintenance margin, below which a whole position
    ///         may be closed: 9500 (an Aave health factor of 0.95).
    function MAX_FULL_LIQUIDATION_BPS() external view returns (uint256);
    /// @notice Bad debt realized so far, in collateral units.
    function badDebt() external view returns (uint256);
}

/// @title IVaultAdmin
/// @notice The part of the Vault its module runs (`VaultModule`, by delegatecall, in the Vault's
///         storage): liquidation, cancelling a nonce, the parameters and the house books' payouts.
///         See `IVault` for the whole Vault.
interface IVaultAdmin is IVaultBase {
    /// @notice Cancels `trader`'s `nonce` for order `digest` (named in the errors): reverts
    ///         `OrderAlreadyFilled` when the nonce is consumed, `OrderIsCancelled` when it was
    ///         cancelled. Operators only (the Settlement's `cancel`).
    function cancelNonce(address trader, uint256 nonce, bytes32 digest) external;
    /// @notice Pays `amount` of the AMM's cash out to `to`, under the same checks. Owner only.
    function withdrawAmm(address to, uint256 amount) external;
    /// @notice Pays `amount` of the insurance fund's cash out to `to`. Owner only.
    function withdrawInsurance(address to, uint256 amount) external;

    /// @notice Closes up to `size` of `account`'s position in `market` while it is below maintenance
    ///         margin (see the contract notes). Anyone. Returns the size closed.
    function liquidate(address account, uint32 market, uint256 size) external returns (uint256 closed);

    /// @notice Lists `market` with the desk's inventory cap (at most 2^96 - 1); the id 2^32 - 1 is
    ///         reserved (`InvalidMarket`), a market is listed once. Owner only.
    function listMarket(uint32 market, uint256 cap) external;
    /// @notice Sets the desk's inventory cap in `market` (at most 2^96 - 1). Owner only.
    function setInventoryCap(uint32 market, uint256 cap) external;
    /// @notice Sets the initial and maintenance margin ratios in bps: 0 < maintenance <= initial
    ///         <= 10000 (`InvalidMarginRatios`), so every position needs some margin and a trade
    ///         that adds risk never needs less than one that removes it. Owner only.
    function setMarginRatios(uint256 initialBps, uint256 maintenanceBps) external;
    /// @notice Sets the fee recipient, never the zero address (`ZeroAddress`). Owner only.
    function setFeeRecipient(address recipient) external;
    /// @notice Grants or revokes an operator. Owner only.
    function setOperator(address operator, bool allowed) external;
    /// @notice Stops or resumes deposits, withdrawals, trades and liquidations. Owner only.
    function setPaused(bool paused) external;
    /// @notice Names the depositors' shares contract, once and nonzero (`SharesAlreadySet`,
    ///         `ZeroAddress`): the desk's cash then moves only through it. Owner only.
    function setShares(address shares) external;
    /// @notice Names the AMM, once and nonzero (`AmmAlreadySet`, `ZeroAddress`): the book it
    ///         trades against can never change under the positions it holds. Owner only.
    function setAmm(IPerpAmm amm) external;
    /// @notice Sets `market`'s funding (index brought up to now first): `period` 0 (off) or one
    ///         hour to thirty days, `capBps` at most 10000 (`InvalidFundingParams`); the funding unit
    ///         is fixed the first time funding is enabled, from the oracle's last price, which must
    ///         be nonzero and below 2^96 x 1e9 (`FundingUnitUnavailable`), so a book's funding mark
    ///         cannot wrap in a thousand years. Owner only.
    function setFunding(uint32 market, uint256 period, uint256 capBps) external;
    /// @notice Measures `market`'s funding premium at impact prices for `notional` collateral units
    ///         (at most 2^95 - 1; 0: at the mid, where a small trade moves it); the index is brought
    ///         up to now first. Owner only.
    function setFundingImpact(uint32 market, uint256 notional) external;
    /// @notice Sets the liquidation penalty (at most `MAX_PENALTY_BPS`), the liquidator's share of it
    ///         (at most 10000 bps) and the AMM close's slippage bound (at most `MAX_SLIPPAGE_BPS`). Owner only.
    function setLiquidationParams(uint256 penaltyBps, uint256 liquidatorShareBps, uint256 maxSlippageBps) external;
    /// @notice Sets the close factor: the buffer (at most `MAX_LIQUIDATION_BUFFER_BPS`), the full
    ///         liquidation threshold (at most `MAX_FULL_LIQUIDATION_BPS`) and the minimum notional
    ///         (at most 2^95 - 1). Owner only.
    function setCloseFactor(uint256 bufferBps, uint256 fullLiquidationBps, uint256 minNotional) external;
}

/// @title IVault
/// @notice Custody of all collateral and the ledger of every account: `cash` in collateral units
///         (signed) and `position[market]` in base units, 1e18 fixed point (signed); funding per
///         market; liquidation of accounts below maintenance margin.
/// @dev Accounts are traders, the desk (the vault's own book, keyed by the vault's address), the
///      AMM's book (keyed by the AMM's address), the fee recipient, and two accounts no key holds:
///      the insurance fund and the funding pool. Invariants kept by every function: the token
///      balance of the vault equals the sum of all cash, to the unit; the positions of each market
///      sum to zero; the desk's |position| never exceeds its cap (a trade may only bring an
///      over-cap inventory closer to zero), on every path that moves it.
///
///      Margin. Equity is cash, less the funding each book owes, plus every position marked at the
///      oracle; only books holding a position need a price, so a stale market blocks only what is
///      at risk in it. A trader needs initial margin after a trade that adds risk and after a
///      withdrawal, maintenance margin after a trade that only shrinks its position. The desk and
///      the AMM (the house books) need maintenance margin after any move that grows a position
///      (their floor); moves that shrink one are always allowed.
///
///      Funding. Each market has a cumulative index in price units (1e18 USD per base unit): it
///      grows by `premium x dt / period`, so a premium counts for as long as it lasts and a push
///      that lasts one block weighs one block. The premium is measured at the AMM's impact prices
///      (`FundingLib`): the pool's average price for selling and for buying `fundingImpact(market)`
///      of notional; it is the impact bid's excess over the oracle price, or minus the oracle's
///      excess over the impact ask, zero in between, so a trade smaller than the impact notional
///      cannot move it; it is clamped to `capBps` of the oracle price, sampled whenever the market
///      is touched (after the pool moved, when it did) and zero while the oracle is stale or there
///      is no pool. Longs pay when the index rises. A book settles
///      its funding whenever it is written (a fill, an AMM trade, a withdrawal, a deposit into a
///      book with a position, a liquidation), against the funding pool, rounded against the book;
///      so the pool holds what books were charged less what they received: zero plus rounding
///      once every book has settled, never negative then.
///
///      Nonces. Every order's state lives here, beside the books: each trader's nonces are
///      unordered (Permit2), two bits each (OPEN, PARTIAL, FILLED, CANCELLED), and an order filled
///      in parts also keeps its running total under its digest (`filledOf`). The state of a nonce
///      is in one of two places, decided by the nonce alone. A nonce whose top 32 bits name a
///      market `m` and whose low bits are below 2^19 falls in blocks of 8; a trader's book in `m`
///      caches one such block in its top 32 bits (the block's index and its eight states), so the
///      fill that books the leg also records the nonce in the same storage word. Every other
///      nonce, and every block not cached, lives in the trader's 128-nonce words at
///      `keccak256(trader ‖ nonce >> 7 ‖ NONCE_WORDS)`. A fill whose nonce is in another block of
///      its namespace moves the cache: the cached block is written back into its word, the new one
///      read from its word. So a trader who signs the orders of market `m` with nonces
///      `m << 224 | 0, 1, 2 ...` (market 0: just 0, 1, 2 ...) pays one word per fill, plus one word
///      every eighth fill.
///
///      Liquidation. Anyone may liquidate an account below maintenance, a size of at least the
///      minimum notional (or its whole position). The close factor bounds the size: all of the
///      position when the account's equity is below `fullLiquidationBps` of its maintenance margin,
///      when less would leave less than the minimum, or when the penalty is not below maintenance
///      plus the buffer; otherwise what brings it back to maintenance plus `bufferBps` at the
///      oracle price after the penalty. The desk takes what it can at the oracle price (its cap,
///      and its margin: it keeps maintenance after), the AMM what it can of the rest within
///      `maxSlippageBps` of the oracle and its own floor; the call closes what the two can take and
///      reverts `CannotClose` only when that is nothing. A penalty (capped at what the account has
///      left) goes to the liquidator and the insurance fund. An account left without positions and
///      with negative cash is bad debt: the insurance fund pays it, going negative if it must, and
///      `badDebt` records it.
interface IVault is IVaultAdmin {
    /// @notice The AMM whose pools set the funding premium and close liquidations (zero until named).
    function amm() external view returns (IPerpAmm);
    /// @notice The desk's account: the vault's own book.
    function desk() external view returns (address);
    /// @notice The account that receives fees.
    function feeRecipient() external view returns (address);
    /// @notice Initial margin ratio in bps, required after any trade that adds risk and after withdrawals.
    function initialMarginBps() external view returns (uint256);
    /// @notice Maintenance margin ratio in bps, required after trades that only reduce risk; below it an account can be liquidated.
    function maintenanceMarginBps() external view returns (uint256);
    /// @notice The desk's inventory cap in `market`, in base units.
    function inventoryCap(uint32 market) external view returns (uint256);
    /// @notice The listed markets, in listing order; the first is the home book of deposits and withdrawals.
    function markets() external view returns (uint32[] memory);
    /// @notice Whether deposits, withdrawals, trades and liquidations are stopped.
    function paused() external view returns (bool);
    /// @notice `market`'s funding: seconds over which a premium is paid in full (0: off), its clamp
    ///         in bps of the oracle price, and its funding unit in price units (fixed once set).
    function fundingParams(uint32 market) external view returns (uint256 period, uint256 capBps, uint256 unit);
    /// @notice `market`'s funding index and premium (price units) as last written, and when.
    function fundingState(uint32 market) external view returns (int256 index, int256 premium, uint256 updatedAt);
    /// @notice `market`'s funding index now (what the next touch will write).
    function fundingIndex(uint32 market) external view returns (int256);
    /// @notice The funding mark `account`'s book in `market` last settled at (see BookLib).
    function fundingMarkOf(address account, uint32 market) external view returns (uint256);
    /// @notice Funding `account`'s book in `market` owes now (negative: is owed), rounded as it will settle.
    function pendingFunding(address account, uint32 market) external view returns (int256);
    /// @notice Penalty in bps of the liquidated notional, the liquidator's share of it, and the
    ///         most an AMM close may deviate from the oracle price, in bps.
    function liquidationParams()
        external
        view
        returns (uint256 penaltyBps, uint256 liquidatorShareBps, uint256 maxSlippageBps);
    /// @notice The close factor: the buffer above maintenance a liquidation restores (bps of the
    ///         notional), the share of maintenance margin below which the whole position may be
    ///         closed (bps), and the smallest notional a liquidation closes (collateral units).
    function closeFactor() external view returns (uint256 bufferBps, uint256 fullLiquidationBps, uint256 minNotional);
    /// @notice The notional (collateral units) `market`'s funding premium is measured at, on each side of the pool.
    function fundingImpact(uint32 market) external view returns (uint256);

    /// @notice Signed cash of `account`, in collateral units: deposits less withdrawals plus every
    ///         market's trade cash flows, fees, penalties and settled funding.
    function cash(address account) external view returns (int256);
    /// @notice Signed position of `account` in `market`, in base units (1e18).
    function position(address account, uint32 market) external view returns (int256);
    /// @notice The desk's own position in `market`.
    function inventory(uint32 market) external view returns (int256);
    /// @notice Cash, less pending funding, plus every position marked at the oracle (rounded
    ///         against the account), in collateral units. Reverts when a market with a position is stale.
    function equity(address account) external view returns (int256);
    /// @notice The margin `account` needs at `ratioBps`, rounded up, in collateral units.
    function marginRequired(address account, uint256 ratioBps) external view returns (uint256);
    /// @notice Whether `account` holds a position and its equity is below its maintenance margin.
    function isLiquidatable(address account) external view returns (bool);
    /// @notice The desk's net asset value: its cash, plus its inventory marked at the oracle, less
    ///         the funding it owes (plus what it is owed), rounded against the desk; `equity` of the
    ///         desk. Reverts while a market the desk holds inventory in is stale. What the
    ///         depositors' shares (`IDeskShares`) are priced at.
    function deskNav() external view returns (int256);
    /// @notice The depositors' shares contract of the desk (zero until named).
    function shares() external view returns (address);
    /// @notice State of `trader`'s `nonce`: 0 OPEN, 1 PARTIAL, 2 FILLED, 3 CANCELLED (see the contract notes).
    function nonceState(address trader, uint256 nonce) external view returns (uint8);
    /// @notice Running total filled of order `digest` when it was filled in parts (zero otherwise).
    function filledOf(bytes32 digest) external view returns (uint256);

    /// @notice Moves `amount` tokens from the caller into its own cash.
    function deposit(uint256 amount) external;
    /// @notice Moves `amount` tokens from the caller into `account`'s cash.
    function depositFor(address account, uint256 amount) external;
    /// @notice Settles the caller's funding in every market, then pays `amount` of its cash out;
    ///         cash must cover it and initial margin must hold after.
    function withdraw(uint256 amount) external;
    /// @notice Moves `amount` tokens of `from` (the Vault approved for them) into the desk's cash,
    ///         for a deposit of shares. The shares contract only.
    function shareDeposit(address from, uint256 amount) external;
    /// @notice Pays `amount` of the desk's cash out to `to` for a claimed withdrawal, under a
    ///         trader's withdrawal rule (funding settled, cash covers it, initial margin after). The
    ///         shares contract only; the owner's capital is shares like anyone's.
    function sharePayout(address to, uint256 amount) external;

    /// @notice Books a trade: `account` gains `baseDelta` in `market` and `quoteDelta` cash and pays
    ///         `fee` to the fee recipient; `counterparty` takes the opposite. Both settle funding
    ///         first; each is held to the rule of its kind (contract notes). Operators only.
    function trade(
        address account,
        address counterparty,
        uint32 market,
        int256 baseDelta,
        int256 quoteDelta,
        uint256 fee
    ) external;

    /// @notice Books a batch of fills in `market` against the desk, in order: each leg consumes its
    ///         order's nonce (`nonceState`) and, with a size, books an internal leg. `legs` packs
    ///         seven words per leg: `uint160(account) | isBuy << 255`, the base size (0: the fill
    ///         has no internal leg, only its nonce is recorded), the quote notional (paid by a buyer,
    ///         received by a seller), the fee, the order's digest, its nonce, and
    ///         `orderSize << 128 | amount` (the fill's amount, both legs). The nonce is checked
    ///         first (`OrderAlreadyFilled`, `OrderIsCancelled`, `Overfill`), then the account
    ///         settles funding and has its margin checked after its own leg; the fee recipient, the
    ///         desk and the funding pool are written once at the end, the desk's cap and floor
    ///         checked on its net move. Returns the funding each leg's account settled (positive:
    ///         paid), for the caller to report; the desk's and the fee recipient's are in
    ///         `FundingSettled`. Operators only.
    function book(uint32 market, bytes calldata legs) external returns (int256[] memory charges);

    /// @notice Brings `market`'s funding index up to now and samples its premium anew. Anyone.
    function updateFunding(uint32 market) external;}
