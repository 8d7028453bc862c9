//! Splitting text into words, shared by the word functions and the `has_*word*` tests.
