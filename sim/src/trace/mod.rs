//! trace (under construction)
