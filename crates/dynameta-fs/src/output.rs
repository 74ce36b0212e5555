//! Output paths: what dynameta may replace or create. (To be filled: issue 21, item 1.)
