//! interp placeholder
