//! Routing: the pure decision function and its rule types.
