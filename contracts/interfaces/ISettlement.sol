// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Order} from "../libraries/OrderLib.sol";
import {IVault} from "./IVault.sol";
import {IPerpAmm} from "./IPerpAmm.sol";
import {IPriceOracle} from "./IPriceOracle.sol";

/// @notice One order's share of a batch: `internalSize` at `internalPrice` against the desk, then
///         `ammSize` routed to the AMM at its price; `feeBps` of each leg's notional goes to the fee
///         recipient, rounded up.
struct Fill {
    Order order;
    bytes signature;
    uint128 internalSize;
    uint128 internalPrice;
    uint128 ammSize;
    uint16 feeBps;
}

/// @title ISettlement
/// @notice EIP-712 order verification and batch settlement of the desk's fills.
/// @dev Order lifecycle. Each trader's nonces are unordered (Permit2): two bits per nonce record
///      OPEN, PARTIAL, FILLED or CANCELLED, kept by the Vault beside the trader's books
///      (`IVault.nonceState`, one storage word for a fill and its nonce when the trader signs a
///      market's orders with that market's consecutive nonces). An order filled whole in one
///      settlement only flips its nonce to FILLED; an order filled in parts also records its
///      running total under its digest in `filled`. Completing an order or cancelling it consumes
///      its nonce, which closes every order signed with that nonce. The Vault checks a fill's nonce
///      and remaining size when it books the fill's run (`OrderAlreadyFilled`, `OrderIsCancelled`,
///      `Overfill`, `IVault`'s errors).
interface ISettlement {
    /// @notice Thrown when `caller` settles without being an allow-listed keeper.
    error NotKeeper(address caller);
    /// @notice Thrown when the vault is paused.
    error SettlementPaused();
    /// @notice Thrown when a batch holds no fills.
    error EmptyBatch();
    /// @notice Thrown when fill `index` carries a value with bits beyond its Solidity type (or, in
    ///         `settleCompact`, unknown flag bits, a nonce longer than 32 bytes or a fill cut short).
    error MalformedFill(uint256 index);
    /// @notice Thrown when an order passed to `cancel`, `hashOrder` or `remaining` carries a value
    ///         with bits beyond its Solidity type (its digest would not be the order's).
    error MalformedOrder();
    /// @notice Thrown when a fill's two legs are both zero.
    error EmptyFill(bytes32 digest);
    /// @notice Thrown when the signature on order `digest` recovers to `signer`, not its `trader`.
    error InvalidSigner(bytes32 digest, address signer, address trader);
    /// @notice Thrown when order `digest` expired at `expiry`, before the block time `now_`.
    error OrderExpired(bytes32 digest, uint256 expiry, uint256 now_);
    /// @notice Thrown when the fee `feeBps` is above the order's `maxFeeBps`.
    error FeeAboveMax(bytes32 digest, uint256 feeBps, uint256 maxFeeBps);
    /// @notice Thrown when the internal price is worse for the trader than the order's `limitPrice`.
    error LimitPriceExceeded(bytes32 digest, uint256 price, uint256 limitPrice);
    /// @notice Thrown when the AMM leg trades `quote` for `size`, beyond the order's `limitPrice` on average.
    error AmmLimitExceeded(bytes32 digest, uint256 size, uint256 quote, uint256 limitPrice);
    /// @notice Thrown when the internal `price` is more than `maxDeviationBps` away from the oracle's `mark`.
    error PriceOutsideBand(bytes32 digest, uint256 price, uint256 mark, uint256 maxDeviationBps);
    /// @notice Thrown when the internal leg's `notional` is worse for the trader than the AMM's `ammQuote` for the same size.
    error WorseThanAmm(bytes32 digest, uint256 notional, uint256 ammQuote);
    /// @notice Thrown when order `digest` routes to the AMM without allowing it.
    error AmmNotAllowed(bytes32 digest);
    /// @notice Thrown when `caller` cancels an order whose trader is `trader`.
    error NotOrderTrader(address caller, address trader);
    /// @notice Thrown when an internal leg's `notional` is more than a ledger book can hold (2^87 - 1).
    error AmountOutOfRange(uint256 notional);
    /// @notice Thrown when the deviation band is set above 10000 bps.
    error InvalidDeviationBps(uint256 maxDeviationBps);

