//! capture (under construction)
