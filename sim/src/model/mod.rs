//! model (under construction)
