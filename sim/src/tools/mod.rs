//! tools (under construction)
