//! Issue 7 (portal): see the work brief; filled by its owner.
