//! Issue 7 (omni): see the work brief; filled by its owner.
