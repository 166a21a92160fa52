// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title BatchRead
/// @notice Many view calls in one `eth_call`, with nothing deployed (the "deployless multicall").
/// @dev Never deployed. The caller sends an `eth_call` without `to` whose data is this contract's
///      creation code with the calls appended; the node runs the constructor as if deploying it,
///      the constructor `staticcall`s every target in order and returns their results as the
///      "runtime code", and the node hands that back as the call's output and forgets the
///      would-be contract. Every call sees the same block: one consistent snapshot.
///
///      Appended to the creation code, all in 32-byte words:
///        record*  then  uint256 byteLength(record*)
///        record = uint256(calldata.length << 160 | uint160(target)) ++ calldata,
///                 the calldata zero-padded to whole words
///      Returned, for each call from the first, as long as the output fits:
///        result = uint256(returndata.length) ++ returndata, zero-padded to whole words
///      so a one-argument view takes 96 bytes of input and a one-word view 64 bytes of output.
///      The format is whatever the constructor walks with the fewest opcodes: on py-evm each one
///      costs microseconds, and ABI-decoding `(address,bytes)[]` in Solidity took ten times the
///      opcodes of this loop, more than most views themselves.
///
///      Limits (the Python reader, `defi_int.chain.multiread`, works within them):
///      - Output: the returned "code" must fit EIP-170's 24,576 bytes. Results that would pass it
///        are left out: the output then holds a strict prefix of the calls, and the caller sends
///        the rest again. An empty output for a non-empty input means the first result alone is
///        too large.
///      - Input: EIP-3860 caps the creation code with its appended calls at 49,152 bytes.
///      - Gas: all calls share the `eth_call`'s gas; each `staticcall` is given all but 1/64 of it.
///      - The output starts with a length word, whose first byte is zero: never EIP-3541's
///        forbidden 0xEF.
///      - A reverting call reverts the whole read with `ReadReverted(i, reason)`, `reason` being
///        that call's own revert data. A call to an address without code (which a bare
///        `staticcall` reports as a success returning nothing) reverts with `NoCode(i, target)`.
contract BatchRead {
    /// @notice Thrown when call `index` reverted; `reason` is its revert data, as the view gave it.
    error ReadReverted(uint256 index, bytes reason);
    /// @notice Thrown when call `index` targets `target`, an address without code.
    error NoCode(uint256 index, address target);

    /// @dev EIP-170: the largest runtime code, hence the largest output, a constructor may return.
    uint256 private constant MAX_OUTPUT = 24_576;

    /// @notice Runs the appended calls and returns their results as the "deployed code".
    constructor() payable {
        bytes4 readReverted = ReadReverted.selector;
        bytes4 noCode = NoCode.selector;
        // Memory from 0 is ours: nothing Solidity-managed is used after this point.
        assembly {
            let end := sub(codesize(), 32)
            codecopy(0, end, 32)
            let size := mload(0)
            codecopy(0, sub(end, size), size) // the records, at [0, size)
            let out := size // the results grow from here, into memory never written before
            let limit := add(size, MAX_OUTPUT)
            let index := 0
            for { let record := 0 } lt(record, size) { index := add(index, 1) } {
                let head := mload(record)
                let target := and(head, 0xffffffffffffffffffffffffffffffffffffffff)
                let length := shr(160, head)
                let success := staticcall(gas(), target, add(record, 32), length, 0, 0)
                let returned := returndatasize()
                if iszero(success) {
                    mstore(out, readReverted)
                    mstore(add(out, 4), index)
                    mstore(add(out, 36), 64)
                    mstore(add(out, 68), returned)
                    returndatacopy(add(out, 100), 0, returned)
                    revert(out, add(100, and(add(returned, 31), not(31))))
                }
                if iszero(returned) {
                    if iszero(extcodesize(target)) {
                        mstore(out, noCode)
                        mstore(add(out, 4), index)
                        mstore(add(out, 36), target)
                        revert(out, 68)
                    }
                }
                let next := add(add(out, 32), and(add(returned, 31), not(31)))
                if gt(next, limit) { break }
                mstore(out, returned)
                returndatacopy(add(out, 32), 0, returned)
                out := next
                record := add(add(record, 32), and(add(length, 31), not(31)))
            }
            return(size, sub(out, size))
        }
    }
}