    /// @notice Emitted with the fills settled since the previous `FillsSettled` of the batch, in
    ///         batch order, once the run they belong to is booked (at a change of market and at the
    ///         end of the batch). Per fill, what its calldata cannot tell: the `int96` funding the
    ///         trader's book settled when the fill's internal leg was booked (12 bytes, positive:
    ///         paid; only for a fill with an internal leg: an AMM leg's funding is in the Vault's
    ///         `FundingSettled`), then the `uint112` quote of its AMM leg (14 bytes, only for a fill
    ///         with an AMM leg); so 12, 14 or 26 bytes, told apart by the fill's calldata.
    ///         Everything else about a fill (its order, hence its digest, its legs, its fee rate) is
    ///         in the settle transaction's calldata, which `defi_int.chain.views.settle_fills` reads
    ///         beside these logs: the keeper calls the Settlement directly. The fee is not logged: it
    ///         is `feeBps` of each leg's notional, rounded up, the internal notional rounded against
    ///         the trader. One log per run: a log, its topic and each byte of data cost 375, 375 and 8 gas.
    event FillsSettled(bytes fills);
    /// @notice Emitted when `trader` cancels order `digest`, consuming `nonce`.
    event OrderCancelled(bytes32 indexed digest, address indexed trader, uint256 nonce);
    /// @notice Emitted when the desk trades its own book on the AMM.
    event Hedged(uint32 indexed market, bool isBuy, uint256 size, uint256 quote);
    /// @notice Emitted when `keeper` is allowed (`allowed`) or denied to settle.
    event KeeperSet(address indexed keeper, bool allowed);
    /// @notice Emitted when the oracle band for internal prices becomes `maxDeviationBps`.
    event MaxDeviationSet(uint256 maxDeviationBps);

    /// @notice The EIP-712 domain separator (`name = "DefiInt"`, `version = "1"`, this chain, this contract).
    function domainSeparator() external view returns (bytes32);
    /// @notice The EIP-712 digest a wallet signs for `order`.
    function hashOrder(Order calldata order) external view returns (bytes32);
    /// @notice Running total filled of an order that was settled in parts; zero for an order never
    ///         filled and for one filled whole in a single settlement (see `remaining`).
    function filled(bytes32 orderDigest) external view returns (uint256);
    /// @notice What can still be filled of `order`: zero once its nonce is consumed.
    function remaining(Order calldata order) external view returns (uint256);
    /// @notice State of `trader`'s `nonce`: 0 OPEN, 1 PARTIAL, 2 FILLED, 3 CANCELLED.
    function nonceState(address trader, uint256 nonce) external view returns (uint8);

    /// @notice Cancels `order`, consuming its nonce. Only by the order's trader.
    function cancel(Order calldata order) external;
    /// @notice Settles a batch: for each fill, verify the order and apply its internal then its AMM leg.
    function settle(Fill[] calldata fills) external;
    /// @notice `settle` with the fills packed: the same checks, effects and events, in a third of
    ///         the calldata. Fills follow each other, big-endian, no padding:
    ///         trader (20) ‖ market (4) ‖ flags (1) ‖ size (16) ‖ limitPrice (16) ‖ expiry (8) ‖
    ///         nonceLength (1, at most 32) ‖ nonce (nonceLength bytes) ‖ maxFeeBps (2) ‖
    ///         then, when flag bit 3 is set (the whole order internally: internalSize = size,
    ///         ammSize = 0), internalPrice (16), otherwise internalSize (16) ‖ internalPrice (16) ‖
    ///         ammSize (16) ‖ then feeBps (2) ‖ r (32) ‖ s (32).
    ///         Flags: bit 0 isBuy, bit 1 allowAmm, bit 2 the signature's v is 28 (else 27), bit 3
    ///         as above; the others zero. The Python encoder is `defi_int.chain.encoding.pack_fills`.
    function settleCompact(bytes calldata packed) external;
    /// @notice Trades the desk's own book on the AMM. Keepers only.
    function hedge(uint32 market, bool isBuy, uint256 size, uint256 limitQuote) external returns (uint256 quote);

    /// @notice The vault whose ledger settlement moves.
    function vault() external view returns (IVault);
    /// @notice The AMM that takes routed remainders.
    function amm() external view returns (IPerpAmm);
    /// @notice The oracle internal prices are banded against.
    function oracle() external view returns (IPriceOracle);
    /// @notice Whether `account` may settle and hedge.
    function isKeeper(address account) external view returns (bool);
    /// @notice Largest distance of an internal price from the oracle, in bps.
    function maxDeviationBps() external view returns (uint256);
    /// @notice Allows or denies `keeper`. Owner only.
    function setKeeper(address keeper, bool allowed) external;
    /// @notice Sets the oracle band for internal prices, at most 10000 bps (`InvalidDeviationBps`):
    ///         an internal price stays within zero and twice the oracle's. Owner only.
    function setMaxDeviationBps(uint256 maxDeviationBps) external;
}
