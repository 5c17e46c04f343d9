//! verify (under construction)
