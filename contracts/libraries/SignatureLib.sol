// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title SignatureLib
/// @notice Strict ECDSA recovery: 65 bytes `r ‖ s ‖ v`, low-s only, v ∈ {27, 28}.
library SignatureLib {
    /// @dev secp256k1n / 2: a larger s is the malleable high-s twin of a valid signature.
    uint256 internal constant HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    /// @notice Thrown when a signature is `length` bytes instead of 65.
    error InvalidSignatureLength(uint256 length);
    /// @notice Thrown when s is in the upper half of the curve order (the malleable twin).
    error InvalidSignatureS(bytes32 s);
    /// @notice Thrown when v is neither 27 nor 28.
    error InvalidSignatureV(uint8 v);

    /// @notice The three parts of a 65-byte signature in calldata.
    function split(bytes calldata signature) internal pure returns (bytes32 r, bytes32 s, uint8 v) {
        if (signature.length != 65) revert InvalidSignatureLength(signature.length);
        assembly ("memory-safe") {
            r := calldataload(signature.offset)
            s := calldataload(add(signature.offset, 0x20))
            v := byte(0, calldataload(add(signature.offset, 0x40)))
        }
    }

    /// @notice Recovers the signer of `hash`; returns address(0) when ecrecover finds none.
    function recover(bytes32 hash, bytes32 r, bytes32 s, uint256 v) internal view returns (address signer) {
        if (uint256(s) > HALF_ORDER) revert InvalidSignatureS(s);
        if (v != 27 && v != 28) revert InvalidSignatureV(uint8(v));
        assembly ("memory-safe") {
            // ecrecover precompile through scratch space: no memory is allocated per signature.
            let ptr := mload(0x40)
            mstore(ptr, hash)
            mstore(add(ptr, 0x20), v)
            mstore(add(ptr, 0x40), r)
            mstore(add(ptr, 0x60), s)
            mstore(0x00, 0)
            pop(staticcall(gas(), 0x01, ptr, 0x80, 0x00, 0x20))
            signer := mload(0x00)
        }
    }
}
