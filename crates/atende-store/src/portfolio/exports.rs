//! Issue 7 (exports): see the work brief; filled by its owner.
