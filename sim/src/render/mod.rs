//! render (under construction)
