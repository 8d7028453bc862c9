//! Legacy (pre-13) RapidPro flow definitions → current spec (being written).
