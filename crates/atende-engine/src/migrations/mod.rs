//! Flow spec migrations 13.0 → 14.4.2 (being written).
