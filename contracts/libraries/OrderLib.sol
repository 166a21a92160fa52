// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @notice A trader's signed instruction (fixed: wallets and other languages sign this).
/// @dev `size` in base units and `limitPrice` in USD per base unit, both 1e18 fixed point;
///      `expiry` in unix seconds, valid while `block.timestamp <= expiry`.
struct Order {
    address trader;
    uint32 market;
    bool isBuy;
    uint128 size;
    uint128 limitPrice;
    uint64 expiry;
    uint256 nonce;
    uint16 maxFeeBps;
    bool allowAmm;
}

/// @title OrderLib
/// @notice EIP-712 type and domain of `Order`; the Python mirror lives in `defi_int/orders/eip712.py`.
/// @dev `hashStruct(order)` is `keccak256(TYPEHASH ‖ the nine fields as words)`: all fields are
///      static. Settlement hashes it from a memory copy whose bits it has checked, so no value
///      with bits beyond its type (a digest that is not the order's) is ever hashed.
library OrderLib {
    /// @dev The type string and its hash, side by side (CoW `GPv2Order`, permit2 `PermitHash`).
    bytes internal constant TYPE_STRING =
        "Order(address trader,uint32 market,bool isBuy,uint128 size,uint128 limitPrice,uint64 expiry,uint256 nonce,uint16 maxFeeBps,bool allowAmm)";
    bytes32 internal constant TYPEHASH = keccak256(TYPE_STRING);

    bytes internal constant DOMAIN_TYPE_STRING =
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
    bytes32 internal constant DOMAIN_TYPEHASH = keccak256(DOMAIN_TYPE_STRING);
    bytes32 internal constant NAME_HASH = keccak256("DefiInt");
    bytes32 internal constant VERSION_HASH = keccak256("1");

    /// @notice The EIP-712 domain separator for `verifyingContract` on the current chain.
    function domainSeparator(address verifyingContract) internal view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, verifyingContract));
    }
}
